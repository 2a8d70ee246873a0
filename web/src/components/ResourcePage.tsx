// A list page for one API collection: table with search and refresh, a create dialog (with the
// tenant picker platform admins need), an edit dialog (PATCH), delete with confirmation, errors
// and loading states.
import { Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Typography, message } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { FormInstance } from 'antd/es/form';
import { PlusOutlined, ReloadOutlined, DeleteOutlined, EditOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { call, listAll } from '../api/client';
import type { Tenant } from '../api/types';
import { useRole } from '../auth/session';
import { canWrite, type Resource } from '../auth/permissions';
import { ErrorAlert } from './ErrorAlert';

export interface ResourcePageProps<T extends { id: string; name?: string }> {
  resource: Resource;
  title: string;
  createLabel: string;
  path: string;
  columns: ColumnsType<T>;
  fields?: (form: FormInstance) => ReactNode;
  tenantOwned?: boolean;
  toBody?: (values: Record<string, unknown>) => unknown;
  onCreated?: (item: T) => void;
  deletable?: boolean;
  canDeleteRow?: (row: T) => boolean;
  rowName?: (row: T) => string;
  extraActions?: (row: T) => ReactNode;
  modalWidth?: number;
  // Edit dialog: its fields (default: the create fields), the form values of a row and the PATCH
  // body; rows for which canEditRow is false get no edit button.
  editable?: boolean;
  editFields?: (form: FormInstance, row: T) => ReactNode;
  toForm?: (row: T) => Record<string, unknown>;
  toPatch?: (values: Record<string, unknown>, row: T) => unknown;
  canEditRow?: (row: T) => boolean;
  onUpdated?: (item: T) => void;
}

export function useTenants(enabled: boolean) {
  return useQuery({ queryKey: ['list', '/api/v1/tenants'], queryFn: () => listAll<Tenant>('/api/v1/tenants'), enabled });
}

export function ResourcePage<T extends { id: string; name?: string }>(props: ResourcePageProps<T>) {
  const { t } = useTranslation();
  const role = useRole();
  const qc = useQueryClient();
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const [editing, setEditing] = useState<T | null>(null);
  const [form] = Form.useForm();
  const writable = canWrite(role, props.resource);
  const needsTenant = !!props.tenantOwned && role === 'platform-admin';
  const tenants = useTenants(needsTenant && open);

  const list = useQuery({ queryKey: ['list', props.path, q], queryFn: () => listAll<T>(props.path, { q: q || undefined }) });
  const create = useMutation({
    mutationFn: (values: Record<string, unknown>) => call<T>('POST', props.path, props.toBody ? props.toBody(values) : values),
    onSuccess: (item) => {
      void qc.invalidateQueries({ queryKey: ['list'] });
      void qc.invalidateQueries({ queryKey: ['overview'] });
      void message.success(t('common.created'));
      setOpen(false);
      form.resetFields();
      props.onCreated?.(item);
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => call<void>('DELETE', `${props.path}/${encodeURIComponent(id)}`),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['list'] });
      void message.success(t('common.deleted'));
    },
    onError: (e) => Modal.error({ title: t('error.title'), content: <ErrorAlert error={e} /> }),
  });

  const columns: ColumnsType<T> = [...props.columns];
  const editable = writable && !!props.editable;
  if ((writable && props.deletable !== false) || props.extraActions || editable) {
    columns.push({
      title: t('common.actions'), key: 'actions', width: 120, fixed: 'right',
      render: (_, row) => (
        <Space>
          {props.extraActions?.(row)}
          {editable && (props.canEditRow?.(row) ?? true) && (
            <Button size="small" type="text" icon={<EditOutlined />} aria-label={t('common.edit')} data-testid="edit-button"
              onClick={() => setEditing(row)} />
          )}
          {writable && props.deletable !== false && (props.canDeleteRow?.(row) ?? true) && (
            <Popconfirm title={t('common.confirmDelete', { name: props.rowName?.(row) ?? row.name ?? row.id })}
              onConfirm={() => remove.mutate(row.id)} okText={t('common.ok')} cancelText={t('common.cancel')}>
              <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} />
            </Popconfirm>
          )}
        </Space>
      ),
    });
  }

  return (
    <Card
      title={<Typography.Title level={4} style={{ margin: 0 }}>{t(props.title)}</Typography.Title>}
      extra={
        <Space wrap>
          <Input.Search allowClear placeholder={t('common.search')} onSearch={setQ} style={{ width: 200 }} />
          <Button icon={<ReloadOutlined />} onClick={() => void list.refetch()} aria-label={t('common.refresh')} />
          {writable && props.fields && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => { create.reset(); setOpen(true); }} data-testid="create-button">
              {t(props.createLabel)}
            </Button>
          )}
        </Space>
      }
    >
      {list.error && <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />}
      <Table<T> rowKey="id" size="middle" loading={list.isLoading || list.isFetching} dataSource={list.data ?? []}
        columns={columns} pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }} scroll={{ x: 'max-content' }} />
      {props.fields && (
        <Modal open={open} title={t(props.createLabel)} onCancel={() => setOpen(false)} okText={t('common.create')}
          cancelText={t('common.cancel')} confirmLoading={create.isPending} onOk={() => form.submit()} destroyOnClose
          width={props.modalWidth ?? 560}>
          {create.error && <ErrorAlert error={create.error} />}
          <Form form={form} layout="vertical" onFinish={(v) => create.mutate(v)} preserve={false}>
            {needsTenant && (
              <Form.Item name="tenantId" label={t('common.tenant')} rules={[{ required: true, message: t('validation.required') }]}>
                <Select loading={tenants.isLoading} options={(tenants.data ?? []).map((x) => ({ value: x.id, label: x.name }))} showSearch optionFilterProp="label" />
              </Form.Item>
            )}
            {props.fields(form)}
          </Form>
        </Modal>
      )}
      {editing && (props.editFields ?? props.fields) && (
        <EditModal row={editing} onClose={() => setEditing(null)} path={props.path} width={props.modalWidth}
          title={t('common.editTitle', { name: props.rowName?.(editing) ?? editing.name ?? editing.id })}
          fields={(f) => (props.editFields ? props.editFields(f, editing) : props.fields!(f))}
          initial={props.toForm ? props.toForm(editing) : (editing as unknown as Record<string, unknown>)}
          toPatch={(v) => (props.toPatch ? props.toPatch(v, editing) : v)} onSaved={props.onUpdated} />
      )}
    </Card>
  );
}

// Mounted per edit with a fresh form whose initial values are the row's: the fields hold the
// row's values from the first render (no later fill that typing could race).
function EditModal<T extends { id: string }>(props: {
  row: T; path: string; title: string; width?: number; initial: Record<string, unknown>;
  fields: (form: FormInstance) => ReactNode; toPatch: (v: Record<string, unknown>) => unknown; onClose: () => void;
  onSaved?: (item: T) => void;
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const save = useMutation({
    mutationFn: (values: Record<string, unknown>) => call<T>('PATCH', `${props.path}/${encodeURIComponent(props.row.id)}`, props.toPatch(values)),
    onSuccess: (item) => {
      void qc.invalidateQueries({ queryKey: ['list'] });
      void message.success(t('common.saved'));
      props.onSaved?.(item);
      props.onClose();
    },
  });
  return (
    <Modal open title={props.title} onCancel={props.onClose} okText={t('common.save')} cancelText={t('common.cancel')}
      confirmLoading={save.isPending} onOk={() => form.submit()} width={props.width ?? 560} data-testid="edit-modal">
      {save.error && <ErrorAlert error={save.error} />}
      <Form form={form} layout="vertical" initialValues={props.initial} onFinish={(v) => save.mutate(v)}>
        {props.fields(form)}
      </Form>
    </Modal>
  );
}

export function NameField() {
  const { t } = useTranslation();
  return (
    <Form.Item name="name" label={t('common.name')} rules={[{ required: true, message: t('validation.required') }]}>
      <Input maxLength={128} />
    </Form.Item>
  );
}
