import { App, Button, Card, Col, Form, Input, Popconfirm, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from '../../auth/session';
import { canWrite } from '../../auth/permissions';
import { Chart } from '../../components/Chart';
import { ErrorAlert } from '../../components/ErrorAlert';
import { chainOption, percent, STATUS_COLOURS, useLinkMutations, useSupplyChain, useSupplyLinks, type ChainNode, type Status, type SupplyLink } from './api';
import { ParkSelect } from './ParkSelect';

function LinkForm({ nodes }: { nodes: ChainNode[] }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const { create } = useLinkMutations();
  const options = nodes.map((n) => ({ value: n.id, label: n.name }));
  return (
    <Form form={form} layout="inline" data-testid="supply-link-form"
      onFinish={(v: { supplierEnterpriseId: string; customerEnterpriseId: string; material?: string }) =>
        create.mutate({ ...v, material: v.material ?? '' }, {
          onSuccess: () => { message.success(t('common.created')); form.resetFields(); },
          onError: (e) => message.error(e.message),
        })}>
      <Form.Item name="supplierEnterpriseId" label={t('analysis.supplier')} rules={[{ required: true }]}>
        <Select style={{ width: 200 }} options={options} showSearch optionFilterProp="label" />
      </Form.Item>
      <Form.Item name="customerEnterpriseId" label={t('analysis.customer')} rules={[{ required: true }]}>
        <Select style={{ width: 200 }} options={options} showSearch optionFilterProp="label" />
      </Form.Item>
      <Form.Item name="material" label={t('analysis.material')}><Input style={{ width: 160 }} maxLength={128} /></Form.Item>
      <Button type="primary" htmlType="submit" loading={create.isPending} data-testid="supply-link-add">{t('analysis.addLink')}</Button>
    </Form>
  );
}

// 供应链监测: declared supplier → customer links with each enterprise's operating status today.
export function SupplyChainPage() {
  const { t, i18n } = useTranslation();
  const { session } = useSession();
  const [park, setPark] = useState('');
  const chain = useSupplyChain(park);
  const links = useSupplyLinks();
  const { remove } = useLinkMutations();
  const option = useMemo(() => (chain.data ? chainOption(chain.data, t) : null), [chain.data, t]);
  const writable = canWrite(session?.user.role ?? null, 'analysis');
  const s = chain.data?.summary;
  const nodes = chain.data?.nodes ?? [];
  const statusTag = (st: Status) => <Tag color={STATUS_COLOURS[st]}>{t(`analysis.status.${st}`)}</Tag>;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="supply-chain-page">
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('analysis.chainTitle')}</Typography.Title>
        <ParkSelect value={park} onChange={setPark} />
      </Space>
      {chain.error && <ErrorAlert error={chain.error} onRetry={() => void chain.refetch()} />}
      <Row gutter={[16, 16]}>
        {(['running', 'slowed', 'stopped', 'unknown', 'atRisk'] as const).map((k) => (
          <Col key={k} xs={12} md={8} xl={4}>
            <Card size="small"><Statistic title={k === 'atRisk' ? t('analysis.atRiskCustomers') : t(`analysis.status.${k}`)}
              value={s?.[k] ?? '—'} valueStyle={k === 'atRisk' && s?.atRisk ? { color: '#cf1322' } : undefined}
              data-testid={`chain-${k}`} /></Card>
          </Col>
        ))}
      </Row>
      <Card size="small" title={t('analysis.chainGraph', { day: chain.data?.day ?? '' })}>
        {option && <Chart option={option} height={460} testId="supply-chain-chart" />}
        {chain.data && <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }} data-testid="supply-chain-method">
          <b>{t('analysis.method')}</b>：{i18n.language === 'en' ? chain.data.method.en : chain.data.method.zh}</Typography.Paragraph>}
      </Card>
      <Card size="small" title={t('analysis.nodes')}>
        <Table<ChainNode> rowKey="id" size="small" dataSource={nodes} pagination={false} data-testid="supply-chain-nodes"
          columns={[
            { title: t('analysis.enterprise'), dataIndex: 'name' },
            { title: t('analysis.industry'), dataIndex: 'industry' },
            { title: t('analysis.statusTitle'), dataIndex: 'status', render: statusTag },
            { title: t('analysis.todayRate'), dataIndex: 'todayRate', align: 'right', render: percent },
            { title: t('analysis.baseRate'), dataIndex: 'baseRate', align: 'right', render: percent },
            { title: t('analysis.risk'), dataIndex: 'atRisk', render: (v: boolean, n) => (v
              ? <Tag color="red">{t('analysis.atRiskBecause', { names: n.stoppedSuppliers.map((id) => nodes.find((x) => x.id === id)?.name ?? id).join('、') })}</Tag>
              : '—') },
          ]} />
      </Card>
      <Card size="small" title={t('analysis.links')}>
        <Space direction="vertical" style={{ width: '100%' }}>
          {writable && <LinkForm nodes={nodes} />}
          {links.error && <ErrorAlert error={links.error} />}
          <Table<SupplyLink> rowKey="id" size="small" dataSource={links.data ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }}
            data-testid="supply-links-table"
            columns={[
              { title: t('analysis.supplier'), dataIndex: 'supplierName' },
              { title: t('analysis.customer'), dataIndex: 'customerName' },
              { title: t('analysis.material'), dataIndex: 'material', render: (v: string) => v || '—' },
              ...(writable ? [{ title: t('common.actions'), key: 'a', render: (_: unknown, l: SupplyLink) => (
                <Popconfirm title={t('common.confirmDelete', { name: `${l.supplierName} → ${l.customerName}` })} onConfirm={() => remove.mutate(l.id)}>
                  <Button size="small" danger>{t('common.delete')}</Button>
                </Popconfirm>) }] : []),
            ]} />
        </Space>
      </Card>
    </Space>
  );
}
