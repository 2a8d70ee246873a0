import { Card, DatePicker, Descriptions, Empty, Segmented, Space, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart } from '../../components/Chart';
import { ErrorAlert } from '../../components/ErrorAlert';
import { indexOption, useIndices, type IndexDef } from './api';
import { ParkSelect } from './ParkSelect';

const DAY = 'YYYY-MM-DD';

function IndexCard({ def }: { def: IndexDef }) {
  const { t, i18n } = useTranslation();
  const en = i18n.language === 'en';
  const option = useMemo(() => indexOption(def, t), [def, t]);
  const total = def.series[0];
  return (
    <Card size="small" title={en ? def.nameEn : def.nameZh} data-testid={`index-${def.id}`}
      extra={total && <Typography.Text type="secondary">{t('analysis.baseValue')}: {total.baseValue ?? '—'} {def.unit}</Typography.Text>}>
      {def.series.length ? <Chart option={option} height={300} testId={`index-chart-${def.id}`} /> : <Empty />}
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }} data-testid={`index-method-${def.id}`}>
        <b>{t('analysis.method')}</b>：{en ? def.methodEn : def.methodZh}
      </Typography.Paragraph>
    </Card>
  );
}

// 特色指数: operating-rate, electricity and output indices against a base period = 100.
export function IndicesPage() {
  const { t } = useTranslation();
  const [park, setPark] = useState('');
  const [period, setPeriod] = useState<'day' | 'week'>('day');
  const [range, setRange] = useState<[Dayjs, Dayjs] | null>(null);
  const [base, setBase] = useState<[Dayjs, Dayjs] | null>(null);
  const q = useIndices({ parkId: park, period, from: range?.[0].format(DAY), to: range?.[1].format(DAY),
    base: base ? `${base[0].format(DAY)}/${base[1].format(DAY)}` : undefined });
  const d = q.data;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="indices-page">
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('analysis.indicesTitle')}</Typography.Title>
        <Space wrap>
          <ParkSelect value={park} onChange={setPark} />
          <Segmented value={period} onChange={(v) => setPeriod(v as 'day' | 'week')} data-testid="indices-period"
            options={[{ value: 'day', label: t('analysis.byDay') }, { value: 'week', label: t('analysis.byWeek') }]} />
          <DatePicker.RangePicker value={range} onChange={(v) => setRange(v && v[0] && v[1] ? [v[0], v[1]] : null)}
            disabledDate={(x) => x.isAfter(dayjs())} placeholder={[t('analysis.from'), t('analysis.to')]} />
          <DatePicker.RangePicker value={base} onChange={(v) => setBase(v && v[0] && v[1] ? [v[0], v[1]] : null)}
            placeholder={[t('analysis.baseFrom'), t('analysis.baseTo')]} data-testid="indices-base" />
        </Space>
      </Space>
      {q.error && <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />}
      {d && (
        <Descriptions size="small" bordered column={{ xs: 1, md: 3 }} data-testid="indices-base-info">
          <Descriptions.Item label={t('analysis.reportPeriod')}>{d.from} ~ {d.to}</Descriptions.Item>
          <Descriptions.Item label={t('analysis.basePeriod')}>
            {d.base.from} ~ {d.base.to} ({t('analysis.baseDays', { n: d.base.days.length })}{d.base.default ? `, ${t('analysis.defaultBase')}` : ''})
          </Descriptions.Item>
          <Descriptions.Item label={t('analysis.baseEquals')}>100</Descriptions.Item>
        </Descriptions>
      )}
      {(d?.indices ?? []).map((def) => <IndexCard key={def.id} def={def} />)}
    </Space>
  );
}
