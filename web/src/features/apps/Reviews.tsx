// /market/reviews — versions waiting for review: manifest summary, permissions, signature; approve
// or reject with a reason (platform reviewers; the server enforces the role).
import { App as AntApp, Button, Card, Descriptions, Empty, Form, Input, Modal, Skeleton, Space, Tag, Typography } from 'antd';
import { CheckOutlined, CloseOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call } from '../../api/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatTime } from '../../i18n';
import { appDescription, appName, useReviews, type AppVersion } from './api';
import { PermissionList, planLabel } from './AppDetail';

function ReviewCard({ v, onReject }: { v: AppVersion; onReject: (v: AppVersion) => void }) {
  const { t, i18n } = useTranslation();
  const { message } = AntApp.useApp();
  const qc = useQueryClient();
  const approve = useMutation({
    mutationFn: () => call('POST', `/api/v1/apps/${v.appId}/versions/${v.version}/review`, { approve: true }),
    onSuccess: () => { message.success(t('market.approved')); void qc.invalidateQueries({ queryKey: ['apps'] }); },
  });
  const m = v.manifest;
  return (
    <Card size="small" data-testid={`review-${v.appId}-${v.version}`}
      title={<Space wrap>{appName(v, i18n.language)}<Tag>{v.version}</Tag>{m && <Tag color="geekblue">{t(`market.domains.${m.domain}`)}</Tag>}</Space>}
      extra={<Space>
        <Button type="primary" icon={<CheckOutlined />} loading={approve.isPending} onClick={() => approve.mutate()} data-testid={`approve-${v.appId}`}>{t('market.approve')}</Button>
        <Button danger icon={<CloseOutlined />} onClick={() => onReject(v)} data-testid={`reject-${v.appId}`}>{t('market.reject')}</Button>
      </Space>}>
      {approve.error && <ErrorAlert error={approve.error} />}
      {m && <Typography.Paragraph type="secondary">{appDescription(m, i18n.language) || '—'}</Typography.Paragraph>}
      <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered items={[
        { key: 'id', label: 'ID', children: <Typography.Text code>{v.appId}</Typography.Text> },
        { key: 'pub', label: t('market.publisher'), children: m?.publisher ?? '—' },
        { key: 'o', label: t('market.origin'), children: m ? t(`market.origins.${m.origin}`, { defaultValue: m.origin }) : '—' },
        { key: 'f', label: t('market.form'), children: m?.form ? t(`market.forms.${m.form}`, { defaultValue: m.form }) : '—' },
        { key: 'fn', label: t('market.functions'), children: (m?.functions ?? []).map((f) => <Tag key={f.name}>{f.name}</Tag>) },
        { key: 'tr', label: t('market.triggers'), children: (m?.triggers ?? []).map((x, i) => <Tag key={i}>{t(`market.triggerTypes.${x.type}`, { defaultValue: x.type })} → {x.function}</Tag>) },
        { key: 'pl', label: t('market.plansTitle'), children: (m?.plans ?? []).map((p) => <Tag key={p.id}>{planLabel(p, t)}</Tag>) },
        { key: 'ui', label: t('market.ui'), children: m?.ui ? t('common.yes') : t('common.no') },
        { key: 'up', label: t('market.uploadedAt'), children: `${formatTime(v.uploadedAt)} · ${v.uploadedBy}` },
        { key: 'k', label: t('market.signature'), children: <Space direction="vertical" size={0}>
          <Typography.Text><Tag color="green">Ed25519</Tag>{t('market.keyFingerprint')}: <Typography.Text code data-testid="review-fingerprint">{v.keyFingerprint || '—'}</Typography.Text></Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>SHA-256: <Typography.Text code style={{ fontSize: 12 }}>{v.digest}</Typography.Text></Typography.Text>
        </Space> },
      ]} />
      <Typography.Title level={5} style={{ marginTop: 12 }}>{t('market.permissions')}</Typography.Title>
      <PermissionList permissions={m?.permissions ?? []} />
    </Card>
  );
}

export function ReviewsPage() {
  const { t } = useTranslation();
  const { message } = AntApp.useApp();
  const qc = useQueryClient();
  const reviews = useReviews();
  const [rejecting, setRejecting] = useState<AppVersion | null>(null);
  const reject = useMutation({
    mutationFn: (reason: string) => call('POST', `/api/v1/apps/${rejecting!.appId}/versions/${rejecting!.version}/review`, { approve: false, reason }),
    onSuccess: () => { setRejecting(null); message.success(t('market.rejected')); void qc.invalidateQueries({ queryKey: ['apps'] }); },
  });
  const items = reviews.data?.items ?? [];
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="reviews">
      <Typography.Title level={3} style={{ margin: 0 }}>{t('market.reviews')}</Typography.Title>
      {reviews.error && <ErrorAlert error={reviews.error} />}
      {reviews.isLoading && <Skeleton active />}
      {!reviews.isLoading && !items.length && <Empty description={t('market.noPending')} />}
      {items.map((v) => <ReviewCard key={`${v.appId}@${v.version}`} v={v} onReject={setRejecting} />)}
      <Modal open={!!rejecting} title={t('market.rejectTitle', { id: rejecting?.appId, version: rejecting?.version })} onCancel={() => setRejecting(null)}
        footer={null} destroyOnClose>
        {reject.error && <ErrorAlert error={reject.error} />}
        <Form layout="vertical" onFinish={(v: { reason: string }) => reject.mutate(v.reason)}>
          <Form.Item name="reason" label={t('market.reason')} rules={[{ required: true, whitespace: true, message: t('market.reasonRequired') }]}>
            <Input.TextArea rows={3} maxLength={2048} data-testid="reject-reason" />
          </Form.Item>
          <Button danger type="primary" htmlType="submit" loading={reject.isPending} data-testid="reject-submit">{t('market.reject')}</Button>
        </Form>
      </Modal>
    </Space>
  );
}
