// /models — the industrial model catalogue by the four MIIT model types.
import { Badge, Input, Segmented, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { MODEL_TYPES, modelDescription, modelName, useModelCounts, useModels, type ModelRecord } from './api';

export function ModelCataloguePage() {
  const { t, i18n } = useTranslation();
  const [type, setType] = useState('all');
  const [q, setQ] = useState('');
  const counts = useModelCounts();
  const models = useModels(type === 'all' ? undefined : type, q || undefined);
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="model-catalogue">
      <Typography.Title level={3} style={{ margin: 0 }}>{t('models.title')}</Typography.Title>
      <Space wrap>
        <Segmented value={type} onChange={(v) => setType(String(v))} data-testid="model-type"
          options={[{ value: 'all', label: <Space size={4}>{t('common.all')}<Badge count={counts.data?.total ?? 0} showZero color="#8c8c8c" /></Space> },
            ...MODEL_TYPES.map((m) => ({ value: m, label: <Space size={4}>{t(`models.types.${m}`)}<Badge count={counts.data?.byType[m] ?? 0} showZero color="#1668dc" /></Space> }))]} />
        <Input.Search allowClear placeholder={t('models.search')} style={{ width: 240 }} onSearch={setQ} data-testid="model-search" />
      </Space>
      {models.error && <ErrorAlert error={models.error} />}
      <Table rowKey="id" size="small" loading={models.isLoading} dataSource={models.data?.items ?? []} pagination={{ pageSize: 20 }}
        columns={[
          { title: t('common.name'), key: 'n', render: (_: unknown, m: ModelRecord) => <Link to={`/models/${encodeURIComponent(m.id)}`} data-testid={`model-${m.id}`}>{modelName(m, i18n.language)}</Link> },
          { title: 'ID', dataIndex: 'id', render: (id: string) => <Typography.Text code>{id}</Typography.Text>, responsive: ['md'] },
          { title: t('models.type'), dataIndex: 'type', render: (ty: string) => <Tag color="geekblue">{t(`models.types.${ty}`, { defaultValue: ty })}</Tag> },
          { title: t('common.description'), key: 'd', ellipsis: true, responsive: ['lg'], render: (_: unknown, m: ModelRecord) => modelDescription(m.manifest, i18n.language) },
          { title: t('models.version'), dataIndex: 'version' },
          { title: t('models.scope'), dataIndex: 'public', render: (p: boolean, m: ModelRecord) => <Space size={4}>
            <Tag color={p ? 'blue' : 'purple'}>{p ? t('models.public') : t('models.own')}</Tag>{m.deprecated && <Tag color="red">{t('models.deprecated')}</Tag>}</Space> },
        ]} />
    </Space>
  );
}
