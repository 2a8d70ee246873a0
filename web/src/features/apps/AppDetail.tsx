// /market/:appId — an APP: versions, plans, subscribers, ratings, the permissions it requests
// (shown before subscribing), subscribe/unsubscribe for an enterprise, and rating it.
import { Alert, App as AntApp, Button, Card, Col, Descriptions, Empty, Form, Input, List, Modal, Popconfirm, Radio, Rate, Row, Select,
  Skeleton, Space, Statistic, Table, Tag, Typography } from 'antd';
import { AppstoreOutlined, OrderedListOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { call } from '../../api/client';
import { useSession } from '../../auth/session';
import { canView } from '../../auth/permissions';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatNumber, formatShortTime, formatTime } from '../../i18n';
import { appDescription, appName, useApp, useEnterprises, useRatings, useSubscriptions, useVersions, type AppManifest, type Plan, type Subscription } from './api';

export const permKey = (p: string) => p.replace(/:/g, '_');

export function PermissionList({ permissions }: { permissions: string[] }) {
  const { t } = useTranslation();
  if (!permissions.length) return <Typography.Text type="secondary">{t('market.noPermissions')}</Typography.Text>;
  return (
    <List size="small" dataSource={permissions} data-testid="app-permissions" renderItem={(p) => (
      <List.Item>
        <Space><Tag color={/write|call|outbound/.test(p) ? 'orange' : 'green'}>{p}</Tag>
          <Typography.Text>{t(`market.perm.${permKey(p)}`, { defaultValue: p })}</Typography.Text></Space>
      </List.Item>
    )} />
  );
}

export function planLabel(p: Plan, t: (k: string, o?: Record<string, unknown>) => string): string {
  if (p.type === 'free') return `${p.id} · ${t('market.plans.free')}`;
  if (p.type === 'monthly') return `${p.id} · ${t('market.plans.monthly', { price: p.price ?? 0 })}`;
  if (p.type === 'per_call') return `${p.id} · ${t('market.plans.per_call', { price: p.price ?? 0 })}`;
  return p.id;
}

function Subscribe({ appId, manifest, subs }: { appId: string; manifest: AppManifest; subs: Subscription[] }) {
  const { t, i18n } = useTranslation();
  const { message } = AntApp.useApp();
  const qc = useQueryClient();
  const user = useSession().session?.user;
  const tenantWide = user?.role === 'tenant-admin';
  const enterprises = useEnterprises(tenantWide);
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<{ enterpriseId?: string; plan: string }>();
  const plans = manifest.plans ?? [];
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['apps'] });
  };
  const subscribe = useMutation({
    mutationFn: (v: { enterpriseId?: string; plan: string }) => call<Subscription>('POST', `/api/v1/apps/${appId}/subscriptions`, v),
    onSuccess: () => { setOpen(false); message.success(t('market.subscribed')); refresh(); },
  });
  const unsubscribe = useMutation({
    mutationFn: (enterpriseId: string) => call<void>('DELETE', `/api/v1/apps/${appId}/subscriptions/${enterpriseId}`),
    onSuccess: () => { message.success(t('market.unsubscribed')); refresh(); },
  });
  const entName = (id: string) => enterprises.data?.find((e) => e.id === id)?.name ?? (id === user?.enterpriseId ? t('market.myEnterprise') : id);
  const mine = tenantWide ? subs : subs.filter((s) => s.enterpriseId === user?.enterpriseId);
  const canAdd = tenantWide || mine.length === 0;
  return (
    <Card size="small" title={t('market.subscriptions')} data-testid="subscribe-card"
      extra={canAdd && <Button type="primary" onClick={() => { form.setFieldsValue({ plan: plans[0]?.id }); setOpen(true); }} data-testid="subscribe-open">{t('market.subscribe')}</Button>}>
      {unsubscribe.error && <ErrorAlert error={unsubscribe.error} />}
      <Table rowKey="enterpriseId" size="small" pagination={false} dataSource={mine} locale={{ emptyText: t('market.notSubscribed') }}
        columns={[
          { title: t('market.enterprise'), dataIndex: 'enterpriseId', render: entName },
          { title: t('market.plan'), dataIndex: 'plan' },
          { title: t('market.calls'), dataIndex: 'calls', align: 'right' },
          { title: t('market.since'), dataIndex: 'createdAt', render: (v: number) => formatShortTime(v) },
          { title: t('common.actions'), key: 'a', render: (_: unknown, s: Subscription) => (
            <Space>
              <Link to={`/apps/${appId}`}>{t('market.open')}</Link>
              <Popconfirm title={t('market.confirmUnsubscribe')} onConfirm={() => unsubscribe.mutate(s.enterpriseId)}>
                <Button size="small" danger data-testid={`unsubscribe-${s.enterpriseId}`}>{t('market.unsubscribe')}</Button>
              </Popconfirm>
            </Space>) },
        ]} />
      <Modal open={open} title={t('market.subscribeTitle', { name: appName({ manifest }, i18n.language) })} onCancel={() => setOpen(false)}
        okText={t('market.confirmSubscribe')} onOk={() => form.submit()} confirmLoading={subscribe.isPending} okButtonProps={{ 'data-testid': 'subscribe-confirm' } as Record<string, string>}>
        {subscribe.error && <ErrorAlert error={subscribe.error} />}
        <Alert type="warning" showIcon icon={<SafetyCertificateOutlined />} message={t('market.grantTitle')} style={{ marginBottom: 12 }}
          description={<PermissionList permissions={manifest.permissions ?? []} />} />
        <Form form={form} layout="vertical" onFinish={(v) => subscribe.mutate(tenantWide ? v : { plan: v.plan })}>
          {tenantWide && (
            <Form.Item name="enterpriseId" label={t('market.enterprise')} rules={[{ required: true, message: t('market.pickEnterprise') }]}>
              <Select showSearch optionFilterProp="label" loading={enterprises.isLoading} data-testid="subscribe-enterprise"
                options={(enterprises.data ?? []).filter((e) => !subs.some((s) => s.enterpriseId === e.id)).map((e) => ({ value: e.id, label: e.name }))} />
            </Form.Item>
          )}
          <Form.Item name="plan" label={t('market.plan')} rules={[{ required: true }]}>
            <Radio.Group data-testid="subscribe-plan">
              <Space direction="vertical">{plans.map((p) => <Radio key={p.id} value={p.id}>{planLabel(p, t)}</Radio>)}</Space>
            </Radio.Group>
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}

function Ratings({ appId, canRate }: { appId: string; canRate: boolean }) {
  const { t } = useTranslation();
  const { message } = AntApp.useApp();
  const qc = useQueryClient();
  const ratings = useRatings(appId);
  const userId = useSession().session?.user.id;
  const mine = ratings.data?.items.find((r) => r.userId === userId);
  const [stars, setStars] = useState(0);
  const [comment, setComment] = useState('');
  const rate = useMutation({
    mutationFn: () => call('POST', `/api/v1/apps/${appId}/ratings`, { stars, comment }),
    onSuccess: () => { message.success(t('market.rated')); void qc.invalidateQueries({ queryKey: ['apps'] }); },
  });
  return (
    <Card size="small" title={t('market.ratings')}>
      {ratings.error && <ErrorAlert error={ratings.error} />}
      {canRate && (
        <Space direction="vertical" style={{ width: '100%', marginBottom: 12 }} data-testid="rate-form">
          <Space><Typography.Text>{mine ? t('market.rateAgain') : t('market.rateThis')}</Typography.Text>
            <Rate value={stars || mine?.stars || 0} onChange={setStars} data-testid="rate-stars" /></Space>
          <Input.TextArea rows={2} maxLength={2048} placeholder={t('market.commentPlaceholder')} value={comment} onChange={(e) => setComment(e.target.value)} data-testid="rate-comment" />
          {rate.error && <ErrorAlert error={rate.error} />}
          <Button type="primary" disabled={!stars} loading={rate.isPending} onClick={() => rate.mutate()} data-testid="rate-submit">{t('market.submitRating')}</Button>
        </Space>
      )}
      <List size="small" loading={ratings.isLoading} dataSource={ratings.data?.items ?? []} locale={{ emptyText: t('market.noRatings') }} data-testid="ratings"
        renderItem={(r) => (
          <List.Item>
            <List.Item.Meta title={<Space><Rate disabled value={r.stars} style={{ fontSize: 13 }} /><Typography.Text type="secondary">{formatShortTime(r.updatedAt)}</Typography.Text></Space>}
              description={r.comment || '—'} />
          </List.Item>
        )} />
    </Card>
  );
}

// Roles that can own an APP (upload) or see every version (platform admins).
const VERSION_ROLES = ['developer', 'tenant-admin', 'platform-admin'];

function Versions({ appId }: { appId: string }) {
  const { t } = useTranslation();
  const role = useSession().session?.user.role ?? '';
  const versions = useVersions(appId, VERSION_ROLES.includes(role));
  if (!VERSION_ROLES.includes(role) || versions.error) return null; // only the publisher and platform admins see versions
  return (
    <Card size="small" title={t('market.versions')}>
      <Table rowKey="version" size="small" pagination={false} loading={versions.isLoading} dataSource={versions.data?.items ?? []} data-testid="app-versions"
        columns={[
          { title: t('market.version'), dataIndex: 'version' },
          { title: t('market.status'), dataIndex: 'status', render: (s: string) => <Tag color={s === 'approved' ? 'green' : s === 'rejected' ? 'red' : 'gold'}>{t(`market.statuses.${s}`, { defaultValue: s })}</Tag> },
          { title: t('market.uploadedAt'), dataIndex: 'uploadedAt', render: (v: number) => formatShortTime(v) },
          { title: t('market.reason'), dataIndex: 'reason', render: (r: string) => r || '—' },
        ]} />
    </Card>
  );
}

export function AppDetailPage() {
  const { appId = '' } = useParams();
  const { t, i18n } = useTranslation();
  const user = useSession().session?.user;
  const app = useApp(appId);
  const subs = useSubscriptions(appId, !!user?.tenantId);
  if (app.isLoading) return <Skeleton active />;
  if (app.error || !app.data) return <ErrorAlert error={app.error} />;
  const a = app.data;
  const m = a.manifest;
  const admin = user?.role === 'tenant-admin' || user?.role === 'enterprise-admin';
  const subscribed = (subs.data?.items ?? []).length > 0;
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="app-detail">
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Space wrap>
          <Typography.Title level={3} style={{ margin: 0 }}>{appName(a, i18n.language)}</Typography.Title>
          <Tag>{a.listedVersion || t('market.unlisted')}</Tag>
          {a.publisher === 'kaiwu' && <Tag color="blue">{t('market.builtin')}</Tag>}
        </Space>
        <Space wrap>
          {subscribed && m?.ui && <Link to={`/apps/${appId}`}><Button type="primary" icon={<AppstoreOutlined />} data-testid="open-app">{t('market.open')}</Button></Link>}
          {canView(user?.role ?? null, 'appruns') && <Link to={`/market/${appId}/runs`}><Button icon={<OrderedListOutlined />}>{t('market.runs')}</Button></Link>}
        </Space>
      </Space>
      {!m && <Empty />}
      {m && (
        <>
          <Row gutter={[16, 16]}>
            <Col xs={24} lg={16}>
              <Card size="small">
                <Typography.Paragraph>{appDescription(m, i18n.language) || '—'}</Typography.Paragraph>
                <Descriptions size="small" column={{ xs: 1, md: 2 }} items={[
                  { key: 'id', label: 'ID', children: <Typography.Text code>{a.id}</Typography.Text> },
                  { key: 'd', label: t('market.domain'), children: <Tag color="geekblue">{t(`market.domains.${m.domain}`)}</Tag> },
                  { key: 'p', label: t('market.publisher'), children: a.publisher },
                  { key: 'o', label: t('market.origin'), children: t(`market.origins.${m.origin}`, { defaultValue: m.origin }) },
                  { key: 'f', label: t('market.form'), children: t(`market.forms.${m.form}`, { defaultValue: m.form ?? '—' }) },
                  { key: 'c', label: t('common.createdAt'), children: formatTime(a.createdAt) },
                ]} />
              </Card>
            </Col>
            <Col xs={24} lg={8}>
              <Card size="small">
                <Row gutter={8}>
                  <Col span={12}><Statistic title={t('market.subscribers')} value={a.subscribers} data-testid="app-subscribers" /></Col>
                  <Col span={12}><Statistic title={t('market.averageRating')} value={a.rating.count ? formatNumber(a.rating.average, 1) : '—'}
                    suffix={a.rating.count ? `/ 5 (${a.rating.count})` : ''} data-testid="app-rating" /></Col>
                </Row>
              </Card>
            </Col>
          </Row>
          <Row gutter={[16, 16]}>
            <Col xs={24} lg={12}>
              <Card size="small" title={<Space><SafetyCertificateOutlined />{t('market.permissions')}</Space>}>
                <PermissionList permissions={m.permissions ?? []} />
              </Card>
            </Col>
            <Col xs={24} lg={12}>
              <Card size="small" title={t('market.plansTitle')}>
                <List size="small" dataSource={m.plans ?? []} renderItem={(p) => <List.Item>{planLabel(p, t)}</List.Item>} />
              </Card>
            </Col>
          </Row>
          {admin && <Subscribe appId={appId} manifest={m} subs={subs.data?.items ?? []} />}
          <Card size="small" title={t('market.functions')}>
            <Table rowKey="name" size="small" pagination={false} dataSource={m.functions ?? []}
              columns={[{ title: t('common.name'), dataIndex: 'name', render: (n: string) => <Typography.Text code>{n}</Typography.Text> },
                { title: t('common.description'), dataIndex: 'description' },
                { title: t('market.triggers'), key: 'tr', render: (_: unknown, f: { name: string }) => (m.triggers ?? []).filter((x) => x.function === f.name)
                  .map((x, i) => <Tag key={i}>{t(`market.triggerTypes.${x.type}`, { defaultValue: x.type })}{x.intervalMs ? ` ${x.intervalMs / 1000}s` : ''}{x.cron ? ` ${x.cron}` : ''}</Tag>) }]} />
          </Card>
          <Row gutter={[16, 16]}>
            <Col xs={24} lg={12}><Ratings appId={appId} canRate={!!user?.tenantId && !!a.listedVersion} /></Col>
            <Col xs={24} lg={12}><Versions appId={appId} /></Col>
          </Row>
        </>
      )}
    </Space>
  );
}
