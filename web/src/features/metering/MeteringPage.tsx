import { Card, Col, DatePicker, Empty, Row, Space, Statistic, Table, Typography } from 'antd';
import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart } from '../../components/Chart';
import { ErrorAlert } from '../../components/ErrorAlert';
import { currentMonth, monthDays, useMeteringDaily, useMeteringSummary, type UsageKind } from './api';

const CHART_KINDS: UsageKind[] = ['app_call', 'model_call', 'app_visit', 'tool_call', 'developer_login'];

// The platform admin's (or tenant admin's) usage figures: the numbers MIIT's form asks for.
export function MeteringPage() {
  const { t } = useTranslation();
  const [month, setMonth] = useState(currentMonth());
  const summary = useMeteringSummary(month);
  const { from, to } = monthDays(month);
  const daily = useMeteringDaily(from, to);

  const option = useMemo(() => {
    const days: string[] = [];
    for (let d = dayjs(from); !d.isAfter(dayjs(to)); d = d.add(1, 'day')) days.push(d.format('YYYY-MM-DD'));
    const series = CHART_KINDS.map((kind) => {
      const per = new Map<string, number>();
      for (const i of daily.data?.items ?? []) if (i.kind === kind) per.set(i.day, (per.get(i.day) ?? 0) + i.count);
      return { name: t(`metering.kinds.${kind}`), type: 'bar', stack: 'usage', data: days.map((d) => per.get(d) ?? 0) };
    });
    return { tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 36, bottom: 30 },
      xAxis: { type: 'category', data: days.map((d) => d.slice(5)) }, yAxis: { type: 'value', minInterval: 1 }, series };
  }, [daily.data, from, to, t]);

  const s = summary.data;
  const figures: [string, number | undefined][] = [
    ['metering.activeApps', s?.activeApps], ['metering.activeModels', s?.activeModels], ['metering.activeDevelopers', s?.activeDevelopers],
    ['metering.appCalls', s?.appCalls], ['metering.modelCalls', s?.modelCalls], ['metering.appVisits', s?.appVisits],
    ['metering.developerLogins', s?.developerLogins], ['metering.toolCalls', s?.toolCalls], ['metering.failedCalls', s?.failedCalls],
  ];
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="metering-page">
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('metering.title')}</Typography.Title>
        <Space>
          <Typography.Text type="secondary">{t('metering.scope')}: {s ? (s.tenantId ? t('metering.tenantOnly') : t('metering.platform')) : '—'}</Typography.Text>
          <DatePicker picker="month" allowClear={false} value={dayjs(`${month}-01`)} onChange={(d) => d && setMonth(d.format('YYYY-MM'))}
            data-testid="metering-month" />
        </Space>
      </Space>
      {summary.error && <ErrorAlert error={summary.error} onRetry={() => void summary.refetch()} />}
      <Row gutter={[16, 16]}>
        {figures.map(([label, value]) => (
          <Col key={label} xs={12} md={8} xl={8}>
            <Card size="small"><Statistic title={t(label)} value={value ?? '—'} loading={summary.isLoading}
              data-testid={`metering-${label.split('.')[1]}`} /></Card>
          </Col>
        ))}
      </Row>
      <Card title={t('metering.dailyTitle')} size="small">
        {daily.error ? <ErrorAlert error={daily.error} /> : <Chart option={option} height={280} testId="metering-chart" />}
      </Card>
      <Card title={t('metering.byEnterprise')} size="small">
        <Table rowKey="enterpriseId" size="small" pagination={false} dataSource={s?.callsByEnterprise ?? []}
          locale={{ emptyText: <Empty description={t('metering.noData')} /> }}
          columns={[{ title: t('metering.enterprise'), dataIndex: 'enterpriseId', render: (v: string) => v || '—' },
            { title: t('metering.calls'), dataIndex: 'calls', align: 'right' }]} />
      </Card>
    </Space>
  );
}
