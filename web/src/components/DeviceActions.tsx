// Edit a device (name, MIIT category, protocol, profile, label) and rotate its access token.
import { Button, Form, Grid, Input, Modal, Popconfirm, Select, Space, message } from 'antd';
import { EditOutlined, SyncOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, listAll } from '../api/client';
import type { Device, Profile } from '../api/types';
import { CATEGORIES, PROTOCOLS } from '../api/types';
import { ErrorAlert } from './ErrorAlert';

export function DeviceActions({ device }: { device: Device }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const iconsOnly = !Grid.useBreakpoint().md; // phones: keep room for the device name
  const [form] = Form.useForm();
  const profiles = useQuery({ queryKey: ['list', '/api/v1/profiles', ''], queryFn: () => listAll<Profile>('/api/v1/profiles'), enabled: editing });
  const refresh = (d: Device) => {
    qc.setQueryData(['device', device.id], d);
    void qc.invalidateQueries({ queryKey: ['list'] });
    void qc.invalidateQueries({ queryKey: ['overview'] });
  };
  const save = useMutation({
    mutationFn: (v: Record<string, unknown>) => call<Device>('PATCH', `/api/v1/devices/${device.id}`, { ...v, profileId: v.profileId ?? '' }),
    onSuccess: (d) => {
      refresh(d);
      setEditing(false);
      void message.success(t('common.saved'));
    },
  });
  const rotate = useMutation({
    mutationFn: () => call<Device>('POST', `/api/v1/devices/${device.id}/token`),
    onSuccess: (d) => {
      refresh(d);
      void message.success(t('device.tokenRotated'));
    },
    onError: (e) => Modal.error({ title: t('error.title'), content: <ErrorAlert error={e} /> }),
  });
  return (
    <Space>
      <Button icon={<EditOutlined />} onClick={() => { save.reset(); setEditing(true); }} data-testid="device-edit"
        aria-label={t('common.edit')}>{iconsOnly ? null : t('common.edit')}</Button>
      <Popconfirm title={t('device.rotateConfirm')} onConfirm={() => rotate.mutate()} okText={t('common.ok')} cancelText={t('common.cancel')}>
        <Button icon={<SyncOutlined />} loading={rotate.isPending} aria-label={t('device.rotateToken')}>{iconsOnly ? null : t('device.rotateToken')}</Button>
      </Popconfirm>
      <Modal open={editing} title={t('device.edit')} onCancel={() => setEditing(false)} onOk={() => form.submit()} destroyOnClose
        okText={t('common.save')} cancelText={t('common.cancel')} confirmLoading={save.isPending}>
        {save.error && <ErrorAlert error={save.error} />}
        <Form form={form} layout="vertical" preserve={false} onFinish={(v) => save.mutate(v)}
          initialValues={{ name: device.name, category: device.category, protocol: device.protocol, profileId: device.profileId ?? undefined, label: device.label }}>
          <Form.Item name="name" label={t('common.name')} rules={[{ required: true, message: t('validation.required') }]}><Input maxLength={128} /></Form.Item>
          <Form.Item name="category" label={t('devices.category')}>
            <Select options={CATEGORIES.map((c) => ({ value: c, label: t(`category.${c}`) }))} />
          </Form.Item>
          <Form.Item name="protocol" label={t('devices.protocol')}>
            <Select options={PROTOCOLS.map((p) => ({ value: p, label: p }))} />
          </Form.Item>
          <Form.Item name="profileId" label={t('devices.profile')}>
            <Select allowClear loading={profiles.isLoading} options={(profiles.data ?? []).map((p) => ({ value: p.id, label: p.name }))} />
          </Form.Item>
          <Form.Item name="label" label={t('devices.label')}><Input maxLength={256} /></Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
