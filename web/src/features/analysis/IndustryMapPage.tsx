import { Card, Col, Empty, Row, Space, Table, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart } from '../../components/Chart';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatNumber } from '../../i18n';
import { industryBarsOption, mapOption, percent, useIndustryMap, type MapEnterprise } from './api';
import { ParkSelect } from './ParkSelect';

// 产业地图: the enterprises at their coordinates (no map tiles: a lon/lat scatter), by industry.
export function IndustryMapPage() {
  const { t, i18n } = useTranslation();
  const [park, setPark] = useState('');
  const map = useIndustryMap(park);
  const scatter = useMemo(() => (map.data ? mapOption(map.data, t) : null), [map.data, t]);
  const bars = useMemo(() => (map.data ? industryBarsOption(map.data, t) : null), [map.data, t]);
  const unlocated = (map.data?.enterprises ?? []).filter((e) => e.longitude === null || e.latitude === null).length;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="industry-map-page">
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('analysis.mapTitle')}</Typography.Title>
        <ParkSelect value={park} onChange={setPark} />
      </Space>
      {map.error && <ErrorAlert error={map.error} onRetry={() => void map.refetch()} />}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={14}>
          <Card size="small" title={t('analysis.mapCard', { from: map.data?.from ?? '', to: map.data?.to ?? '' })}
            extra={unlocated ? <Typography.Text type="secondary">{t('analysis.unlocated', { n: unlocated })}</Typography.Text> : null}>
            {scatter ? <Chart option={scatter} height={420} testId="industry-map-chart" /> : <Empty />}
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <Card size="small" title={t('analysis.byIndustry')}>
            {bars ? <Chart option={bars} height={420} testId="industry-bars-chart" /> : <Empty />}
          </Card>
        </Col>
      </Row>
      <Card size="small" title={t('analysis.enterpriseFigures')}>
        <Table<MapEnterprise> rowKey="id" size="small" loading={map.isLoading} dataSource={map.data?.enterprises ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }} data-testid="industry-map-table"
          columns={[
            { title: t('analysis.enterprise'), dataIndex: 'name' },
            { title: t('analysis.industry'), dataIndex: 'industry' },
            { title: t('analysis.park'), dataIndex: 'parkName', render: (v: string) => v || '—' },
            { title: t('analysis.devices'), dataIndex: 'devices', align: 'right' },
            { title: t('analysis.kwh30'), dataIndex: 'electricityKwh', align: 'right', render: (v: number | null) => formatNumber(v, 1) },
            { title: t('analysis.operatingRate'), dataIndex: 'operatingRate', align: 'right', render: (v: number | null) => percent(v) },
            { title: t('analysis.alarms30'), dataIndex: 'alarms', align: 'right' },
          ]} />
        {map.data && <Typography.Paragraph type="secondary" style={{ marginTop: 12 }} data-testid="industry-map-method">
          {i18n.language === 'en' ? map.data.method.en : map.data.method.zh}</Typography.Paragraph>}
      </Card>
    </Space>
  );
}
