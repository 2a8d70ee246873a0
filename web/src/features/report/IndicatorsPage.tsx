import { Alert, Card, DatePicker, Empty, Space, Table, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatNumber, formatTime } from '../../i18n';
import { todayUtc, useIndicators, valueEntries, type Figure } from './api';

// The form's units as the server gives them (Chinese), in English.
const UNITS_EN: Record<string, string> = {
  '台/套': 'units', '种': 'protocols', '个': '', '家': 'enterprises', '人': 'people', '件': '', '分': 'fen', '万元': '×10k CNY',
};
export function unitText(unit: string, lang: string): string {
  return lang === 'en' ? (UNITS_EN[unit] ?? unit) : unit;
}

// One figure's value: a number with its unit, a breakdown as tags, a table of rows, or "—".
function FigureValue({ f }: { f: Figure }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  if (f.source === 'documentary') return <Tag color="orange">{t('indicators.documentary')}</Tag>;
  if (f.value === null) return <Typography.Text type="secondary">—</Typography.Text>;
  if (typeof f.value === 'number') return <Typography.Text strong>{formatNumber(f.value)} {unitText(f.unit, lang)}</Typography.Text>;
  if (typeof f.value === 'boolean') return <>{f.value ? t('indicators.yes') : t('indicators.no')}</>;
  if (typeof f.value === 'string') return <>{f.value}</>;
  if (Array.isArray(f.value)) {
    const rows = f.value as Record<string, unknown>[];
    return (
      <Table size="small" pagination={false} rowKey={(r) => String(r.appId ?? JSON.stringify(r))} dataSource={rows}
        locale={{ emptyText: <Empty description={t('indicators.none')} /> }}
        columns={[
          { title: t('indicators.app'), render: (_, r) => String((lang === 'en' ? r.nameEn : r.nameZh) || r.appId) },
          { title: t('indicators.subscribers'), dataIndex: 'subscribers', align: 'right' },
          { title: t('indicators.dailyCalls'), dataIndex: 'dailyCalls', align: 'right', render: (v) => formatNumber(v as number) },
          { title: t('indicators.revenue'), dataIndex: 'monthlyRevenueMinor', align: 'right',
            render: (v) => formatNumber((v as number) / 100, 2) },
          { title: t('indicators.crossPlatform'), dataIndex: 'crossPlatformInvocation',
            render: (v) => (v ? t('indicators.yes') : t('indicators.no')) },
        ]} />
    );
  }
  const entries = valueEntries(f, lang) ?? [];
  if (!entries.length) return <Typography.Text type="secondary">{t('indicators.none')}</Typography.Text>;
  return (
    <Space size={[4, 4]} wrap>
      {entries.map(([label, n]) => <Tag key={label}>{label}: {formatNumber(n)}</Tag>)}
    </Space>
  );
}

// 平台指标: every objective figure of the MIIT 双跨 form from live data, each with its definition
// and the query behind it, for a chosen as-of day (UTC).
export function IndicatorsPage() {
  const { t, i18n } = useTranslation();
  const en = i18n.language === 'en';
  const [asOf, setAsOf] = useState(todayUtc());
  const q = useIndicators(asOf);
  const doc = q.data;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="indicators-page">
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('indicators.title')}</Typography.Title>
        <Space wrap>
          <Typography.Text type="secondary" data-testid="indicators-scope">
            {doc ? (doc.tenantId ? t('indicators.tenantScope') : t('indicators.platformScope')) : '—'}
            {doc ? ` · ${t('indicators.month')} ${doc.month} · ${t('indicators.generated')} ${formatTime(doc.generatedMs)}` : ''}
          </Typography.Text>
          <span>{t('indicators.asOf')}</span>
          <DatePicker allowClear={false} value={dayjs(asOf)} data-testid="indicators-asof"
            onChange={(d) => d && setAsOf(d.format('YYYY-MM-DD'))} />
        </Space>
      </Space>
      <Alert type="info" showIcon message={t('indicators.intro')} />
      {q.error && <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />}
      {q.isLoading && <Card loading />}
      {doc?.indicators.map((ind) => (
        <Card key={ind.id} size="small" title={`${ind.id} ${en ? ind.nameEn : ind.nameZh}`} data-testid={`indicator-${ind.id}`}>
          <Table size="small" pagination={false} rowKey="id" dataSource={ind.figures}
            columns={[
              { title: t('indicators.figure'), width: '22%', render: (_, f) => (
                <Space direction="vertical" size={0}>
                  <Typography.Text>{en ? f.nameEn : f.nameZh}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>{f.id}</Typography.Text>
                </Space>) },
              { title: t('indicators.value'), width: '33%', render: (_, f) => <div data-testid={`figure-${f.id}`}><FigureValue f={f} /></div> },
              { title: t('indicators.definition'), render: (_, f) => (
                <Space direction="vertical" size={2} style={{ width: '100%' }}>
                  <Typography.Text>{en ? f.definitionEn : f.definitionZh}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t('indicators.query')}: <Typography.Text code style={{ fontSize: 12, wordBreak: 'break-all' }}>{f.query}</Typography.Text>
                  </Typography.Text>
                </Space>) },
            ]} />
        </Card>
      ))}
    </Space>
  );
}
