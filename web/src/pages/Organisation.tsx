// Tenants, parks, enterprises, users and API keys: list pages over ResourcePage.
import { Alert, Form, Input, InputNumber, Modal, Select, Switch, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { listAll } from '../api/client';
import type { ApiKey, Enterprise, Park, Tenant, User } from '../api/types';
import { INDUSTRIES, PARK_LEVELS } from '../api/types';
import { useRole, useSession } from '../auth/session';
import { grantableRoles } from '../auth/permissions';
import { CopyBlock } from '../components/CopyBlock';
import { NameField, ResourcePage } from '../components/ResourcePage';
import { formatTime } from '../i18n';

const required = (t: (k: string) => string) => [{ required: true, message: t('validation.required') }];

function useNames<T extends { id: string; name: string }>(path: string, enabled = true) {
  const q = useQuery({ queryKey: ['list', path, ''], queryFn: () => listAll<T>(path), enabled });
  return useMemo(() => new Map((q.data ?? []).map((x) => [x.id, x.name])), [q.data]);
}

export function TenantsPage() {
  const { t } = useTranslation();
  return (
    <ResourcePage<Tenant> resource="tenants" title="tenants.title" createLabel="tenants.create" path="/api/v1/tenants" editable
      toPatch={(v) => ({ name: v.name, description: v.description ?? '' })}
      columns={[
        { title: t('common.name'), dataIndex: 'name' },
        { title: t('common.description'), dataIndex: 'description' },
        { title: t('common.createdAt'), dataIndex: 'createdAt', render: formatTime },
      ]}
      fields={() => (
        <>
          <NameField />
          <Form.Item name="description" label={t('common.description')}><Input.TextArea rows={2} maxLength={1024} /></Form.Item>
        </>
      )} />
  );
}

export function ParksPage() {
  const { t } = useTranslation();
  return (
    <ResourcePage<Park> resource="parks" title="parks.title" createLabel="parks.create" path="/api/v1/parks" tenantOwned editable
      toPatch={(v) => ({ name: v.name, region: v.region ?? '', level: v.level, address: v.address ?? '' })}
      columns={[
        { title: t('common.name'), dataIndex: 'name' },
        { title: t('parks.region'), dataIndex: 'region' },
        { title: t('parks.level'), dataIndex: 'level', render: (v: string) => <Tag>{t(`parkLevel.${v}`)}</Tag> },
        { title: t('parks.address'), dataIndex: 'address' },
        { title: t('common.createdAt'), dataIndex: 'createdAt', render: formatTime },
      ]}
      fields={() => (
        <>
          <NameField />
          <Form.Item name="region" label={t('parks.region')}><Input placeholder="江苏省苏州市" /></Form.Item>
          <Form.Item name="level" label={t('parks.level')} initialValue="provincial">
            <Select options={PARK_LEVELS.map((l) => ({ value: l, label: t(`parkLevel.${l}`) }))} />
          </Form.Item>
          <Form.Item name="address" label={t('parks.address')}><Input /></Form.Item>
        </>
      )} />
  );
}

export function EnterprisesPage() {
  const { t } = useTranslation();
  const role = useRole();
  const parks = useNames<Park>('/api/v1/parks');
  return (
    <ResourcePage<Enterprise> resource="enterprises" title="enterprises.title" createLabel="enterprises.create"
      path="/api/v1/enterprises" tenantOwned modalWidth={640} editable
      toForm={(e) => ({ ...e, parkId: e.parkId ?? undefined })}
      toPatch={(v) => enterprisePatch(v, role)}
      columns={[
        { title: t('common.name'), dataIndex: 'name',
          render: (v: string, e: Enterprise) => <Link to={`/enterprises/${e.id}/profile`} title={t('park.viewProfile')}>{v}</Link> },
        { title: t('enterprises.industry'), dataIndex: 'industry' },
        { title: t('enterprises.park'), dataIndex: 'parkId', render: (v: string | null) => (v ? parks.get(v) ?? v : '—') },
        { title: t('enterprises.creditCode'), dataIndex: 'creditCode', render: (v: string) => v ? <Typography.Text code>{v}</Typography.Text> : '—' },
        { title: t('enterprises.sme'), dataIndex: 'sme', render: (v: boolean) => (v ? t('common.yes') : t('common.no')) },
        { title: t('enterprises.paid'), dataIndex: 'paid', render: (v: boolean) => (v ? <Tag color="green">{t('common.yes')}</Tag> : t('common.no')) },
        { title: t('common.createdAt'), dataIndex: 'createdAt', render: formatTime },
      ]}
      toBody={(v) => ({ ...v, parkId: v.parkId || undefined, creditCode: v.creditCode || undefined })}
      fields={() => (
        <>
          <NameField />
          <Form.Item name="industry" label={t('enterprises.industry')} rules={required(t)}>
            <Select showSearch options={INDUSTRIES.map((i) => ({ value: i, label: i }))} data-testid="industry-select" />
          </Form.Item>
          {role !== 'park-admin' && (
            <Form.Item name="parkId" label={t('enterprises.park')}>
              <Select allowClear options={[...parks].map(([id, name]) => ({ value: id, label: name }))} />
            </Form.Item>
          )}
          <Form.Item name="creditCode" label={t('enterprises.creditCode')} extra={t('enterprises.creditCodeHelp')}>
            <Input maxLength={18} style={{ fontFamily: 'monospace' }} />
          </Form.Item>
          <Form.Item name="address" label={t('enterprises.address')}><Input /></Form.Item>
          <div style={{ display: 'flex', gap: 16, flexWrap: 'wrap' }}>
            <Form.Item name="longitude" label={t('enterprises.longitude')}><InputNumber min={-180} max={180} step={0.000001} /></Form.Item>
            <Form.Item name="latitude" label={t('enterprises.latitude')}><InputNumber min={-90} max={90} step={0.000001} /></Form.Item>
            <Form.Item name="sme" label={t('enterprises.sme')} valuePropName="checked" initialValue={true}><Switch /></Form.Item>
            <Form.Item name="paid" label={t('enterprises.paid')} valuePropName="checked" initialValue={false}><Switch /></Form.Item>
          </div>
        </>
      )} />
  );
}

// An enterprise's PATCH body: cleared text fields as "", unset coordinates left out, and the
// fields the server refuses from this role (parkId for park and enterprise admins, paid for
// enterprise admins) not sent at all.
export function enterprisePatch(v: Record<string, unknown>, role: string | null): Record<string, unknown> {
  const body: Record<string, unknown> = { ...v, creditCode: v.creditCode ?? '', address: v.address ?? '', parkId: v.parkId ?? '' };
  for (const k of ['longitude', 'latitude']) if (body[k] === null || body[k] === undefined) delete body[k];
  if (role === 'park-admin' || role === 'enterprise-admin') delete body.parkId;
  if (role === 'enterprise-admin') delete body.paid;
  return body;
}

export function userPatch(v: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = { displayName: v.displayName ?? '' };
  for (const k of ['role', 'disabled'] as const) if (v[k] !== undefined) body[k] = v[k];
  if ('parkId' in v) body.parkId = v.parkId ?? '';
  if ('enterpriseId' in v) body.enterpriseId = v.enterpriseId ?? '';
  if (typeof v.password === 'string' && v.password) body.password = v.password;
  return body;
}

export function UsersPage() {
  const { t } = useTranslation();
  const role = useRole();
  const { session, updateUser } = useSession();
  const me = session?.user.id;
  const enterprises = useNames<Enterprise>('/api/v1/enterprises');
  const parks = useNames<Park>('/api/v1/parks');
  return (
    <ResourcePage<User & { name?: string }> resource="users" title="users.title" createLabel="users.create" path="/api/v1/users"
      tenantOwned rowName={(u) => u.username} canDeleteRow={(u) => u.id !== me} editable
      toForm={(u) => ({ displayName: u.displayName, role: u.role, disabled: u.disabled, parkId: u.parkId ?? undefined, enterpriseId: u.enterpriseId ?? undefined })}
      toPatch={(v) => userPatch(v)} onUpdated={(u) => updateUser(u)}
      editFields={(_, u) => (
        <>
          <Form.Item name="displayName" label={t('users.displayName')}><Input /></Form.Item>
          {u.role !== 'platform-admin' && u.id !== me && (
            <Form.Item name="role" label={t('users.role')} rules={required(t)}>
              <Select options={grantableRoles(role).filter((r) => r !== 'platform-admin').map((r) => ({ value: r, label: t(`roles.${r}`) }))} />
            </Form.Item>
          )}
          {u.id !== me && <Form.Item name="disabled" label={t('users.disabled')} valuePropName="checked"><Switch /></Form.Item>}
          <Form.Item name="password" label={t('users.newPassword')} extra={t('users.newPasswordHelp')} rules={[{ min: 10, message: t('users.passwordHelp') }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          {u.role !== 'platform-admin' && (
            <>
              <Form.Item name="parkId" label={t('users.park')}>
                <Select allowClear options={[...parks].map(([id, name]) => ({ value: id, label: name }))} />
              </Form.Item>
              <Form.Item name="enterpriseId" label={t('users.enterprise')}>
                <Select allowClear showSearch optionFilterProp="label" options={[...enterprises].map(([id, name]) => ({ value: id, label: name }))} />
              </Form.Item>
            </>
          )}
        </>
      )}
      columns={[
        { title: t('users.username'), dataIndex: 'username' },
        { title: t('users.displayName'), dataIndex: 'displayName' },
        { title: t('users.role'), dataIndex: 'role', render: (v: string) => <Tag color="blue">{t(`roles.${v}`)}</Tag> },
        { title: t('users.enterprise'), dataIndex: 'enterpriseId', render: (v: string | null) => (v ? enterprises.get(v) ?? v : '—') },
        { title: t('users.status'), dataIndex: 'disabled', render: (v: boolean) => (v ? <Tag color="red">{t('users.disabled')}</Tag> : <Tag color="green">{t('users.active')}</Tag>) },
        { title: t('users.lastLogin'), dataIndex: 'lastLoginAt', render: (v: number | null) => (v ? formatTime(v) : t('common.never')) },
      ]}
      toBody={(v) => ({ ...v, parkId: v.parkId || undefined, enterpriseId: v.enterpriseId || undefined })}
      fields={() => (
        <>
          <Form.Item name="username" label={t('users.username')} rules={required(t)}><Input autoComplete="off" /></Form.Item>
          <Form.Item name="displayName" label={t('users.displayName')}><Input /></Form.Item>
          <Form.Item name="password" label={t('users.password')} extra={t('users.passwordHelp')} rules={[...required(t), { min: 10, message: t('users.passwordHelp') }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="role" label={t('users.role')} rules={required(t)} initialValue="engineer">
            <Select options={grantableRoles(role).filter((r) => r !== 'platform-admin').map((r) => ({ value: r, label: t(`roles.${r}`) }))} />
          </Form.Item>
          <Form.Item name="parkId" label={t('users.park')}>
            <Select allowClear options={[...parks].map(([id, name]) => ({ value: id, label: name }))} />
          </Form.Item>
          <Form.Item name="enterpriseId" label={t('users.enterprise')}>
            <Select allowClear showSearch optionFilterProp="label" options={[...enterprises].map(([id, name]) => ({ value: id, label: name }))} />
          </Form.Item>
        </>
      )} />
  );
}

export function ApiKeysPage() {
  const { t } = useTranslation();
  const role = useRole();
  const enterprises = useNames<Enterprise>('/api/v1/enterprises');
  const showKey = (k: ApiKey) =>
    Modal.success({
      title: t('apikeys.createdTitle'), width: 560, okText: t('common.close'),
      content: (
        <>
          <Alert type="warning" showIcon message={t('apikeys.createdHint')} style={{ marginBottom: 12 }} />
          <CopyBlock text={k.key ?? ''} testId="apikey-secret" />
        </>
      ),
    });
  return (
    <ResourcePage<ApiKey> resource="apikeys" title="apikeys.title" createLabel="apikeys.create" path="/api/v1/apikeys"
      tenantOwned onCreated={showKey}
      columns={[
        { title: t('common.name'), dataIndex: 'name' },
        { title: t('apikeys.prefix'), dataIndex: 'prefix', render: (v: string) => <Typography.Text code>{v}…</Typography.Text> },
        { title: t('apikeys.role'), dataIndex: 'role', render: (v: string) => <Tag color="blue">{t(`roles.${v}`)}</Tag> },
        { title: t('apikeys.enterprise'), dataIndex: 'enterpriseId', render: (v: string | null) => (v ? enterprises.get(v) ?? v : '—') },
        { title: t('apikeys.lastUsed'), dataIndex: 'lastUsedAt', render: (v: number | null) => (v ? formatTime(v) : t('common.never')) },
        { title: t('apikeys.expiresAt'), dataIndex: 'expiresAt', render: (v: number | null) => (v ? formatTime(v) : '—') },
      ]}
      fields={() => (
        <>
          <NameField />
          <Form.Item name="role" label={t('apikeys.role')} initialValue="engineer">
            <Select options={grantableRoles(role).filter((r) => r !== 'platform-admin').map((r) => ({ value: r, label: t(`roles.${r}`) }))} />
          </Form.Item>
          <Form.Item name="enterpriseId" label={t('apikeys.enterprise')}>
            <Select allowClear options={[...enterprises].map(([id, name]) => ({ value: id, label: name }))} />
          </Form.Item>
        </>
      )} />
  );
}

