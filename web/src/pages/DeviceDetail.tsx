// One device: details, latest values and a live trend (pushed over the WebSocket feed; polled
// only while the socket cannot open), history with aggregation, attributes, an RPC form and the
// device's alarms.
import { Button, Card, Col, DatePicker, Descriptions, Empty, Form, Input, InputNumber, Result, Row, Select, Space, Spin,
  Table, Tabs, Tag, Typography } from 'antd';
import { ArrowLeftOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { ApiError, client, unwrap } from '../api/client';
import type { Device, Enterprise, Point, Profile } from '../api/types';
import { useRole } from '../auth/session';
import { canWrite } from '../auth/permissions';
import { useLiveSubscription, type FeedMessage, type FeedState } from '../api/live';
import { AlarmList, useLiveAlarms } from '../components/AlarmList';
import { Chart } from '../components/Chart';
import { LiveState } from '../components/LiveState';
import { CopyBlock } from '../components/CopyBlock';
import { ErrorAlert } from '../components/ErrorAlert';
import { curlExample, mqttExample } from '../components/DeviceCreatedModal';
import { DeviceActions } from '../components/DeviceActions';
import { formatNumber, formatShortTime, formatTime } from '../i18n';
import { OnlineBadge, useConnectInfo } from './Devices';

const POLL_MS = 3000;
const LIVE_WINDOW_MS = 15 * 60_000;
type Series = Record<string, Point[]>;

const PALETTE = ['#1668dc', '#13a8a8', '#fa8c16', '#eb2f96', '#722ed1', '#52c41a'];
const PANEL_PX = 150;

export function numericKeys(series: Series): string[] {
  return Object.keys(series).filter((k) => series[k].some((p) => typeof p.value === 'number')).sort();
}

// One small panel per numeric key (values of different magnitudes stay readable), sharing the
// time axis and its zoom.
export function lineOption(series: Series, units: Record<string, string>, names: Record<string, string> = {}) {
  const keys = numericKeys(series);
  const top = 8;
  return {
    tooltip: { trigger: 'axis' },
    axisPointer: { link: [{ xAxisIndex: 'all' }] },
    color: PALETTE,
    grid: keys.map((_, i) => ({ left: 64, right: 24, top: top + i * PANEL_PX + 32, height: PANEL_PX - 58 })),
    title: keys.map((k, i) => ({
      text: `${names[k] ? `${names[k]} · ` : ''}${k}${units[k] ? ` (${units[k]})` : ''}`,
      left: 8, top: top + i * PANEL_PX, textStyle: { fontSize: 12, fontWeight: 'normal' },
    })),
    xAxis: keys.map((_, i) => ({ type: 'time', gridIndex: i, splitNumber: 5, axisLabel: { show: i === keys.length - 1, hideOverlap: true } })),
    yAxis: keys.map((_, i) => ({ type: 'value', gridIndex: i, scale: true, splitNumber: 2 })),
    dataZoom: [{ type: 'inside', xAxisIndex: keys.map((_, i) => i) }],
    series: keys.map((k, i) => ({
      name: k, type: 'line', xAxisIndex: i, yAxisIndex: i, showSymbol: series[k].length < 40, symbolSize: 4,
      areaStyle: { opacity: 0.08 }, data: series[k].map((p) => [p.ts, p.value]),
    })),
  };
}

// Merges pushed samples into a series (kept sorted, trimmed to the live window).
export function mergeSamples(series: Series, samples: { key: string; ts: number; value: Point['value'] }[], now = Date.now()): Series {
  const out: Series = { ...series };
  for (const s of samples) {
    const list = out[s.key] === series[s.key] ? [...(series[s.key] ?? [])] : out[s.key];
    if (list.length && list[list.length - 1].ts > s.ts) {
      if (!list.some((p) => p.ts === s.ts)) { list.push({ ts: s.ts, value: s.value }); list.sort((a, b) => a.ts - b.ts); }
    } else if (!list.length || list[list.length - 1].ts !== s.ts) list.push({ ts: s.ts, value: s.value });
    out[s.key] = list;
  }
  const from = now - LIVE_WINDOW_MS;
  for (const k of Object.keys(out)) if (out[k].length && out[k][0].ts < from) out[k] = out[k].filter((p) => p.ts >= from);
  return out;
}

export function mergeLatest(latest: Record<string, Point>, samples: { key: string; ts: number; value: Point['value'] }[]): Record<string, Point> {
  const out = { ...latest };
  for (const s of samples) if (!out[s.key] || out[s.key].ts <= s.ts) out[s.key] = { ts: s.ts, value: s.value };
  return out;
}

// Telemetry of one device pushed into the latest and trend queries; after a reconnect both are
// fetched once to fill the gap.
function useLiveTelemetry(id: string): FeedState {
  const qc = useQueryClient();
  const state = useLiveSubscription({ telemetry: { devices: [id] } }, (m: FeedMessage) => {
    if (m.type !== 'telemetry' || m.deviceId !== id) return;
    const samples = (m.samples ?? []) as { key: string; ts: number; value: Point['value'] }[];
    qc.setQueryData<Record<string, Point>>(['latest', id], (old) => mergeLatest(old ?? {}, samples));
    qc.setQueryData<Series>(['trend', id], (old) => mergeSamples(old ?? {}, samples));
  });
  const prev = useRef(state);
  useEffect(() => {
    if (state === 'open' && prev.current !== 'open' && prev.current !== 'connecting') {
      void qc.invalidateQueries({ queryKey: ['latest', id] });
      void qc.invalidateQueries({ queryKey: ['trend', id] });
    }
    prev.current = state;
  }, [state, id, qc]);
  return state;
}

export function chartHeight(series: Series): number {
  return Math.max(1, numericKeys(series).length) * PANEL_PX + 24;
}

function formatValue(v: Point['value']): string {
  if (typeof v === 'number') return formatNumber(v, 4);
  if (typeof v === 'boolean') return String(v);
  return v ?? '—';
}

export function DeviceDetailPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const role = useRole();
  const live = useLiveTelemetry(id);
  const liveAlarms = useLiveAlarms(id);
  const device = useQuery({
    queryKey: ['device', id],
    queryFn: () => unwrap(client.GET('/api/v1/devices/{id}', { params: { path: { id } } })) as Promise<unknown> as Promise<Device>,
    refetchInterval: POLL_MS * 2,
  });
  const enterprise = useQuery({
    queryKey: ['enterprise', device.data?.enterpriseId],
    enabled: !!device.data,
    queryFn: () => unwrap(client.GET('/api/v1/enterprises/{id}', { params: { path: { id: device.data!.enterpriseId } } })) as Promise<unknown> as Promise<Enterprise>,
  });
  const profile = useQuery({
    queryKey: ['profile', device.data?.profileId],
    enabled: !!device.data?.profileId,
    queryFn: () => unwrap(client.GET('/api/v1/profiles/{id}', { params: { path: { id: device.data!.profileId! } } })) as Promise<unknown> as Promise<Profile>,
  });
  const units = useMemo(() => {
    const out: Record<string, string> = {};
    for (const p of profile.data?.thingModel?.properties ?? []) if (p.unit) out[p.identifier] = p.unit;
    return out;
  }, [profile.data]);
  const names = useMemo(() => {
    const out: Record<string, string> = {};
    for (const p of profile.data?.thingModel?.properties ?? []) if (p.name) out[p.identifier] = p.name;
    return out;
  }, [profile.data]);

  if (device.isLoading) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;
  if (device.error) {
    if (device.error instanceof ApiError && device.error.status === 404)
      return <Result status="404" title={t('device.notFound')} extra={<Link to="/devices">{t('nav.devices')}</Link>} />;
    return <ErrorAlert error={device.error} onRetry={() => void device.refetch()} />;
  }
  const d = device.data!;
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card
        title={<Space>
          <Link to="/devices" aria-label={t('nav.devices')}><ArrowLeftOutlined /></Link>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="device-name">{d.name}</Typography.Title>
          <OnlineBadge online={d.online} />
        </Space>}
        extra={canWrite(role, 'devices') ? <DeviceActions device={d} /> : null}>
        <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }}>
          <Descriptions.Item label={t('common.id')}><Typography.Text code copyable>{d.id}</Typography.Text></Descriptions.Item>
          <Descriptions.Item label={t('devices.category')}><Tag color="geekblue">{t(`category.${d.category}`)}</Tag></Descriptions.Item>
          <Descriptions.Item label={t('devices.protocol')}><Typography.Text code>{d.protocol}</Typography.Text></Descriptions.Item>
          <Descriptions.Item label={t('devices.enterprise')}>{enterprise.data?.name ?? d.enterpriseId}</Descriptions.Item>
          <Descriptions.Item label={t('devices.profile')}>{profile.data?.name ?? d.profileId ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('devices.lastSeen')}>{d.lastSeenAt ? formatTime(d.lastSeenAt) : t('common.never')}</Descriptions.Item>
          {d.label && <Descriptions.Item label={t('devices.label')}>{d.label}</Descriptions.Item>}
          {d.accessToken && <Descriptions.Item label={t('devices.accessToken')}><Typography.Text code copyable>{d.accessToken}</Typography.Text></Descriptions.Item>}
        </Descriptions>
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={9}><LatestCard id={id} units={units} names={names} live={live} /></Col>
        <Col xs={24} xl={15}><TrendCard id={id} units={units} names={names} live={live} /></Col>
      </Row>
      <Card>
        <Tabs items={[
          { key: 'history', label: t('device.history'), children: <HistoryPanel id={id} units={units} /> },
          { key: 'alarms', label: t('device.alarms'), children: <AlarmList filters={{ deviceId: id }} showDevice={false} poll={liveAlarms === 'unavailable'} /> },
          { key: 'attributes', label: t('device.attributes'), children: <AttributesPanel id={id} /> },
          ...(canWrite(role, 'devices') ? [{ key: 'rpc', label: t('device.rpc'), children: <RpcPanel id={id} online={d.online} /> }] : []),
          ...(d.accessToken ? [{ key: 'connect', label: t('device.connect'), children: <ConnectPanel device={d} /> }] : []),
        ]} />
      </Card>
    </Space>
  );
}

interface LiveCardProps { id: string; units: Record<string, string>; names: Record<string, string>; live: FeedState }

function LatestCard({ id, units, names, live }: LiveCardProps) {
  const { t } = useTranslation();
  const latest = useQuery({
    queryKey: ['latest', id],
    queryFn: () => unwrap(client.GET('/api/v1/devices/{id}/telemetry/latest', { params: { path: { id } } })) as Promise<unknown> as Promise<Record<string, Point>>,
    refetchInterval: live === 'unavailable' ? POLL_MS : false,
    staleTime: Infinity,
  });
  const rows = Object.entries(latest.data ?? {}).map(([key, p]) => ({ key, ...p }));
  return (
    <Card title={t('device.latest')} extra={live === 'unavailable' ? <Typography.Text type="secondary">{t('device.polling', { seconds: POLL_MS / 1000 })}</Typography.Text> : <LiveState state={live} />} style={{ height: '100%' }}>
      {latest.error && <ErrorAlert error={latest.error} />}
      <Table size="small" rowKey="key" loading={latest.isLoading} dataSource={rows} pagination={false} data-testid="latest-table"
        locale={{ emptyText: <Empty description={t('device.noTelemetry')} image={Empty.PRESENTED_IMAGE_SIMPLE} /> }}
        columns={[
          { title: t('device.key'), dataIndex: 'key', render: (k: string) => <Space direction="vertical" size={0}>
            <Typography.Text code style={{ whiteSpace: 'nowrap' }}>{k}</Typography.Text>{names[k] && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{names[k]}</Typography.Text>}</Space> },
          { title: t('device.value'), dataIndex: 'value', align: 'right', render: (v: Point['value'], r) => (
            <Typography.Text strong style={{ whiteSpace: 'nowrap' }} data-testid={`latest-${r.key}`}>{formatValue(v)}{units[r.key] ? ` ${units[r.key]}` : ''}</Typography.Text>) },
          { title: t('device.time'), dataIndex: 'ts', render: (ts: number) => <span style={{ whiteSpace: 'nowrap' }} title={formatTime(ts)}>{formatShortTime(ts)}</span> },
        ]} />
    </Card>
  );
}

function TrendCard({ id, units, names, live }: LiveCardProps) {
  const { t } = useTranslation();
  const trend = useQuery({
    queryKey: ['trend', id],
    queryFn: () => {
      const to = Date.now() + 1;
      return unwrap(client.GET('/api/v1/devices/{id}/telemetry', {
        params: { path: { id }, query: { from: to - LIVE_WINDOW_MS, to, limit: 2000 } as never },
      })) as Promise<unknown> as Promise<Series>;
    },
    refetchInterval: live === 'unavailable' ? POLL_MS : false,
    staleTime: Infinity,
  });
  const option = useMemo(() => lineOption(trend.data ?? {}, units, names), [trend.data, units, names]);
  const empty = !trend.isLoading && Object.values(trend.data ?? {}).every((s) => !s.some((p) => typeof p.value === 'number'));
  return (
    <Card title={t('device.trend')} extra={<Space size="middle"><Typography.Text type="secondary">{t('device.last15m')}</Typography.Text><LiveState state={live} /></Space>}>
      {trend.error && <ErrorAlert error={trend.error} />}
      {empty ? <Empty description={t('device.noTelemetry')} style={{ height: 280, paddingTop: 80 }} />
        : <Chart option={option} height={chartHeight(trend.data ?? {})} testId="trend-chart" />}
    </Card>
  );
}

const AGGS = ['none', 'avg', 'min', 'max', 'sum', 'count', 'first', 'last'] as const;
const INTERVALS = [
  { value: 60_000, label: '1 min' }, { value: 300_000, label: '5 min' }, { value: 900_000, label: '15 min' },
  { value: 3_600_000, label: '1 h' }, { value: 86_400_000, label: '1 d' },
];

function HistoryPanel({ id, units }: { id: string; units: Record<string, string> }) {
  const { t } = useTranslation();
  // A preset is relative ("the last hour" when Query is pressed); picking dates makes it absolute.
  const [relative, setRelative] = useState<number | null>(3_600_000);
  const [range, setRange] = useState<[Dayjs, Dayjs]>([dayjs().subtract(1, 'hour'), dayjs()]);
  const [keys, setKeys] = useState<string[]>([]);
  const [agg, setAgg] = useState<(typeof AGGS)[number]>('avg');
  const [interval, setIntervalMs] = useState(60_000);
  const [request, setRequest] = useState<{ from: number; to: number; keys: string; agg: string; interval: number } | null>(null);
  const keyList = useQuery({
    queryKey: ['keys', id],
    queryFn: () => unwrap(client.GET('/api/v1/devices/{id}/telemetry/keys', { params: { path: { id } } })) as Promise<unknown> as Promise<string[]>,
  });
  const history = useQuery({
    queryKey: ['history', id, request],
    enabled: !!request,
    queryFn: () => unwrap(client.GET('/api/v1/devices/{id}/telemetry', {
      params: { path: { id }, query: {
        from: request!.from, to: request!.to, keys: request!.keys || undefined, agg: request!.agg,
        interval: request!.agg === 'none' ? undefined : request!.interval, limit: request!.agg === 'none' ? 10000 : undefined,
      } as never },
    })) as Promise<unknown> as Promise<Series>,
  });
  const count = Object.values(history.data ?? {}).reduce((n, s) => n + s.length, 0);
  const presets = [
    { label: t('device.last15m'), value: [dayjs().subtract(15, 'minute'), dayjs()] as [Dayjs, Dayjs] },
    { label: t('device.last1h'), value: [dayjs().subtract(1, 'hour'), dayjs()] as [Dayjs, Dayjs] },
    { label: t('device.last24h'), value: [dayjs().subtract(1, 'day'), dayjs()] as [Dayjs, Dayjs] },
    { label: t('device.last7d'), value: [dayjs().subtract(7, 'day'), dayjs()] as [Dayjs, Dayjs] },
  ];
  const aggLabel = (a: string) => t(`device.agg${a.charAt(0).toUpperCase()}${a.slice(1)}`);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Form layout="inline" style={{ rowGap: 8 }} onFinish={() => {
        const now = Date.now();
        const [from, to] = relative ? [now - relative, now + 1] : [range[0].valueOf(), range[1].valueOf()];
        if (relative) setRange([dayjs(from), dayjs(now)]);
        setRequest({ from, to, keys: keys.join(','), agg, interval });
      }}>
        <Form.Item label={t('device.range')} style={{ maxWidth: '100%', minWidth: 0 }}>
          <DatePicker.RangePicker showTime value={range} presets={presets} style={{ width: '100%', minWidth: 0 }} onChange={(v) => {
            if (!v?.[0] || !v[1]) return;
            setRange([v[0], v[1]]);
            const preset = presets.find((p) => Math.abs(p.value[0].diff(v[0])) < 2000 && Math.abs(p.value[1].diff(v[1])) < 2000);
            setRelative(preset ? preset.value[1].diff(preset.value[0]) : null);
          }} />
        </Form.Item>
        <Form.Item label={t('device.keys')}>
          <Select mode="multiple" allowClear style={{ minWidth: 200 }} placeholder={t('common.all')} value={keys} onChange={setKeys}
            loading={keyList.isLoading} options={(keyList.data ?? []).map((k) => ({ value: k, label: k }))} />
        </Form.Item>
        <Form.Item label={t('device.agg')}>
          <Select style={{ width: 120 }} value={agg} onChange={setAgg} options={AGGS.map((a) => ({ value: a, label: aggLabel(a) }))} />
        </Form.Item>
        {agg !== 'none' && (
          <Form.Item label={t('device.interval')}>
            <Select style={{ width: 100 }} value={interval} onChange={setIntervalMs} options={INTERVALS} />
          </Form.Item>
        )}
        <Form.Item><Button type="primary" htmlType="submit" loading={history.isFetching}>{t('device.query')}</Button></Form.Item>
      </Form>
      {history.error && <ErrorAlert error={history.error} />}
      {history.data && (
        <>
          <Typography.Text type="secondary">{t('device.points', { count })}</Typography.Text>
          {count > 0 ? <Chart option={lineOption(history.data, units)} height={chartHeight(history.data)} testId="history-chart" />
            : <Empty description={t('device.noTelemetry')} />}
        </>
      )}
    </Space>
  );
}

function AttributesPanel({ id }: { id: string }) {
  const { t } = useTranslation();
  const attrs = useQuery({
    queryKey: ['attributes', id],
    queryFn: () => unwrap(client.GET('/api/v1/devices/{id}/attributes', { params: { path: { id } } })) as Promise<unknown> as Promise<Record<'client' | 'shared' | 'server', Record<string, unknown>>>,
  });
  if (attrs.error) return <ErrorAlert error={attrs.error} onRetry={() => void attrs.refetch()} />;
  if (attrs.isLoading) return <Spin />;
  const scopes = [['client', 'device.scopeClient'], ['shared', 'device.scopeShared'], ['server', 'device.scopeServer']] as const;
  return (
    <Row gutter={[16, 16]}>
      {scopes.map(([scope, label]) => {
        const rows = Object.entries(attrs.data?.[scope] ?? {}).map(([key, value]) => ({ key, value: JSON.stringify(value) }));
        return (
          <Col xs={24} lg={8} key={scope}>
            <Card size="small" title={t(label)}>
              <Table size="small" rowKey="key" pagination={false} dataSource={rows}
                locale={{ emptyText: <Empty description={t('device.noAttributes')} image={Empty.PRESENTED_IMAGE_SIMPLE} /> }}
                columns={[{ title: t('device.key'), dataIndex: 'key', render: (k: string) => <Typography.Text code>{k}</Typography.Text> },
                  { title: t('device.value'), dataIndex: 'value' }]} />
            </Card>
          </Col>
        );
      })}
    </Row>
  );
}

function RpcPanel({ id, online }: { id: string; online: boolean }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const rpc = useMutation({
    mutationFn: (v: { method: string; params: string; timeoutMs: number }) =>
      unwrap(client.POST('/api/v1/devices/{id}/rpc', {
        params: { path: { id } },
        body: { method: v.method, params: v.params?.trim() ? JSON.parse(v.params) : null, timeoutMs: v.timeoutMs } as never,
      })),
  });
  return (
    <Row gutter={24}>
      <Col xs={24} lg={12}>
        {!online && <Typography.Paragraph type="warning">{t('device.rpcOffline')}</Typography.Paragraph>}
        <Form form={form} layout="vertical" initialValues={{ method: 'setValue', params: '{"value": 1}', timeoutMs: 5000 }} onFinish={(v) => rpc.mutate(v)}>
          <Form.Item name="method" label={t('device.rpcMethod')} rules={[{ required: true, message: t('validation.required') }]}><Input /></Form.Item>
          <Form.Item name="params" label={t('device.rpcParams')} rules={[{ validator: (_, v: string) => {
            if (!v?.trim()) return Promise.resolve();
            try { JSON.parse(v); return Promise.resolve(); } catch { return Promise.reject(new Error(t('validation.json'))); }
          } }]}>
            <Input.TextArea rows={4} style={{ fontFamily: 'monospace' }} />
          </Form.Item>
          <Form.Item name="timeoutMs" label={t('device.rpcTimeout')}><InputNumber min={100} max={120000} step={1000} /></Form.Item>
          <Button type="primary" htmlType="submit" loading={rpc.isPending}>{t('device.rpcSend')}</Button>
        </Form>
      </Col>
      <Col xs={24} lg={12}>
        {rpc.error && <ErrorAlert error={rpc.error} />}
        {rpc.isSuccess && (
          <>
            <Typography.Text strong>{t('device.rpcResult')}</Typography.Text>
            <CopyBlock text={JSON.stringify(rpc.data, null, 2)} testId="rpc-result" />
          </>
        )}
      </Col>
    </Row>
  );
}

function ConnectPanel({ device }: { device: Device }) {
  const { t } = useTranslation();
  const connect = useConnectInfo();
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Text strong>{t('devices.mqttExample')}</Typography.Text>
      <CopyBlock text={mqttExample(device, connect)} />
      <Typography.Text strong>{t('devices.httpExample')}</Typography.Text>
      <CopyBlock text={curlExample(device, connect)} />
    </Space>
  );
}
