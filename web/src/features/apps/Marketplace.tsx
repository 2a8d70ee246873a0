// /market — listed APPs: filter by MIIT domain, origin (self-built / partner) and text.
import { Button, Input, Rate, Segmented, Select, Space, Tag, Typography } from 'antd';
import { AuditOutlined, CloudUploadOutlined, TeamOutlined } from '@ant-design/icons';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useSession } from '../../auth/session';
import { canView } from '../../auth/permissions';
import { formatNumber } from '../../i18n';
import { DOMAINS, appDescription, appName, sortApps, useApps, type AppSummary } from './api';
import { AppGrid } from './AppGrid';

export function matches(a: AppSummary, q: string, origin: string, lang: string): boolean {
  if (origin !== 'all' && a.manifest?.origin !== origin) return false;
  const needle = q.trim().toLowerCase();
  if (!needle) return true;
  return [a.id, a.publisher, a.manifest?.name.zh, a.manifest?.name.en, appDescription(a.manifest, 'zh'), appDescription(a.manifest, 'en'), appName(a, lang)]
    .some((s) => (s ?? '').toLowerCase().includes(needle));
}

export function MarketplacePage() {
  const { t, i18n } = useTranslation();
  const role = useSession().session?.user.role ?? null;
  const [domain, setDomain] = useState<string | undefined>();
  const [origin, setOrigin] = useState('all');
  const [q, setQ] = useState('');
  const apps = useApps(domain);
  const shown = useMemo(() => sortApps((apps.data?.items ?? []).filter((a) => matches(a, q, origin, i18n.language)), i18n.language),
    [apps.data, q, origin, i18n.language]);
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="marketplace">
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('market.title')}</Typography.Title>
        <Space wrap>
          {canView(role, 'appupload') && <Link to="/market/upload"><Button icon={<CloudUploadOutlined />} data-testid="go-upload">{t('market.upload')}</Button></Link>}
          {canView(role, 'appreviews') && <Link to="/market/reviews"><Button icon={<AuditOutlined />} data-testid="go-reviews">{t('market.reviews')}</Button></Link>}
        </Space>
      </Space>
      <Space wrap>
        <Select allowClear placeholder={t('market.allDomains')} style={{ width: 180 }} value={domain} onChange={setDomain} data-testid="filter-domain"
          options={DOMAINS.map((d) => ({ value: d, label: t(`market.domains.${d}`) }))} />
        <Segmented value={origin} onChange={(v) => setOrigin(String(v))} data-testid="filter-origin"
          options={[{ value: 'all', label: t('common.all') }, { value: 'self_built', label: t('market.origins.self_built') }, { value: 'partner', label: t('market.origins.partner') }]} />
        <Input.Search allowClear placeholder={t('market.searchPlaceholder')} style={{ width: 240 }} onChange={(e) => setQ(e.target.value)} data-testid="filter-q" />
      </Space>
      <AppGrid apps={shown} loading={apps.isLoading} error={apps.error} empty={t('market.empty')}
        href={(a) => `/market/${a.id}`} testId={(a) => `app-card-${a.id}`}>
        {(a) => (
          <Space direction="vertical" size={6} style={{ width: '100%' }}>
            <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} style={{ margin: 0, minHeight: 44 }}>
              {appDescription(a.manifest, i18n.language) || '—'}
            </Typography.Paragraph>
            <Space wrap size={4}>
              {a.manifest && <Tag color="geekblue">{t(`market.domains.${a.manifest.domain}`)}</Tag>}
              {a.manifest && <Tag color={a.manifest.origin === 'partner' ? 'purple' : 'cyan'}>{t(`market.origins.${a.manifest.origin}`)}</Tag>}
              <Tag>{a.listedVersion}</Tag>
            </Space>
            <Space style={{ justifyContent: 'space-between', width: '100%' }}>
              <Space size={4}>
                <Rate disabled allowHalf value={Math.round(a.rating.average * 2) / 2} style={{ fontSize: 13 }} />
                <Typography.Text type="secondary">({a.rating.count})</Typography.Text>
              </Space>
              <Typography.Text type="secondary"><TeamOutlined /> {formatNumber(a.subscribers)}</Typography.Text>
            </Space>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('market.publisher')}: {a.publisher}</Typography.Text>
          </Space>
        )}
      </AppGrid>
    </Space>
  );
}
