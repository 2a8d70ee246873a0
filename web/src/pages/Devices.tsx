import { Alert, Badge, Button, Form, Input, Select, Switch, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { call, listAll } from '../api/client';
import type { Device, Enterprise, Profile } from '../api/types';
import { CATEGORIES, PROTOCOLS } from '../api/types';
import { useRole } from '../auth/session';
import { DeviceCreatedModal, type ConnectInfo } from '../components/DeviceCreatedModal';
import { NameField, ResourcePage } from '../components/ResourcePage';
import { formatTime } from '../i18n';

export function useConnectInfo(): ConnectInfo {
  const info = useQuery({
    queryKey: ['connect-info'],
    queryFn: () => call<{ mqttPort: number; mqttTlsPort: number }>('GET', '/api/v1/connect-info'),
    staleTime: Infinity,
  });
  return { host: window.location.hostname, httpOrigin: window.location.origin, mqttPort: info.data?.mqttPort ?? 1883 };
}

export function OnlineBadge({ online }: { online: boolean }) {
  const { t } = useTranslation();
  return <Badge status={online ? 'success' : 'default'} text={online ? t('devices.online') : t('devices.offline')} />;
}

export function DevicesPage() {
  const { t } = useTranslation();
  const role = useRole();
  const navigate = useNavigate();
  const connect = useConnectInfo();
  const [created, setCreated] = useState<Device | null>(null);
  const enterprisesQ = useQuery({ queryKey: ['list', '/api/v1/enterprises', ''], queryFn: () => listAll<Enterprise>('/api/v1/enterprises') });
  const profilesQ = useQuery({ queryKey: ['list', '/api/v1/profiles', ''], queryFn: () => listAll<Profile>('/api/v1/profiles') });
  const enterprises = useMemo(() => new Map((enterprisesQ.data ?? []).map((e) => [e.id, e])), [enterprisesQ.data]);
  const profiles = useMemo(() => new Map((profilesQ.data ?? []).map((p) => [p.id, p.name])), [profilesQ.data]);
  const ownEnterprise = role === 'enterprise-admin' || role === 'engineer';

  return (
    <>
      {enterprisesQ.data && enterprisesQ.data.length === 0 && !ownEnterprise && (
        <Alert type="info" showIcon message={t('devices.noEnterprise')} style={{ marginBottom: 16 }} />
      )}
      <ResourcePage<Device> resource="devices" title="devices.title" createLabel="devices.create" path="/api/v1/devices"
        modalWidth={620} onCreated={setCreated}
        columns={[
          { title: t('common.name'), dataIndex: 'name', render: (v: string, d) => <Link to={`/devices/${d.id}`}>{v}</Link> },
          { title: t('devices.status'), dataIndex: 'online', render: (v: boolean) => <OnlineBadge online={v} /> },
          { title: t('devices.category'), dataIndex: 'category', render: (v: string) => <Tag color="geekblue">{t(`category.${v}`)}</Tag> },
          { title: t('devices.protocol'), dataIndex: 'protocol', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
          { title: t('devices.enterprise'), dataIndex: 'enterpriseId', render: (v: string) => enterprises.get(v)?.name ?? v },
          { title: t('devices.profile'), dataIndex: 'profileId', render: (v: string | null) => (v ? profiles.get(v) ?? v : '—') },
          { title: t('devices.lastSeen'), dataIndex: 'lastSeenAt', render: (v: number | null) => (v ? formatTime(v) : t('common.never')) },
        ]}
        extraActions={(d) => <Button size="small" type="link" onClick={() => navigate(`/devices/${d.id}`)}>{t('devices.openDevice')}</Button>}
        toBody={(v) => {
          const ent = enterprises.get(v.enterpriseId as string);
          return { ...v, profileId: v.profileId || undefined, label: v.label || undefined,
            tenantId: role === 'platform-admin' ? ent?.tenantId : undefined,
            enterpriseId: ownEnterprise ? undefined : v.enterpriseId };
        }}
        fields={() => (
          <>
            <NameField />
            {!ownEnterprise && (
              <Form.Item name="enterpriseId" label={t('devices.enterprise')} rules={[{ required: true, message: t('validation.required') }]}>
                <Select showSearch optionFilterProp="label" loading={enterprisesQ.isLoading} data-testid="enterprise-select"
                  options={(enterprisesQ.data ?? []).map((e) => ({ value: e.id, label: e.name }))} />
              </Form.Item>
            )}
            <Form.Item name="category" label={t('devices.category')} initialValue="running" rules={[{ required: true }]}>
              <Select options={CATEGORIES.map((c) => ({ value: c, label: t(`category.${c}`) }))} />
            </Form.Item>
            <Form.Item name="protocol" label={t('devices.protocol')} initialValue="mqtt">
              <Select options={PROTOCOLS.map((p) => ({ value: p, label: p }))} />
            </Form.Item>
            <Form.Item name="profileId" label={t('devices.profile')}>
              <Select allowClear options={(profilesQ.data ?? []).map((p) => ({ value: p.id, label: p.name }))} />
            </Form.Item>
            <Form.Item name="label" label={t('devices.label')}><Input maxLength={256} /></Form.Item>
            <Form.Item name="isGateway" label={t('devices.gateway')} valuePropName="checked" initialValue={false}><Switch /></Form.Item>
          </>
        )} />
      <DeviceCreatedModal device={created} connect={connect} onClose={() => setCreated(null)}
        onOpen={(d) => navigate(`/devices/${d.id}`)} />
    </>
  );
}
