// /market/:appId/runs — an APP's runs (the publisher sees every enterprise's; tenant and
// enterprise admins their own): trigger, status, duration, log lines, error; filters.
import { Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { useSession } from '../../auth/session';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatNumber, formatTime } from '../../i18n';
import { appName, useApp, useEnterprises, useRuns, type RunRecord } from './api';

export function filterRuns(runs: RunRecord[], f: { status: string; trigger: string; fn: string }): RunRecord[] {
  return runs.filter((r) => (f.status === 'all' || (f.status === 'ok') === r.ok)
    && (!f.trigger || r.trigger === f.trigger) && (!f.fn || r.function.includes(f.fn)));
}

export function RunsPage() {
  const { appId = '' } = useParams();
  const { t, i18n } = useTranslation();
  const user = useSession().session?.user;
  const app = useApp(appId);
  const enterprises = useEnterprises(!!user?.tenantId);
  const [enterpriseId, setEnterpriseId] = useState<string | undefined>();
  const [status, setStatus] = useState('all');
  const [trigger, setTrigger] = useState('');
  const [fn, setFn] = useState('');
  const runs = useRuns(appId, enterpriseId);
  const all = useMemo(() => runs.data?.items ?? [], [runs.data]);
  const shown = useMemo(() => filterRuns(all, { status, trigger, fn }), [all, status, trigger, fn]);
  const triggers = [...new Set(all.map((r) => r.trigger))].sort();
  const entName = (id: string) => enterprises.data?.find((e) => e.id === id)?.name ?? id;
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="runs-page">
      <Space wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('runs.title')}</Typography.Title>
        <Link to={`/market/${appId}`}>{app.data ? appName(app.data, i18n.language) : appId}</Link>
      </Space>
      <Space wrap>
        {!user?.enterpriseId && (
          <Select allowClear showSearch optionFilterProp="label" placeholder={t('runs.allEnterprises')} style={{ width: 200 }} value={enterpriseId}
            onChange={setEnterpriseId} options={(enterprises.data ?? []).map((e) => ({ value: e.id, label: e.name }))} data-testid="runs-enterprise" />
        )}
        <Select style={{ width: 140 }} value={status} onChange={setStatus} data-testid="runs-status"
          options={[{ value: 'all', label: t('common.all') }, { value: 'ok', label: t('runs.ok') }, { value: 'failed', label: t('runs.failed') }]} />
        <Select allowClear placeholder={t('runs.trigger')} style={{ width: 140 }} value={trigger || undefined} onChange={(v) => setTrigger(v ?? '')}
          options={triggers.map((x) => ({ value: x, label: t(`market.triggerTypes.${x}`, { defaultValue: x }) }))} data-testid="runs-trigger" />
        <Input allowClear placeholder={t('runs.function')} style={{ width: 160 }} value={fn} onChange={(e) => setFn(e.target.value)} data-testid="runs-fn" />
        <Typography.Text type="secondary">{t('runs.count', { shown: shown.length, total: all.length })}</Typography.Text>
      </Space>
      {runs.error && <ErrorAlert error={runs.error} />}
      <Table rowKey="id" size="small" loading={runs.isLoading} dataSource={shown} pagination={{ pageSize: 20 }} data-testid="runs-table"
        expandable={{
          expandedRowRender: (r) => (
            <Space direction="vertical" style={{ width: '100%' }}>
              {r.error && <Typography.Text type="danger" data-testid="run-error">{r.error}</Typography.Text>}
              <pre style={{ margin: 0, fontSize: 12, whiteSpace: 'pre-wrap' }} data-testid="run-log">{r.log.length ? r.log.join('\n') : t('runs.noLog')}</pre>
            </Space>
          ),
        }}
        columns={[
          { title: t('runs.started'), dataIndex: 'startedAt', render: (v: number) => formatTime(v), width: 190 },
          { title: t('runs.function'), dataIndex: 'function', render: (f: string) => <Typography.Text code>{f}</Typography.Text> },
          { title: t('runs.trigger'), dataIndex: 'trigger', render: (x: string) => <Tag>{t(`market.triggerTypes.${x}`, { defaultValue: x })}</Tag> },
          { title: t('runs.status'), dataIndex: 'ok', render: (ok: boolean) => <Tag color={ok ? 'green' : 'red'}>{ok ? t('runs.ok') : t('runs.failed')}</Tag> },
          { title: t('runs.duration'), dataIndex: 'durationUs', align: 'right', render: (us: number) => `${formatNumber(us / 1000, 2)} ms` },
          { title: t('market.enterprise'), dataIndex: 'enterpriseId', render: entName, responsive: ['md'] },
          { title: t('runs.error'), dataIndex: 'error', ellipsis: true, render: (e: string) => e ? <Typography.Text type="danger">{e}</Typography.Text> : '—' },
        ]} />
    </Space>
  );
}
