// One rule chain: the JSON editor (syntax errors with line and column; the server's validation
// errors next to the node they name), save as a new version, enable/disable, the version history,
// a read-only graph and a dry run on a sample message.
import { Alert, Button, Card, Col, Empty, Form, List, Result, Row, Select, Space, Spin, Switch, Table, Tabs, Tag, Timeline,
  Typography, message } from 'antd';
import { ArrowLeftOutlined, CheckCircleOutlined, PlayCircleOutlined, SaveOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { ApiError, call, listAll } from '../api/client';
import type { Device, DryRunResult, RuleChain, RuleChainDefinition } from '../api/types';
import { useRole } from '../auth/session';
import { canWrite } from '../auth/permissions';
import { Chart } from '../components/Chart';
import { CopyBlock } from '../components/CopyBlock';
import { ErrorAlert } from '../components/ErrorAlert';
import { JsonEditor } from '../components/JsonEditor';
import { formatTime } from '../i18n';
import { usePreferences } from '../preferences';
import { graphOption, groupErrors, layers, nodesOf, parseJson, type GroupedErrors } from '../ruleChain';
import { useToggleChain } from './RuleChains';

const pretty = (v: unknown) => JSON.stringify(v, null, 2);
const MESSAGE_TYPES = ['telemetry', 'attributes', 'connected', 'disconnected', 'inactivity', 'activity'];

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setV(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return v;
}

// The server's verdict on a definition (debounced while typing).
export function useValidation(definition: unknown) {
  const key = useDebounced(definition === null ? '' : JSON.stringify(definition), 400);
  return useQuery({
    queryKey: ['rulechains', 'validate', key],
    enabled: key !== '',
    queryFn: () => call<{ valid: boolean; errors: string[] }>('POST', '/api/v1/rulechains/validate', { definition: JSON.parse(key) }),
    staleTime: Infinity,
  });
}

export function RuleChainDetailPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const role = useRole();
  const qc = useQueryClient();
  const writable = canWrite(role, 'rulechains');
  const chain = useQuery({ queryKey: ['rulechains', 'one', id], queryFn: () => call<RuleChain>('GET', `/api/v1/rulechains/${encodeURIComponent(id)}`) });
  const [text, setText] = useState<string | null>(null);
  const [viewing, setViewing] = useState<number | null>(null);
  const [path, setPath] = useState<Set<string>>(new Set());
  useEffect(() => {
    if (chain.data && text === null) setText(pretty(chain.data.definition));
  }, [chain.data, text]);
  const parsed = useMemo(() => parseJson(text ?? '{}'), [text]);
  const validation = useValidation(parsed.problem ? null : parsed.value);
  const grouped = useMemo(() => groupErrors(validation.data?.errors ?? [], parsed.value as RuleChainDefinition | null), [validation.data, parsed.value]);
  const toggle = useToggleChain();
  const save = useMutation({
    mutationFn: () => call<RuleChain>('PUT', `/api/v1/rulechains/${encodeURIComponent(id)}`, { definition: parsed.value }),
    onSuccess: (c) => {
      qc.setQueryData(['rulechains', 'one', id], c);
      void qc.invalidateQueries({ queryKey: ['rulechains', 'list'] });
      void qc.invalidateQueries({ queryKey: ['rulechains', 'versions', id] });
      setText(pretty(c.definition));
      setViewing(null);
      void message.success(t('ruleChains.savedVersion', { version: c.version }));
    },
  });

  if (chain.isLoading) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;
  if (chain.error) {
    if (chain.error instanceof ApiError && chain.error.status === 404)
      return <Result status="404" title={t('ruleChains.notFound')} extra={<Link to="/rule-chains">{t('ruleChains.back')}</Link>} />;
    return <ErrorAlert error={chain.error} onRetry={() => void chain.refetch()} />;
  }
  const c = chain.data!;
  const def = parsed.problem ? null : (parsed.value as RuleChainDefinition);
  const invalid = !!parsed.problem || validation.data?.valid === false;
  const dirty = text !== null && !parsed.problem && JSON.stringify(parsed.value) !== JSON.stringify(c.definition);
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card
        title={<Space wrap>
          <Link to="/rule-chains" aria-label={t('ruleChains.back')}><ArrowLeftOutlined /></Link>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="chain-name">{c.name}</Typography.Title>
          <Tag color="blue" data-testid="chain-version">v{c.version}</Tag>
          <Switch checked={c.enabled} disabled={!writable} loading={toggle.isPending} checkedChildren={t('ruleChains.stateOn')}
            unCheckedChildren={t('ruleChains.stateOff')} data-testid="chain-enabled"
            onChange={(on) => toggle.mutate({ id: c.id, enabled: on }, { onSuccess: (x) => qc.setQueryData(['rulechains', 'one', id], x) })} />
        </Space>}
        extra={writable && (
          <Button type="primary" icon={<SaveOutlined />} disabled={invalid || !dirty} loading={save.isPending} onClick={() => save.mutate()} data-testid="chain-save">
            {t('ruleChains.saveVersion')}
          </Button>)}>
        {c.description && <Typography.Paragraph type="secondary">{c.description}</Typography.Paragraph>}
        <Typography.Text type="secondary">{t('ruleChains.updatedBy')}: {c.updatedBy} · {formatTime(c.updatedAt)}</Typography.Text>
        {save.error && <div style={{ marginTop: 12 }}><ErrorAlert error={save.error} /></div>}
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={14}>
          <Card title={t('ruleChains.editor')} extra={<Space>
            {viewing !== null && <Tag color="orange">{t('ruleChains.viewing', { version: viewing })}</Tag>}
            <Button size="small" disabled={!!parsed.problem} onClick={() => setText(pretty(parsed.value))}>{t('ruleChains.format')}</Button>
          </Space>}>
            <JsonEditor value={text ?? ''} onChange={setText} rows={26} testId="chain-editor" />
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <NodesCard def={def} grouped={grouped} loading={validation.isFetching} valid={validation.data?.valid} error={validation.error} />
        </Col>
      </Row>
      <Card>
        <Tabs items={[
          { key: 'graph', label: t('ruleChains.graph'), children: def ? <GraphPanel def={def} errors={grouped.byNode} path={path} /> : <Empty /> },
          { key: 'dryrun', label: t('ruleChains.dryRun'), children: <DryRunPanel chainId={id} definition={def} onPath={setPath} /> },
          { key: 'versions', label: t('ruleChains.versions'), children: <VersionsPanel chainId={id} current={c.version}
            onLoad={(v) => { setText(pretty(v.definition)); setViewing(v.version === c.version ? null : v.version); }} /> },
        ]} />
      </Card>
    </Space>
  );
}

function NodesCard({ def, grouped, loading, valid, error }: { def: RuleChainDefinition | null; grouped: GroupedErrors; loading: boolean; valid?: boolean; error: unknown }) {
  const { t } = useTranslation();
  const count = grouped.chain.length + Object.values(grouped.byNode).reduce((n, e) => n + e.length, 0);
  return (
    <Card title={t('ruleChains.nodes')} extra={loading ? <Spin size="small" /> : valid === true
      ? <Tag icon={<CheckCircleOutlined />} color="success" data-testid="chain-valid">{t('ruleChains.valid')}</Tag>
      : valid === false ? <Tag color="error" data-testid="chain-invalid">{t('ruleChains.invalid', { count })}</Tag> : null}>
      {!!error && <ErrorAlert error={error} />}
      {grouped.chain.length > 0 && (
        <Alert type="error" showIcon style={{ marginBottom: 12 }} message={t('ruleChains.chainErrors')} data-testid="chain-errors"
          description={<ul style={{ margin: 0, paddingInlineStart: 18 }}>{grouped.chain.map((e) => <li key={e}>{e}</li>)}</ul>} />
      )}
      {!def ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} /> : (
        <List size="small" dataSource={nodesOf(def)} renderItem={(n, i) => {
          const errs = grouped.byNode[n.id] ?? [];
          return (
            <List.Item data-testid={`node-${n.id || i}`} style={{ display: 'block' }}>
              <Space wrap size={6}>
                <Typography.Text code strong>{n.id || `#${i}`}</Typography.Text>
                <Tag color={errs.length ? 'error' : 'geekblue'}>{n.type}</Tag>
                {Object.entries(n.next ?? {}).map(([rel, to]) => (
                  <Typography.Text key={rel} type="secondary" style={{ fontSize: 12 }}>{rel} → {Array.isArray(to) ? to.join(', ') : String(to)}</Typography.Text>
                ))}
              </Space>
              {errs.map((e) => <div key={e}><Typography.Text type="danger" data-testid={`node-error-${n.id}`}>{e}</Typography.Text></div>)}
            </List.Item>
          );
        }} />
      )}
    </Card>
  );
}

function GraphPanel({ def, errors, path }: { def: RuleChainDefinition; errors: Record<string, string[]>; path: Set<string> }) {
  const { theme } = usePreferences();
  const option = useMemo(() => graphOption(def, errors, path, theme === 'dark'), [def, errors, path, theme]);
  const rows = Math.max(1, ...[...layers(def).values()].map((p) => p.row + 1));
  return <Chart option={option} height={Math.max(280, rows * 90 + 120)} testId="chain-graph" />;
}

function DryRunPanel({ chainId, definition, onPath }: { chainId: string; definition: RuleChainDefinition | null; onPath: (p: Set<string>) => void }) {
  const { t } = useTranslation();
  const [data, setData] = useState('{\n  "temperature": 95\n}');
  const [metadata, setMetadata] = useState('{}');
  const [type, setType] = useState('telemetry');
  const [deviceId, setDeviceId] = useState<string | undefined>();
  const devices = useQuery({ queryKey: ['list', '/api/v1/devices', ''], queryFn: () => listAll<Device>('/api/v1/devices') });
  const d = parseJson(data);
  const m = parseJson(metadata);
  const run = useMutation({
    mutationFn: () => call<DryRunResult>('POST', `/api/v1/rulechains/${encodeURIComponent(chainId)}/dryrun`, {
      message: { type, ...(deviceId ? { deviceId } : {}), data: d.value, metadata: m.value },
      ...(definition ? { definition } : {}),
    }),
    onSuccess: (r) => onPath(new Set(r.steps.map((s) => s.nodeId))),
  });
  return (
    <Row gutter={24}>
      <Col xs={24} lg={10}>
        <Typography.Paragraph type="secondary">{t('ruleChains.dryRunHint')}</Typography.Paragraph>
        <Form layout="vertical" onFinish={() => run.mutate()}>
          <Form.Item label={t('ruleChains.msgType')} htmlFor="dryrun-type">
            <Select id="dryrun-type" value={type} onChange={setType} options={MESSAGE_TYPES.map((x) => ({ value: x, label: x }))} />
          </Form.Item>
          <Form.Item label={t('ruleChains.msgDevice')} htmlFor="dryrun-device">
            <Select id="dryrun-device" allowClear showSearch optionFilterProp="label" value={deviceId} onChange={setDeviceId} loading={devices.isLoading}
              options={(devices.data ?? []).map((x) => ({ value: x.id, label: x.name }))} data-testid="dryrun-device" />
          </Form.Item>
          <Form.Item label={t('ruleChains.msgData')}><JsonEditor value={data} onChange={setData} rows={5} testId="dryrun-data" /></Form.Item>
          <Form.Item label={t('ruleChains.msgMetadata')}><JsonEditor value={metadata} onChange={setMetadata} rows={2} testId="dryrun-metadata" /></Form.Item>
          <Button type="primary" htmlType="submit" icon={<PlayCircleOutlined />} loading={run.isPending}
            disabled={!!d.problem || !!m.problem} data-testid="dryrun-run">{t('ruleChains.run')}</Button>
        </Form>
      </Col>
      <Col xs={24} lg={14}>
        {run.error && <ErrorAlert error={run.error} />}
        {run.data && (
          <Space direction="vertical" style={{ width: '100%' }} data-testid="dryrun-result">
            <Typography.Title level={5}>{t('ruleChains.path')}</Typography.Title>
            {run.data.steps.length === 0 ? <Empty description={t('ruleChains.noSteps')} image={Empty.PRESENTED_IMAGE_SIMPLE} /> : (
              <Timeline items={run.data.steps.map((s, i) => ({
                color: s.error ? 'red' : 'green',
                children: (
                  <div data-testid={`dryrun-step-${s.nodeId}`}>
                    <Space wrap size={6}>
                      <Typography.Text type="secondary">{i + 1}.</Typography.Text>
                      <Typography.Text code strong>{s.nodeId}</Typography.Text>
                      <Tag>{s.type}</Tag>→<Tag color={s.error ? 'error' : 'success'}>{s.relation}</Tag>
                      {s.next.length > 0 && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{s.next.join(', ')}</Typography.Text>}
                    </Space>
                    {s.error && <div><Typography.Text type="danger">{s.error}</Typography.Text></div>}
                    {s.output !== null && (
                      <details><summary style={{ cursor: 'pointer', fontSize: 12 }}>{t('ruleChains.output')}</summary><CopyBlock text={pretty(s.output)} /></details>
                    )}
                  </div>
                ),
              }))} />
            )}
            <Typography.Title level={5}>{t('ruleChains.actions')}</Typography.Title>
            {run.data.actions.length === 0 ? <Typography.Text type="secondary">{t('ruleChains.noActions')}</Typography.Text> : (
              <List size="small" bordered dataSource={run.data.actions} data-testid="dryrun-actions" renderItem={(a) => (
                <List.Item style={{ display: 'block' }}>
                  <Tag color="purple">{a.kind}</Tag>
                  <Typography.Text code style={{ fontSize: 12, wordBreak: 'break-all' }}>{JSON.stringify(a.detail)}</Typography.Text>
                </List.Item>
              )} />
            )}
          </Space>
        )}
      </Col>
    </Row>
  );
}

function VersionsPanel({ chainId, current, onLoad }: { chainId: string; current: number; onLoad: (c: RuleChain) => void }) {
  const { t } = useTranslation();
  const versions = useQuery({ queryKey: ['rulechains', 'versions', chainId, current], queryFn: () => listAll<RuleChain>(`/api/v1/rulechains/${encodeURIComponent(chainId)}/versions`) });
  if (versions.error) return <ErrorAlert error={versions.error} onRetry={() => void versions.refetch()} />;
  return (
    <Table<RuleChain> rowKey="version" size="small" loading={versions.isLoading} dataSource={versions.data ?? []} pagination={false} data-testid="chain-versions"
      columns={[
        { title: t('ruleChains.version'), dataIndex: 'version', render: (v: number) => <Space><Tag>v{v}</Tag>{v === current && <Tag color="blue">{t('ruleChains.current')}</Tag>}</Space> },
        { title: t('ruleChains.nodes'), key: 'n', render: (_, c) => c.definition?.nodes?.length ?? 0 },
        { title: t('ruleChains.updatedBy'), dataIndex: 'updatedBy' },
        { title: t('ruleChains.updatedAt'), dataIndex: 'updatedAt', render: formatTime },
        { title: t('common.actions'), key: 'a', render: (_, c) => <Button size="small" onClick={() => onLoad(c)} data-testid={`load-v${c.version}`}>{t('ruleChains.load')}</Button> },
      ]} />
  );
}
