import { Button, Form, Input, Modal, Tag } from 'antd';
import { EditOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call } from '../api/client';
import type { Profile } from '../api/types';
import { useRole } from '../auth/session';
import { canWrite } from '../auth/permissions';
import { ErrorAlert } from '../components/ErrorAlert';
import { NameField, ResourcePage } from '../components/ResourcePage';
import { ThingModelEditor } from '../components/ThingModelEditor';
import { checkThingModel } from '../thingModel';
import { formatTime } from '../i18n';

function useThingModelRule() {
  return {
    validator: (_: unknown, v: string) => {
      if (!v?.trim()) return Promise.resolve();
      const c = checkThingModel(v);
      return c.ok ? Promise.resolve() : Promise.reject(new Error(c.error));
    },
  };
}

export function ProfilesPage() {
  const { t } = useTranslation();
  const role = useRole();
  const rule = useThingModelRule();
  const [editing, setEditing] = useState<Profile | null>(null);
  return (
    <>
      <ResourcePage<Profile> resource="profiles" title="profiles.title" createLabel="profiles.create" path="/api/v1/profiles"
        tenantOwned modalWidth={760}
        columns={[
          { title: t('common.name'), dataIndex: 'name' },
          { title: t('common.description'), dataIndex: 'description' },
          { title: t('profiles.properties'), key: 'props', render: (_, p) => (
            <>{(p.thingModel?.properties ?? []).slice(0, 6).map((x) => <Tag key={x.identifier}>{x.name || x.identifier}{x.unit ? ` (${x.unit})` : ''}</Tag>)}
              {(p.thingModel?.properties?.length ?? 0) > 6 && '…'}</>) },
          { title: t('common.createdAt'), dataIndex: 'createdAt', render: formatTime },
        ]}
        extraActions={(p) => canWrite(role, 'profiles')
          ? <Button size="small" type="text" icon={<EditOutlined />} aria-label={t('common.edit')} onClick={() => setEditing(p)} /> : null}
        toBody={(v) => ({ ...v, thingModel: v.thingModel ? JSON.parse(v.thingModel as string) : undefined })}
        fields={() => (
          <>
            <NameField />
            <Form.Item name="description" label={t('common.description')}><Input /></Form.Item>
            <Form.Item name="thingModel" label={t('profiles.editor')} rules={[rule]}><ThingModelEditor /></Form.Item>
          </>
        )} />
      {editing && <EditProfile profile={editing} onClose={() => setEditing(null)} />}
    </>
  );
}

function EditProfile({ profile, onClose }: { profile: Profile; onClose(): void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const rule = useThingModelRule();
  const save = useMutation({
    mutationFn: (v: { name: string; description: string; thingModel: string }) =>
      call<Profile>('PATCH', `/api/v1/profiles/${profile.id}`, { ...v, thingModel: JSON.parse(v.thingModel || '{}') }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['list'] });
      void qc.invalidateQueries({ queryKey: ['profile', profile.id] });
      onClose();
    },
  });
  return (
    <Modal open title={t('profiles.edit')} width={760} onCancel={onClose} onOk={() => form.submit()} okText={t('common.save')}
      cancelText={t('common.cancel')} confirmLoading={save.isPending}>
      {save.error && <ErrorAlert error={save.error} />}
      <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)}
        initialValues={{ name: profile.name, description: profile.description, thingModel: JSON.stringify(profile.thingModel, null, 2) }}>
        <NameField />
        <Form.Item name="description" label={t('common.description')}><Input /></Form.Item>
        <Form.Item name="thingModel" label={t('profiles.editor')} rules={[rule]}><ThingModelEditor /></Form.Item>
      </Form>
    </Modal>
  );
}
