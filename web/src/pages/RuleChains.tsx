// Rule chains: the list (enabled, version), enable/disable, delete, and a create dialog with the
// JSON editor; editing, versions, the graph and the dry run are on the chain's own page.
import { Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography, message } from 'antd';
import { DeleteOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { call, listAll } from '../api/client';
import type { RuleChain } from '../api/types';
import { useRole } from '../auth/session';
import { canWrite } from '../auth/permissions';
import { ErrorAlert } from '../components/ErrorAlert';
import { JsonEditor } from '../components/JsonEditor';
import { useTenants } from '../components/ResourcePage';
import { formatTime } from '../i18n';
import { CHAIN_TEMPLATE, parseJson } from '../ruleChain';

export function useToggleChain() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) =>
      call<RuleChain>('POST', `/api/v1/rulechains/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`),
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: ['rulechains'] });
      void message.success(t(c.enabled ? 'ruleChains.enabledMsg' : 'ruleChains.disabledMsg'));
    },
    onError: (e) => Modal.error({ title: t('error.title'), content: <ErrorAlert error={e} /> }),
  });
}

export function RuleChainsPage() {
  const { t } = useTranslation();
  const role = useRole();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const writable = canWrite(role, 'rulechains');
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const list = useQuery({ queryKey: ['rulechains', 'list', q], queryFn: () => listAll<RuleChain>('/api/v1/rulechains', { q: q || undefined }) });
  const toggle = useToggleChain();
  const remove = useMutation({
    mutationFn: (id: string) => call<void>('DELETE', `/api/v1/rulechains/${encodeURIComponent(id)}`),
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ['rulechains'] }); void message.success(t('common.deleted')); },
    onError: (e) => Modal.error({ title: t('error.title'), content: <ErrorAlert error={e} /> }),
  });
  return (
    <Card
      title={<Typography.Title level={4} style={{ margin: 0 }}>{t('ruleChains.title')}</Typography.Title>}
      extra={
        <Space wrap>
          <Input.Search allowClear placeholder={t('common.search')} onSearch={setQ} style={{ width: 200 }} />
          <Button icon={<ReloadOutlined />} onClick={() => void list.refetch()} aria-label={t('common.refresh')} />
          {writable && <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="create-button">{t('ruleChains.create')}</Button>}
        </Space>
      }>
      {list.error && <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />}
      <Table<RuleChain> rowKey="id" size="middle" loading={list.isLoading || list.isFetching} dataSource={list.data ?? []} scroll={{ x: 'max-content' }}
        pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
        columns={[
          { title: t('common.name'), dataIndex: 'name', render: (v: string, c) => <Link to={`/rule-chains/${c.id}`}>{v}</Link> },
          { title: t('common.description'), dataIndex: 'description' },
          { title: t('ruleChains.enabled'), dataIndex: 'enabled', render: (v: boolean, c) => (
            <Switch checked={v} disabled={!writable} loading={toggle.isPending && toggle.variables?.id === c.id}
              onChange={(on) => toggle.mutate({ id: c.id, enabled: on })} data-testid={`enable-${c.name}`} />) },
          { title: t('ruleChains.version'), dataIndex: 'version', render: (v: number) => <Tag>v{v}</Tag> },
          { title: t('ruleChains.nodes'), key: 'nodes', render: (_, c) => c.definition?.nodes?.length ?? 0 },
          { title: t('ruleChains.updatedBy'), dataIndex: 'updatedBy' },
          { title: t('ruleChains.updatedAt'), dataIndex: 'updatedAt', render: formatTime },
          ...(writable ? [{
            title: t('common.actions'), key: 'actions', render: (_: unknown, c: RuleChain) => (
              <Popconfirm title={t('common.confirmDelete', { name: c.name })} onConfirm={() => remove.mutate(c.id)} okText={t('common.ok')} cancelText={t('common.cancel')}>
                <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} />
              </Popconfirm>) }] : []),
        ]} />
      {open && <CreateChainModal onClose={() => setOpen(false)} onCreated={(c) => navigate(`/rule-chains/${c.id}`)} />}
    </Card>
  );
}

function CreateChainModal({ onClose, onCreated }: { onClose: () => void; onCreated: (c: RuleChain) => void }) {
  const { t } = useTranslation();
  const role = useRole();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const [text, setText] = useState(JSON.stringify(CHAIN_TEMPLATE, null, 2));
  const needsTenant = role === 'platform-admin';
  const tenants = useTenants(needsTenant);
  const create = useMutation({
    mutationFn: (v: { name: string; description?: string; tenantId?: string }) =>
      call<RuleChain>('POST', '/api/v1/rulechains', { ...v, definition: parseJson(text).value }),
    onSuccess: (c) => { void qc.invalidateQueries({ queryKey: ['rulechains'] }); void message.success(t('common.created')); onClose(); onCreated(c); },
  });
  const bad = !!parseJson(text).problem;
  return (
    <Modal open title={t('ruleChains.create')} onCancel={onClose} okText={t('common.create')} cancelText={t('common.cancel')} width={720}
      confirmLoading={create.isPending} okButtonProps={{ disabled: bad }} onOk={() => form.submit()}>
      {create.error && <ErrorAlert error={create.error} />}
      <Form form={form} layout="vertical" onFinish={(v) => create.mutate(v)}>
        {needsTenant && (
          <Form.Item name="tenantId" label={t('common.tenant')} rules={[{ required: true, message: t('validation.required') }]}>
            <Select loading={tenants.isLoading} options={(tenants.data ?? []).map((x) => ({ value: x.id, label: x.name }))} showSearch optionFilterProp="label" />
          </Form.Item>
        )}
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true, message: t('validation.required') }]}><Input maxLength={128} /></Form.Item>
        <Form.Item name="description" label={t('common.description')}><Input maxLength={2048} /></Form.Item>
        <Form.Item label={t('ruleChains.editor')}>
          <JsonEditor value={text} onChange={setText} rows={14} testId="chain-editor" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
