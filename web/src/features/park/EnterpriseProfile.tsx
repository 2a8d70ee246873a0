// 企业画像: one enterprise's industry, scale, devices, energy and carbon trend, operating rate,
// APPs used, alarms and the tags derived from them (GET /api/v1/enterprises/{id}/profile).
import { Card, Col, Descriptions, Empty, Row, Space, Spin, Statistic, Table, Tag, Tooltip, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { Chart } from '../../components/Chart';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatTime } from '../../i18n';
import { canView } from '../../auth/permissions';
import { useSession } from '../../auth/session';
import { num, pct, useEnterpriseProfile, type EnterpriseProfile, type ProfileApp } from './api';
import { energyOption, operationOption } from './charts';
import { ParkPageHeader } from './Header';

const TAG_COLOR: Record<string, string> = {
  energy_intensive: 'volcano', high_utilisation: 'green', low_utilisation: 'orange', digital_leader: 'geekblue',
  alarm_prone: 'red', sme: 'cyan', no_energy_data: 'default',
};

function Tags({ p }: { p: EnterpriseProfile }) {
  const { t, i18n } = useTranslation();
  const en = i18n.language === 'en';
  if (!p.tags.length) return <Typography.Text type="secondary">{t('profile.noTags')}</Typography.Text>;
  return (
    <Space direction="vertical" size={4} data-testid="profile-tags">
      {p.tags.map((tag) => (
        <Space key={tag.code} size={8}>
          <Tooltip title={en ? tag.ruleEn : tag.ruleZh}>
            <Tag color={TAG_COLOR[tag.code] ?? 'default'} data-testid={`profile-tag-${tag.code}`}>{en ? tag.en : tag.zh}</Tag>
          </Tooltip>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('profile.rule')}: {en ? tag.ruleEn : tag.ruleZh}</Typography.Text>
        </Space>
      ))}
    </Space>
  );
}

export function EnterpriseProfilePage() {
  const { t, i18n } = useTranslation();
  const { id } = useParams();
  const { session } = useSession();
  const [days, setDays] = useState(30);
  const q = useEnterpriseProfile(id, days);
  const p = q.data;
  const energy = useMemo(() => (p ? energyOption(p.trend, t) : {}), [p, t]);
  const operation = useMemo(() => (p ? operationOption(p.trend, t) : {}), [p, t]);
  const en = i18n.language === 'en';
  const kpis: [string, string, string?][] = p ? [
    ['park.devices', `${p.devices.connected} / ${p.devices.total}`, `${t('park.online')} ${p.devices.online}`],
    ['park.apps', num(p.apps.length)],
    ['profile.callsThisMonth', num(p.appCallsThisMonth)],
    ['park.electricity', num(p.totals.electricityKwh), 'kWh'],
    ['park.co2', num(p.totals.co2T, 2), 't'],
    ['profile.annualisedTce', num(p.totals.annualisedTce, 1), 'tce/a'],
    ['park.operatingRate', pct(p.totals.operatingRate)],
    ['park.alarmsActive', num(p.alarmsActive.total)],
  ] : [];
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="enterprise-profile">
      <ParkPageHeader title={t('profile.title')} name={p?.enterprise.name} range={p && { from: p.from, to: p.to }} days={days} onDays={setDays}>
        {p?.park && canView(session?.user.role ?? null, 'parks') && <Link to={`/park-dashboard/${p.park.id}`}>{t('profile.back')}</Link>}
      </ParkPageHeader>
      {q.error && <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />}
      {q.isLoading && <Spin />}
      {p && (
        <>
          <Row gutter={[16, 16]}>
            <Col xs={24} xl={12}>
              <Card size="small" title={t('profile.basics')}>
                <Descriptions size="small" column={1}>
                  <Descriptions.Item label={t('park.industry')}>{p.enterprise.industry || '—'}</Descriptions.Item>
                  <Descriptions.Item label={t('profile.creditCode')}>{p.enterprise.creditCode || '—'}</Descriptions.Item>
                  <Descriptions.Item label={t('profile.park')}>{p.park?.name ?? '—'}</Descriptions.Item>
                  <Descriptions.Item label={t('profile.scale')}>
                    {p.scale.sme ? t('park.sme') : t('park.large')} · {p.scale.devices} {t('park.devices')}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('profile.devicesByCategory')}>
                    <Space wrap size={4}>
                      {(Object.keys(p.devices.byCategory) as (keyof typeof p.devices.byCategory)[]).map((c) => (
                        <Tag key={c}>{t(`profile.category.${c}`)} {p.devices.byCategory[c]}</Tag>
                      ))}
                    </Space>
                  </Descriptions.Item>
                </Descriptions>
              </Card>
            </Col>
            <Col xs={24} xl={12}><Card size="small" title={t('profile.tags')} style={{ height: '100%' }}><Tags p={p} /></Card></Col>
          </Row>
          <Row gutter={[16, 16]}>
            {kpis.map(([label, value, suffix]) => (
              <Col key={label} xs={12} md={6}>
                <Card size="small"><Statistic title={t(label)} value={value} suffix={suffix && <span style={{ fontSize: 13 }}>{suffix}</span>} /></Card>
              </Col>
            ))}
          </Row>
          <Row gutter={[16, 16]}>
            <Col xs={24} xl={12}><Card size="small" title={t('park.energyTrend')}><Chart option={energy} height={260} testId="profile-energy-chart" /></Card></Col>
            <Col xs={24} xl={12}><Card size="small" title={t('park.operationTrend')}><Chart option={operation} height={260} testId="profile-operation-chart" /></Card></Col>
          </Row>
          <Card size="small" title={t('profile.apps')}>
            <Table<ProfileApp> rowKey="appId" size="small" pagination={false} dataSource={p.apps} data-testid="profile-apps"
              locale={{ emptyText: <Empty description={t('profile.noApps')} /> }}
              columns={[
                { title: t('profile.appName'), key: 'name', render: (_: unknown, a) => (en ? a.nameEn : a.nameZh) },
                { title: t('profile.plan'), dataIndex: 'plan' },
                { title: t('profile.calls'), dataIndex: 'calls', align: 'right' },
                { title: t('profile.since'), dataIndex: 'since', render: formatTime },
              ]} />
          </Card>
        </>
      )}
    </Space>
  );
}
