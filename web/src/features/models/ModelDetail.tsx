// /models/:id — a model: inputs, outputs, parameters (units, ranges), versions, and an invoke
// form on inline values or a device's stored series, with the outputs as numbers and charts and
// an optional write-back as derived telemetry.
import { Button, Card, Checkbox, Col, DatePicker, Descriptions, Form, Input, InputNumber, Radio, Row, Select, Skeleton, Space, Switch, Table, Tag, Typography } from 'antd';
import { ThunderboltOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router-dom';
import { call, listAll } from '../../api/client';
import type { Device } from '../../api/types';
import { Chart } from '../../components/Chart';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatNumber, formatShortTime } from '../../i18n';
import { invokeModel, modelDescription, modelName, parseSeries, useModel, useModelVersions, type InputValue, type InvokeRequest, type InvokeResponse, type Param, type Port } from './api';

export const range = (p: Param) => (p.min !== undefined || p.max !== undefined ? `${p.min ?? '−∞'} … ${p.max ?? '∞'}` : '—');

function PortTable({ ports, params }: { ports: (Port | Param)[]; params?: boolean }) {
  const { t } = useTranslation();
  return (
    <Table rowKey="name" size="small" pagination={false} dataSource={ports}
      columns={[
        { title: t('common.name'), dataIndex: 'name', render: (n: string, p: Port) => <Space size={4}><Typography.Text code>{n}</Typography.Text>{p.required === false && <Tag>{t('models.optional')}</Tag>}</Space> },
        { title: t('models.valueType'), dataIndex: 'type', render: (ty: string) => t(`models.valueTypes.${ty}`, { defaultValue: ty }) },
        { title: t('models.unit'), dataIndex: 'unit', render: (u: string) => u || '—' },
        ...(params ? [{ title: t('models.range'), key: 'r', render: (_: unknown, p: Param) => range(p) },
          { title: t('models.default'), dataIndex: 'default', render: (d: unknown) => (d === undefined ? '—' : JSON.stringify(d)) }] : []),
        { title: t('common.description'), dataIndex: 'description', render: (d: string, p: Param) => <>{d || '—'}{p.options && <> ({p.options.join(' / ')})</>}</> },
      ]} />
  );
}

interface InputState { mode: 'inline' | 'device'; text?: string; value?: number | string | boolean; deviceId?: string; key?: string; range?: [Dayjs, Dayjs]; agg?: string }

// Form state → the request's inputs (throws a message naming the input when a value is not usable).
export function buildInputs(ports: Port[], state: Record<string, InputState>, t: (k: string, o?: Record<string, unknown>) => string): Record<string, InputValue> {
  const out: Record<string, InputValue> = {};
  for (const p of ports) {
    const s = state[p.name];
    if (!s) continue;
    if (p.type === 'series' && s.mode === 'device') {
      if (!s.deviceId || !s.key || !s.range) throw new Error(t('models.seriesIncomplete', { name: p.name }));
      out[p.name] = { series: { deviceId: s.deviceId, key: s.key, from: s.range[0].valueOf(), to: s.range[1].valueOf(), ...(s.agg && s.agg !== 'none' ? { agg: s.agg, interval: 60_000 } : {}) } };
    } else if (p.type === 'series') {
      if (!s.text?.trim()) continue;
      const v = parseSeries(s.text);
      if (!v) throw new Error(t('models.notNumbers', { name: p.name }));
      out[p.name] = v;
    } else if (s.value !== undefined && s.value !== null && s.value !== '') {
      out[p.name] = s.value;
    }
  }
  return out;
}

function SeriesInput({ port, value, onChange, devices }: { port: Port; value: InputState; onChange: (s: InputState) => void; devices: Device[] }) {
  const { t } = useTranslation();
  const deviceKeys = useQuery({
    queryKey: ['devices', value.deviceId, 'keys'], enabled: !!value.deviceId,
    queryFn: async () => {
      return [...await call<string[]>('GET', `/api/v1/devices/${value.deviceId}/telemetry/keys`)].sort();
    },
  });
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Radio.Group value={value.mode} onChange={(e) => onChange({ ...value, mode: e.target.value as InputState['mode'] })} data-testid={`input-mode-${port.name}`}>
        <Radio value="inline">{t('models.inline')}</Radio>
        <Radio value="device">{t('models.fromDevice')}</Radio>
      </Radio.Group>
      {value.mode === 'inline'
        ? <Input.TextArea rows={3} value={value.text} placeholder="1, 2, 3.5, 4" onChange={(e) => onChange({ ...value, text: e.target.value })} data-testid={`input-${port.name}`} />
        : <Space wrap>
            <Select showSearch optionFilterProp="label" placeholder={t('models.device')} style={{ width: 200 }} value={value.deviceId} data-testid={`input-device-${port.name}`}
              onChange={(d) => onChange({ ...value, deviceId: d, key: undefined })} options={devices.map((d) => ({ value: d.id, label: d.name }))} />
            <Select showSearch placeholder={t('models.key')} style={{ width: 160 }} value={value.key} loading={deviceKeys.isLoading} data-testid={`input-key-${port.name}`}
              onChange={(k) => onChange({ ...value, key: k })} options={(deviceKeys.data ?? []).map((k) => ({ value: k, label: k }))} />
            <DatePicker.RangePicker showTime value={value.range} onChange={(r) => onChange({ ...value, range: r && r[0] && r[1] ? [r[0], r[1]] : undefined })} />
            <Select style={{ width: 120 }} value={value.agg ?? 'none'} onChange={(a) => onChange({ ...value, agg: a })}
              options={['none', 'avg', 'min', 'max', 'sum', 'count', 'first', 'last'].map((a) => ({ value: a, label: a === 'none' ? t('models.raw') : `${a} / 1 min` }))} />
          </Space>}
    </Space>
  );
}

function Outputs({ result, ports }: { result: InvokeResponse; ports: Port[] }) {
  const { t } = useTranslation();
  const unit = (n: string) => ports.find((p) => p.name === n)?.unit ?? '';
  const entries = Object.entries(result.outputs);
  const scalars = entries.filter(([, v]) => !Array.isArray(v));
  const arrays = entries.filter(([, v]) => Array.isArray(v) && (v as unknown[]).every((x) => typeof x === 'number')) as [string, number[]][];
  return (
    <Card size="small" title={t('models.outputs')} extra={<Typography.Text type="secondary">{result.version} · {formatNumber(result.durationMs, 2)} ms</Typography.Text>} data-testid="model-outputs">
      <Descriptions size="small" bordered column={{ xs: 1, md: 2, xl: 3 }} items={scalars.map(([k, v]) => ({
        key: k, label: k,
        children: <span data-testid={`output-${k}`}>{typeof v === 'number' ? formatNumber(v, 6) : typeof v === 'object' ? JSON.stringify(v) : String(v)} {unit(k)}</span>,
      }))} />
      {result.writtenBack !== undefined && <Typography.Paragraph style={{ marginTop: 8 }} data-testid="written-back">{t('models.writtenBack', { count: result.writtenBack })}</Typography.Paragraph>}
      {arrays.map(([k, v]) => (
        <div key={k} style={{ marginTop: 12 }}>
          <Typography.Text strong>{k}</Typography.Text> <Typography.Text type="secondary">({v.length}) {unit(k)}</Typography.Text>
          <Typography.Paragraph type="secondary" ellipsis={{ rows: 1 }} style={{ margin: 0 }} data-testid={`output-${k}`}>{v.slice(0, 50).map((x) => formatNumber(x, 4)).join(', ')}</Typography.Paragraph>
          <Chart height={200} testId={`chart-${k}`} option={{
            grid: { left: 48, right: 16, top: 16, bottom: 28 }, tooltip: { trigger: 'axis' },
            xAxis: { type: 'category', data: v.map((_, i) => i) }, yAxis: { type: 'value', scale: true },
            series: [{ type: 'line', name: k, data: v, showSymbol: v.length < 60 }],
          }} />
        </div>
      ))}
    </Card>
  );
}

function InvokeForm({ id, version, inputs, outputs, parameters }: { id: string; version: string; inputs: Port[]; outputs: Port[]; parameters: Param[] }) {
  const { t } = useTranslation();
  const devices = useQuery({ queryKey: ['devices', 'all'], queryFn: () => listAll<Device>('/api/v1/devices') });
  const [state, setState] = useState<Record<string, InputState>>(() => Object.fromEntries(inputs.map((p) => [p.name, { mode: 'inline' as const,
    range: [dayjs().subtract(1, 'hour'), dayjs()] as [Dayjs, Dayjs] }])));
  const [params, setParams] = useState<Record<string, unknown>>({});
  const [writeBack, setWriteBack] = useState(false);
  const [wbDevice, setWbDevice] = useState<string>();
  const [wbOutputs, setWbOutputs] = useState<string[]>([]);
  const [formError, setFormError] = useState<string | null>(null);
  const invoke = useMutation({ mutationFn: (body: InvokeRequest) => invokeModel(id, body) });
  const scalarOutputs = outputs.filter((o) => o.type !== 'series');

  const run = () => {
    setFormError(null);
    try {
      const body: InvokeRequest = { version, inputs: buildInputs(inputs, state, t) };
      const p = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
      if (Object.keys(p).length) body.parameters = p;
      if (writeBack) {
        if (!wbDevice || !wbOutputs.length) throw new Error(t('models.writeBackIncomplete'));
        body.writeBack = { deviceId: wbDevice, outputs: wbOutputs };
      }
      invoke.mutate(body);
    } catch (e) {
      setFormError((e as Error).message);
    }
  };

  const paramInput = (p: Param) => {
    if (p.options) return <Select style={{ width: 200 }} allowClear placeholder={String(p.default ?? '')} options={p.options.map((o) => ({ value: o, label: o }))}
      value={params[p.name] as string | undefined} onChange={(v) => setParams({ ...params, [p.name]: v })} />;
    if (p.type === 'number') return <InputNumber style={{ width: 200 }} min={p.min} max={p.max} placeholder={p.default !== undefined ? String(p.default) : ''}
      addonAfter={p.unit || undefined} value={params[p.name] as number | undefined} onChange={(v) => setParams({ ...params, [p.name]: v ?? undefined })} data-testid={`param-${p.name}`} />;
    if (p.type === 'boolean') return <Switch checked={params[p.name] as boolean | undefined ?? !!p.default} onChange={(v) => setParams({ ...params, [p.name]: v })} />;
    if (p.type === 'series') return <Input style={{ width: 260 }} placeholder={Array.isArray(p.default) ? p.default.join(', ') : ''}
      onChange={(e) => setParams({ ...params, [p.name]: e.target.value.trim() ? parseSeries(e.target.value) ?? e.target.value : undefined })} />;
    return <Input style={{ width: 200 }} placeholder={String(p.default ?? '')} onChange={(e) => setParams({ ...params, [p.name]: e.target.value || undefined })} />;
  };

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card size="small" title={t('models.invoke')} data-testid="invoke-form">
        <Form layout="vertical">
          {inputs.map((p) => (
            <Form.Item key={p.name} label={<Space size={4}><Typography.Text code>{p.name}</Typography.Text>{p.unit && <Tag>{p.unit}</Tag>}<Typography.Text type="secondary">{p.description}</Typography.Text></Space>}
              required={p.required !== false}>
              {p.type === 'series'
                ? <SeriesInput port={p} value={state[p.name]} devices={devices.data ?? []} onChange={(s) => setState({ ...state, [p.name]: s })} />
                : p.type === 'boolean'
                  ? <Switch onChange={(v) => setState({ ...state, [p.name]: { ...state[p.name], value: v } })} />
                  : p.type === 'number'
                    ? <InputNumber style={{ width: 200 }} onChange={(v) => setState({ ...state, [p.name]: { ...state[p.name], value: v ?? undefined } })} data-testid={`input-${p.name}`} />
                    : <Input style={{ width: 300 }} onChange={(e) => setState({ ...state, [p.name]: { ...state[p.name], value: e.target.value } })} data-testid={`input-${p.name}`} />}
            </Form.Item>
          ))}
          {parameters.length > 0 && <Typography.Title level={5}>{t('models.parameters')}</Typography.Title>}
          <Row gutter={16}>
            {parameters.map((p) => (
              <Col key={p.name} xs={24} md={12} xl={8}>
                <Form.Item label={<Space size={4}><Typography.Text code>{p.name}</Typography.Text><Typography.Text type="secondary">{range(p) !== '—' ? range(p) : ''}</Typography.Text></Space>}
                  tooltip={p.description || undefined}>{paramInput(p)}</Form.Item>
              </Col>
            ))}
          </Row>
          {scalarOutputs.length > 0 && (
            <Form.Item>
              <Checkbox checked={writeBack} onChange={(e) => setWriteBack(e.target.checked)} data-testid="write-back">{t('models.writeBack')}</Checkbox>
              {writeBack && <Space wrap style={{ marginTop: 8, display: 'flex' }}>
                <Select showSearch optionFilterProp="label" placeholder={t('models.device')} style={{ width: 200 }} value={wbDevice} onChange={setWbDevice}
                  options={(devices.data ?? []).map((d) => ({ value: d.id, label: d.name }))} />
                <Select mode="multiple" placeholder={t('models.outputs')} style={{ minWidth: 240 }} value={wbOutputs} onChange={setWbOutputs}
                  options={scalarOutputs.map((o) => ({ value: o.name, label: o.name }))} />
              </Space>}
            </Form.Item>
          )}
          {formError && <Typography.Paragraph type="danger" data-testid="invoke-form-error">{formError}</Typography.Paragraph>}
          {invoke.error && <ErrorAlert error={invoke.error} />}
          <Button type="primary" icon={<ThunderboltOutlined />} loading={invoke.isPending} onClick={run} data-testid="invoke-submit">{t('models.run')}</Button>
        </Form>
      </Card>
      {invoke.data && <Outputs result={invoke.data} ports={outputs} />}
    </Space>
  );
}

export function ModelDetailPage() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const model = useModel(id);
  const versions = useModelVersions(id);
  if (model.isLoading) return <Skeleton active />;
  if (model.error || !model.data) return <ErrorAlert error={model.error} />;
  const m = model.data;
  const man = m.manifest;
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="model-detail">
      <Space wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>{modelName(m, i18n.language)}</Typography.Title>
        <Tag color="geekblue">{t(`models.types.${m.type}`, { defaultValue: m.type })}</Tag>
        <Tag>{m.version}</Tag>
        {m.deprecated && <Tag color="red">{t('models.deprecated')}</Tag>}
      </Space>
      <Card size="small">
        <Typography.Paragraph>{modelDescription(man, i18n.language) || '—'}</Typography.Paragraph>
        <Descriptions size="small" column={{ xs: 1, md: 3 }} items={[
          { key: 'id', label: 'ID', children: <Typography.Text code>{m.id}</Typography.Text> },
          { key: 'a', label: t('models.author'), children: man.author ?? '—' },
          { key: 'i', label: t('models.implementation'), children: man.implementation ? `${man.implementation.kind}${man.implementation.kernel ? ` · ${man.implementation.kernel}` : ''}` : '—' },
          { key: 's', label: t('models.scope'), children: m.public ? t('models.public') : t('models.own') },
          { key: 'c', label: t('common.createdAt'), children: formatShortTime(m.createdAt) },
          { key: 'tg', label: t('models.tags'), children: (man.tags ?? []).map((x) => <Tag key={x}>{x}</Tag>) },
        ]} />
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}><Card size="small" title={t('models.inputs')}><PortTable ports={man.inputs ?? []} /></Card></Col>
        <Col xs={24} xl={12}><Card size="small" title={t('models.outputs')}><PortTable ports={man.outputs ?? []} /></Card></Col>
      </Row>
      {(man.parameters ?? []).length > 0 && <Card size="small" title={t('models.parameters')}><PortTable ports={man.parameters ?? []} params /></Card>}
      <InvokeForm key={m.version} id={m.id} version={m.version} inputs={man.inputs ?? []} outputs={man.outputs ?? []} parameters={man.parameters ?? []} />
      <Card size="small" title={t('models.versions')}>
        {versions.error && <ErrorAlert error={versions.error} />}
        <Table rowKey="version" size="small" pagination={false} loading={versions.isLoading} dataSource={versions.data?.items ?? []}
          columns={[{ title: t('models.version'), dataIndex: 'version' }, { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: number) => formatShortTime(v) },
            { title: t('models.createdBy'), dataIndex: 'createdBy' },
            { title: t('models.deprecated'), dataIndex: 'deprecated', render: (d: boolean) => (d ? t('common.yes') : t('common.no')) }]} />
      </Card>
    </Space>
  );
}
