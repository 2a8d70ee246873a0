// 园区看板: every enterprise of a park on one page — energy and carbon, operating rate, output,
// alarms and digitalisation, with daily trends and rankings (GET /api/v1/parks/{id}/dashboard).
import { Card, Col, Empty, Row, Select, Space, Spin, Statistic, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { listAll } from '../../api/client';
import type { Park } from '../../api/types';
import { useSession } from '../../auth/session';
import { Chart } from '../../components/Chart';
import { ErrorAlert } from '../../components/ErrorAlert';
import { num, pct, useParkDashboard, type EnterpriseRow, type ParkDashboard, type RankRow, type Severity } from './api';
import { energyOption, operationOption } from './charts';
import { ParkPageHeader } from './Header';

const SEVERITY_COLOR: Record<Severity, string> = { critical: 'red', major: 'orange', minor: 'gold', warning: 'blue' };
const RANKS = ['electricityKwh', 'co2T', 'operatingRate', 'output'] as const;

function Kpis({ d }: { d: ParkDashboard }) {
  const { t } = useTranslation();
  const items: [string, string, string?][] = [
    ['enterprises', num(d.totals.enterprises)],
    ['devices', `${num(d.totals.devicesConnected)} / ${num(d.totals.devices)}`, t('park.online') + ' ' + num(d.totals.devicesOnline)],
    ['electricity', num(d.totals.electricityKwh), 'kWh'],
    ['co2', num(d.totals.co2T, 2), 't'],
    ['tce', num(d.totals.tce, 2), 'tce'],
    ['output', num(d.totals.output)],
    ['operatingRate', pct(d.totals.operatingRate)],
    ['alarmsActive', num(d.alarmsActive.total)],
  ];
  return (
    <Row gutter={[16, 16]}>
      {items.map(([key, value, suffix]) => (
        <Col key={key} xs={12} md={6}>
          <Card size="small" data-testid={`park-kpi-${key}`}>
            <Statistic title={t(`park.${key}`)} value={value} suffix={suffix && <span style={{ fontSize: 13 }}>{suffix}</span>} />
            {key === 'alarmsActive' && (
              <Space size={2} wrap>
                {(Object.keys(SEVERITY_COLOR) as Severity[]).map((s) => (
                  <Tag key={s} color={SEVERITY_COLOR[s]}>{t(`park.severity.${s}`)} {d.alarmsActive.bySeverity[s]}</Tag>
                ))}
              </Space>
            )}
          </Card>
        </Col>
      ))}
    </Row>
  );
}

function EnterpriseTable({ rows }: { rows: EnterpriseRow[] }) {
  const { t } = useTranslation();
  return (
    <Table<EnterpriseRow> rowKey="id" size="small" pagination={false} dataSource={rows} scroll={{ x: 1300 }} data-testid="park-enterprises"
      columns={[
        { title: t('park.enterprise'), dataIndex: 'name', fixed: 'left', width: 220,
          render: (v: string, r) => <Link to={`/enterprises/${r.id}/profile`}>{v}</Link> },
        { title: t('park.industry'), dataIndex: 'industry', width: 150, render: (v: string, r) => <Space size={4}>{v}{r.sme && <Tag>{t('park.sme')}</Tag>}</Space> },
        { title: t('park.connected'), key: 'dev', align: 'right', render: (_: unknown, r) => `${r.devicesConnected} / ${r.devices}` },
        { title: t('park.online'), dataIndex: 'devicesOnline', align: 'right' },
        { title: t('park.apps'), dataIndex: 'subscribedApps', align: 'right' },
        { title: `${t('park.electricity')} kWh`, dataIndex: 'electricityKwh', align: 'right', render: (v: number) => num(v),
          sorter: (a, b) => a.electricityKwh - b.electricityKwh, defaultSortOrder: 'descend' },
        { title: `${t('park.co2')} t`, dataIndex: 'co2T', align: 'right', render: (v: number) => num(v, 2), sorter: (a, b) => a.co2T - b.co2T },
        { title: t('park.operatingRate'), dataIndex: 'operatingRate', align: 'right', render: pct,
          sorter: (a, b) => (a.operatingRate ?? -1) - (b.operatingRate ?? -1) },
        { title: t('park.rateToday'), dataIndex: 'operatingRateToday', align: 'right', render: pct },
        { title: t('park.output'), dataIndex: 'output', align: 'right', render: (v: number) => num(v) },
        { title: t('park.co2PerOutput'), dataIndex: 'co2PerOutputKg', align: 'right', render: (v: number | null) => num(v, 3) },
        { title: t('park.alarmsActive'), dataIndex: 'alarmsActive', align: 'right' },
      ]} />
  );
}

function Ranking({ by, rows }: { by: (typeof RANKS)[number]; rows: RankRow[] }) {
  const { t } = useTranslation();
  return (
    <Card size="small" title={t(`park.rankBy.${by}`)} data-testid={`park-rank-${by}`}>
      <Table<RankRow> rowKey="enterpriseId" size="small" pagination={false} showHeader={false} dataSource={rows.slice(0, 5)}
        columns={[
          { dataIndex: 'rank', width: 32 },
          { dataIndex: 'name', render: (v: string, r) => <Link to={`/enterprises/${r.enterpriseId}/profile`}>{v}</Link> },
          { dataIndex: 'value', align: 'right', render: (v: number) => (by === 'operatingRate' ? pct(v) : num(v, by === 'co2T' ? 2 : 0)) },
        ]} />
    </Card>
  );
}

export function ParkDashboardPage() {
  const { t } = useTranslation();
  const { session } = useSession();
  const navigate = useNavigate();
  const params = useParams();
  const [days, setDays] = useState(30);
  const parks = useQuery({ queryKey: ['list', '/api/v1/parks', ''], queryFn: () => listAll<Park>('/api/v1/parks') });
  const parkId = params.parkId ?? session?.user.parkId ?? parks.data?.[0]?.id;
  const dash = useParkDashboard(parkId, days);
  const d = dash.data;
  const energy = useMemo(() => (d ? energyOption(d.trend, t) : {}), [d, t]);
  const operation = useMemo(() => (d ? operationOption(d.trend, t) : {}), [d, t]);
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="park-dashboard">
      <ParkPageHeader title={t('park.title')} name={d?.park.name} range={d && { from: d.from, to: d.to }} days={days} onDays={setDays}>
        <Select style={{ minWidth: 220 }} value={parkId} placeholder={t('park.pickPark')} data-testid="park-select"
          options={(parks.data ?? []).map((p) => ({ value: p.id, label: p.name }))} onChange={(v) => navigate(`/park-dashboard/${v}`)} />
      </ParkPageHeader>
      {dash.error && <ErrorAlert error={dash.error} onRetry={() => void dash.refetch()} />}
      {!parkId && !parks.isLoading && <Empty description={t('park.noPark')} />}
      {dash.isLoading && <Spin />}
      {d && (
        <>
          <Kpis d={d} />
          <Row gutter={[16, 16]}>
            <Col xs={24} xl={12}><Card size="small" title={t('park.energyTrend')}><Chart option={energy} height={280} testId="park-energy-chart" /></Card></Col>
            <Col xs={24} xl={12}><Card size="small" title={t('park.operationTrend')}><Chart option={operation} height={280} testId="park-operation-chart" /></Card></Col>
          </Row>
          <Card size="small" title={t('park.table')}><EnterpriseTable rows={d.enterprises} /></Card>
          <Typography.Title level={5} style={{ margin: 0 }}>{t('park.rankings')}</Typography.Title>
          <Row gutter={[16, 16]}>
            {RANKS.map((by) => <Col key={by} xs={24} md={12} xl={6}><Ranking by={by} rows={d.rankings[by]} /></Col>)}
          </Row>
          <Typography.Paragraph type="secondary" style={{ fontSize: 12 }} data-testid="park-method">
            {t('park.method', { kwh: d.factors.co2KgPerKwh, gas: d.factors.co2KgPerGasM3, kgceKwh: d.factors.kgcePerKwh, kgceGas: d.factors.kgcePerGasM3 })}
          </Typography.Paragraph>
        </>
      )}
    </Space>
  );
}
