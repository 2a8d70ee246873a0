import { App, Button, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, listAll, type ListPage } from '../../api/client';
import { INDUSTRIES } from '../../api/types';
import { useSession } from '../../auth/session';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { DOMAINS, appName, type AppSummary } from '../apps/api';
import { modelName, type ModelRecord } from '../models/api';
import { TECHNOLOGIES, deleteSolution, saveSolution, useSolutions, type Solution, type SolutionInput } from './api';

const EMPTY: SolutionInput = {
  id: '', nameZh: '', nameEn: '', descriptionZh: '', descriptionEn: '', industries: [], domains: [], appIds: [],
  modelIds: [], profileIds: [], technologies: [], cases: 0,
};

// The editor (platform admins): names, industries × domains, the APPs and models bundled.
function SolutionEditor({ value, onClose }: { value: { s: SolutionInput; creating: boolean } | null; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [form] = Form.useForm<SolutionInput>();
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const apps = useQuery({ queryKey: ['apps', 'list', ''], enabled: !!value,
    queryFn: () => call<ListPage<AppSummary>>('GET', '/api/v1/apps') });
  const models = useQuery({ queryKey: ['models', 'all'], enabled: !!value, queryFn: () => listAll<ModelRecord>('/api/v1/models') });
  const lang = i18n.language;
  const submit = async () => {
    const v = await form.validateFields();
    setSaving(true);
    setError(null);
    try {
      const merged = { ...EMPTY, ...value?.s, ...v };
      const input: SolutionInput = {
        id: value?.creating ? (v.id ?? '') : value!.s.id, nameZh: merged.nameZh, nameEn: merged.nameEn,
        descriptionZh: merged.descriptionZh ?? '', descriptionEn: merged.descriptionEn ?? '', industries: merged.industries,
        domains: merged.domains, appIds: merged.appIds ?? [], modelIds: merged.modelIds ?? [], profileIds: merged.profileIds ?? [],
        technologies: merged.technologies ?? [], cases: merged.cases ?? 0,
      };
      await saveSolution(input, !!value?.creating);
      await qc.invalidateQueries({ queryKey: ['solutions'] });
      message.success(t('solutions.saved'));
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={!!value} title={value?.creating ? t('solutions.create') : t('solutions.edit')} width={720}
      onCancel={onClose} onOk={() => void submit()} confirmLoading={saving} okText={t('common.save')} cancelText={t('common.cancel')}
      destroyOnClose afterClose={() => setError(null)}>
      {error ? <ErrorAlert error={error} /> : null}
      <Form form={form} layout="vertical" preserve={false} initialValues={value?.s} data-testid="solution-form">
        {value?.creating && <Form.Item name="id" label={t('solutions.id')} extra={t('solutions.idHint')}><Input /></Form.Item>}
        <Space style={{ width: '100%' }} styles={{ item: { flex: 1 } }}>
          <Form.Item name="nameZh" label={t('solutions.nameZh')} rules={[{ required: true }]}><Input /></Form.Item>
          <Form.Item name="nameEn" label={t('solutions.nameEn')} rules={[{ required: true }]}><Input /></Form.Item>
        </Space>
        <Form.Item name="descriptionZh" label={t('solutions.descriptionZh')}><Input.TextArea rows={2} /></Form.Item>
        <Form.Item name="descriptionEn" label={t('solutions.descriptionEn')}><Input.TextArea rows={2} /></Form.Item>
        <Form.Item name="industries" label={t('solutions.industries')} rules={[{ required: true }]}>
          <Select mode="multiple" virtual={false} options={INDUSTRIES.map((i) => ({ value: i, label: i }))} />
        </Form.Item>
        <Form.Item name="domains" label={t('solutions.domains')} rules={[{ required: true }]}>
          <Select mode="multiple" options={DOMAINS.map((d) => ({ value: d, label: t(`market.domains.${d}`) }))} />
        </Form.Item>
        <Form.Item name="appIds" label={t('solutions.apps')}>
          <Select mode="multiple" loading={apps.isLoading}
            options={(apps.data?.items ?? []).map((a) => ({ value: a.id, label: `${appName(a, lang)} (${a.id})` }))} />
        </Form.Item>
        <Form.Item name="modelIds" label={t('solutions.models')}>
          <Select mode="multiple" loading={models.isLoading}
            options={(models.data ?? []).map((m) => ({ value: m.id, label: `${modelName(m, lang)} (${m.id})` }))} />
        </Form.Item>
        <Form.Item name="technologies" label={t('solutions.technologies')}>
          <Select mode="multiple" options={TECHNOLOGIES.map((x) => ({ value: x, label: t(`solutions.tech.${x}`) }))} />
        </Form.Item>
        <Form.Item name="cases" label={t('solutions.cases')}><InputNumber min={0} precision={0} /></Form.Item>
      </Form>
    </Modal>
  );
}

// 解决方案: the catalogue behind the coverage figures of indicator 3.1.
export function SolutionsPage() {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const { session } = useSession();
  const qc = useQueryClient();
  const admin = session?.user.role === 'platform-admin';
  const q = useSolutions();
  const [editing, setEditing] = useState<{ s: SolutionInput; creating: boolean } | null>(null);
  const en = i18n.language === 'en';
  const tags = (list: string[], label: (x: string) => string = (x) => x) => (
    <Space size={[2, 2]} wrap>{list.map((x) => <Tag key={x}>{label(x)}</Tag>)}</Space>
  );
  const remove = async (s: Solution) => {
    try {
      await deleteSolution(s.id);
      await qc.invalidateQueries({ queryKey: ['solutions'] });
      message.success(t('solutions.deleted'));
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="solutions-page">
      <Space style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('solutions.title')}</Typography.Title>
        {admin && <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({ s: EMPTY, creating: true })}
          data-testid="solution-create">{t('solutions.create')}</Button>}
      </Space>
      <Typography.Text type="secondary">{t('solutions.intro')}</Typography.Text>
      {q.error && <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />}
      <Table rowKey="id" loading={q.isLoading} dataSource={q.data?.items ?? []} pagination={false}
        expandable={{ expandedRowRender: (s) => <Typography.Paragraph style={{ margin: 0 }}>{en ? s.descriptionEn : s.descriptionZh}</Typography.Paragraph>,
          rowExpandable: (s) => !!(en ? s.descriptionEn : s.descriptionZh) }}
        columns={[
          { title: t('solutions.name'), render: (_, s) => <span data-testid={`solution-${s.id}`}>{en ? s.nameEn : s.nameZh}</span> },
          { title: t('solutions.industries'), render: (_, s) => tags(s.industries) },
          { title: t('solutions.domains'), render: (_, s) => tags(s.domains, (d) => t(`market.domains.${d}`)) },
          { title: t('solutions.apps'), render: (_, s) => tags(s.appIds) },
          { title: t('solutions.models'), render: (_, s) => tags(s.modelIds) },
          { title: t('solutions.technologies'), render: (_, s) => tags(s.technologies, (x) => t(`solutions.tech.${x}`)) },
          { title: t('solutions.cases'), dataIndex: 'cases', align: 'right' },
          ...(admin ? [{ title: '', key: 'actions', render: (_: unknown, s: Solution) => (
            <Space>
              <Button size="small" onClick={() => setEditing({ s, creating: false })}>{t('common.edit')}</Button>
              <Popconfirm title={t('solutions.confirmDelete')} onConfirm={() => void remove(s)}>
                <Button size="small" danger>{t('common.delete')}</Button>
              </Popconfirm>
            </Space>) }] : []),
        ]} />
      <SolutionEditor value={editing} onClose={() => setEditing(null)} />
    </Space>
  );
}
