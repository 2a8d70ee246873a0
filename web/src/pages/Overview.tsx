import { Card, Col, Empty, Progress, Row, Skeleton, Space, Statistic, Tag, Typography } from 'antd';
import { ApiOutlined, BankOutlined, EnvironmentOutlined, ThunderboltOutlined, WifiOutlined, ClockCircleOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { call } from '../api/client';
import type { AlarmCounts, Overview } from '../api/types';
import { CATEGORIES, SEVERITIES } from '../api/types';
import { Link } from 'react-router-dom';
import { SEVERITY_COLOR } from '../components/AlarmList';
import { Chart } from '../components/Chart';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatNumber, formatTime } from '../i18n';

const POLL_MS = 5000;
const COLORS = ['#1668dc', '#13a8a8', '#fa8c16', '#8c8c8c'];

// samples/s from two successive readings of the ingest counter.
function useRate(total: number | null | undefined, time: number | undefined) {
  const prev = useRef<{ total: number; time: number } | null>(null);
  const rate = useRef<number | null>(null);
  if (total !== null && total !== undefined && time !== undefined) {
    const p = prev.current;
    if (p && time > p.time) rate.current = Math.max(0, ((total - p.total) * 1000) / (time - p.time));
    if (!p || time !== p.time) prev.current = { total, time };
  }
  return rate.current;
}

export function OverviewPage() {
  const { t } = useTranslation();
  const q = useQuery({ queryKey: ['overview'], queryFn: () => call<Overview>('GET', '/api/v1/overview'), refetchInterval: POLL_MS });
  const o = q.data;
  const rate = useRate(o?.samplesIngested, o?.time);
  const alarms = useQuery({
    queryKey: ['alarms', 'counts', 'overview'],
    queryFn: () => call<AlarmCounts>('GET', '/api/v1/alarms/counts', undefined, { status: 'active,acknowledged' }),
    refetchInterval: POLL_MS,
  });

  const categoryOption = useMemo(() => ({
    tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    legend: { bottom: 0 },
    color: COLORS,
    series: [{
      type: 'pie', radius: ['45%', '70%'], center: ['50%', '45%'], avoidLabelOverlap: true,
      label: { formatter: '{b}\n{c}' },
      data: CATEGORIES.map((c) => {
        const value = o?.byCategory[c] ?? 0;
        return { name: t(`category.${c}`), value, label: { show: value > 0 }, labelLine: { show: value > 0 } };
      }),
    }],
  }), [o, t]);
  const protocolOption = useMemo(() => {
    const entries = Object.entries(o?.byProtocol ?? {}).sort((a, b) => b[1] - a[1]);
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 90, right: 24, top: 16, bottom: 24 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: entries.map(([k]) => k), inverse: true },
      series: [{ type: 'bar', data: entries.map(([, v]) => v), itemStyle: { color: '#1668dc', borderRadius: [0, 4, 4, 0] }, barMaxWidth: 22, label: { show: true, position: 'right' } }],
    };
  }, [o]);

  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  if (!o) return <Card><Skeleton active paragraph={{ rows: 8 }} /></Card>;
  const onlinePct = o.devices ? Math.round((o.online * 100) / o.devices) : 0;
  const stats = [
    { key: 'devices', icon: <ApiOutlined />, value: o.devices },
    { key: 'online', icon: <WifiOutlined />, value: o.online },
    { key: 'active24h', icon: <ClockCircleOutlined />, value: o.activeLast24h },
    { key: 'enterprises', icon: <BankOutlined />, value: o.enterprises },
    { key: 'parks', icon: <EnvironmentOutlined />, value: o.parks },
  ];
  return (
    <>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'baseline', flexWrap: 'wrap', marginBottom: 12 }}>
        <Typography.Title level={4} style={{ margin: 0 }}>{t('overview.title')}</Typography.Title>
        <Typography.Text type="secondary">{t('overview.updatedAt', { time: formatTime(o.time) })}</Typography.Text>
      </div>
      <Row gutter={[16, 16]}>
        {stats.map((s) => (
          <Col xs={12} md={8} xl={4} key={s.key}>
            <Card size="small"><Statistic title={t(`overview.${s.key}`)} value={formatNumber(s.value)} prefix={s.icon} data-testid={`stat-${s.key}`} /></Card>
          </Col>
        ))}
        <Col xs={12} md={8} xl={4}>
          <Card size="small">
            <Statistic title={t('overview.samplesRate')} prefix={<ThunderboltOutlined />}
              value={o.samplesIngested === null ? '—' : rate === null ? '…' : formatNumber(rate, 1)}
              suffix={o.samplesIngested === null || rate === null ? undefined : t('overview.samplesUnit')} />
            {o.samplesIngested === null && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('overview.onlyAdmins')}</Typography.Text>}
          </Card>
        </Col>
      </Row>
      <Card size="small" style={{ marginTop: 16 }} data-testid="overview-alarms">
        <Space wrap size="large">
          <Typography.Text strong>{t('overview.activeAlarms')}</Typography.Text>
          {alarms.error ? <Typography.Text type="danger">{t('error.title')}</Typography.Text> : SEVERITIES.map((sev) => (
            <Space key={sev} size={4}>
              <Tag color={SEVERITY_COLOR[sev]}>{t(`alarms.severity.${sev}`)}</Tag>
              <Typography.Text strong data-testid={`overview-alarms-${sev}`}>{alarms.isLoading ? '…' : formatNumber(alarms.data?.bySeverity?.[sev] ?? 0)}</Typography.Text>
            </Space>
          ))}
          <Link to="/alarms">{t('overview.viewAlarms')}</Link>
        </Space>
      </Card>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={24} lg={10}>
          <Card title={t('overview.byCategory')} style={{ height: '100%' }}>
            {o.devices ? <Chart option={categoryOption} height={300} testId="category-chart" /> : <Empty description={t('overview.noDevices')} />}
          </Card>
        </Col>
        <Col xs={24} lg={9}>
          <Card title={t('overview.byProtocol')} style={{ height: '100%' }}>
            {o.devices ? <Chart option={protocolOption} height={300} /> : <Empty description={t('overview.noDevices')} />}
          </Card>
        </Col>
        <Col xs={24} lg={5}>
          <Card title={t('overview.onlineRate')} style={{ height: '100%', textAlign: 'center' }}>
            <Progress type="dashboard" percent={onlinePct} size={160} />
            <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
              {formatNumber(o.online)} / {formatNumber(o.devices)}
            </Typography.Paragraph>
            <Statistic title={t('overview.gateways')} value={formatNumber(o.gateways)} />
          </Card>
        </Col>
      </Row>
    </>
  );
}
