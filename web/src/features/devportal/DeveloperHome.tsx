import { Alert, Button, Card, Col, Descriptions, Form, Input, Modal, Row, Space, Statistic, Table, Tag, Typography } from 'antd';
import { KeyOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { call, type ListPage } from '../../api/client';
import type { ApiKey } from '../../api/types';
import { CopyBlock } from '../../components/CopyBlock';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatShortTime, formatTime } from '../../i18n';
import { currentMonth, monthDays, useMeteringDaily, useMeteringSummary } from '../metering/api';
import { useDeveloper, useLatest, useSandboxDevices, type SandboxDevice } from './api';

function format(v: number | string | boolean | null): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  return v === null ? '—' : String(v);
}

function LiveValues({ device }: { device: SandboxDevice }) {
  const latest = useLatest(device.id);
  const values = latest.data ?? device.latest;
  const ts = Math.max(0, ...Object.values(values).map((p) => p.ts));
  return (
    <Space direction="vertical" size={2}>
      <Space wrap size={[4, 4]} data-testid={`sandbox-values-${device.name}`}>
        {Object.entries(values).sort(([a], [b]) => a.localeCompare(b)).map(([k, p]) => <Tag key={k}>{k}: {format(p.value)}</Tag>)}
      </Space>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>{formatShortTime(ts || null)}</Typography.Text>
    </Space>
  );
}

function ApiKeys() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: ['apikeys', 'mine'], queryFn: () => call<ListPage<ApiKey>>('GET', '/api/v1/apikeys') });
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<ApiKey | null>(null);
  const create = useMutation({
    mutationFn: (v: { name: string }) => call<ApiKey>('POST', '/api/v1/apikeys', { name: v.name, role: 'developer' }),
    onSuccess: (k) => {
      setOpen(false);
      setCreated(k);
      void qc.invalidateQueries({ queryKey: ['apikeys'] });
      void qc.invalidateQueries({ queryKey: ['metering'] }); // the key creation is a metered tool call
    },
  });
  return (
    <Card size="small" title={t('devportal.apiKeys')}
      extra={<Button size="small" icon={<KeyOutlined />} onClick={() => setOpen(true)} data-testid="devkey-create">{t('devportal.createKey')}</Button>}>
      {keys.error && <ErrorAlert error={keys.error} />}
      <Table rowKey="id" size="small" pagination={false} dataSource={keys.data?.items ?? []} loading={keys.isLoading}
        columns={[{ title: t('devportal.keyName'), dataIndex: 'name' }, { title: t('devportal.prefix'), dataIndex: 'prefix', render: (p: string) => <Typography.Text code>{p}…</Typography.Text> },
          { title: t('devportal.lastUsed'), dataIndex: 'lastUsedAt', render: (v: number | null) => formatShortTime(v) }]} />
      <Modal open={open} title={t('devportal.createKey')} onCancel={() => setOpen(false)} footer={null} destroyOnClose>
        {create.error && <ErrorAlert error={create.error} />}
        <Form layout="vertical" onFinish={(v: { name: string }) => create.mutate(v)}>
          <Form.Item name="name" label={t('devportal.keyName')} rules={[{ required: true, whitespace: true }]}><Input maxLength={128} /></Form.Item>
          <Button type="primary" htmlType="submit" loading={create.isPending} data-testid="devkey-submit">{t('common.create')}</Button>
        </Form>
      </Modal>
      <Modal open={created !== null} title={t('devportal.keyCreated')} onCancel={() => setCreated(null)} footer={null}>
        {created?.key && <CopyBlock text={created.key} testId="devkey-value" />}
      </Modal>
    </Card>
  );
}

function MyUsage({ userId }: { userId: string }) {
  const { t } = useTranslation();
  const month = currentMonth();
  const summary = useMeteringSummary(month);
  const { from, to } = monthDays(month);
  const daily = useMeteringDaily(from, to, userId);
  return (
    <Card size="small" title={t('devportal.myUsage')}>
      {summary.error && <ErrorAlert error={summary.error} />}
      <Row gutter={16} style={{ marginBottom: 12 }}>
        <Col span={12}><Statistic title={t('devportal.logins')} value={summary.data?.developerLogins ?? '—'} data-testid="my-logins" /></Col>
        <Col span={12}><Statistic title={t('devportal.toolCalls')} value={summary.data?.toolCalls ?? '—'} data-testid="my-tools" /></Col>
      </Row>
      <Table rowKey={(r) => `${r.day} ${r.kind}`} size="small" pagination={{ pageSize: 5 }} dataSource={daily.data?.items ?? []}
        columns={[{ title: t('devportal.day'), dataIndex: 'day' }, { title: t('devportal.kind'), dataIndex: 'kind', render: (k: string) => t(`metering.kinds.${k}`) },
          { title: t('devportal.count'), dataIndex: 'count', align: 'right' }]} />
    </Card>
  );
}

// The developer's home: their sandbox tenant's devices with live values, API keys and usage.
export function DeveloperHome() {
  const { t } = useTranslation();
  const me = useDeveloper();
  const sandbox = useSandboxDevices();
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="developer-home">
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('devportal.homeTitle')}</Typography.Title>
        <Link to="/developer/docs"><Button>{t('devportal.navDocs')}</Button></Link>
      </Space>
      {me.error && <ErrorAlert error={me.error} />}
      {me.data && (
        <Descriptions size="small" bordered column={{ xs: 1, md: 3 }} items={[
          { key: 'e', label: t('devportal.email'), children: me.data.email },
          { key: 'o', label: t('devportal.organisation'), children: me.data.organisation || '—' },
          { key: 't', label: t('common.tenant'), children: <Typography.Text code>{me.data.tenantId}</Typography.Text> },
          { key: 'v', label: t('devportal.verifiedTitle'), children: formatTime(me.data.verifiedAt) },
        ]} />
      )}
      <Card size="small" title={t('devportal.sandbox')}>
        <Alert type="info" showIcon message={t('devportal.sandboxHint')} style={{ marginBottom: 12 }} />
        {sandbox.error && <ErrorAlert error={sandbox.error} />}
        <Table rowKey="id" size="small" pagination={false} loading={sandbox.isLoading} dataSource={sandbox.data?.items ?? []}
          columns={[{ title: t('devportal.device'), dataIndex: 'name', width: 180,
            render: (n: string, d: SandboxDevice) => <Link to={`/devices/${d.id}`}>{n}</Link> },
          { title: t('devices.category'), dataIndex: 'category', width: 100, render: (c: string) => t(`category.${c}`) },
          { title: t('devportal.values'), key: 'v', render: (_: unknown, d: SandboxDevice) => <LiveValues device={d} /> }]} />
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}><ApiKeys /></Col>
        <Col xs={24} lg={12}>{me.data && <MyUsage userId={me.data.userId} />}</Col>
      </Row>
    </Space>
  );
}
