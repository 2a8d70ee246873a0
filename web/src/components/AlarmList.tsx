// A table of alarms (the alarms page and a device's alarms tab): severity, type, device, status,
// times and count; acknowledge and clear with confirmation; a drawer with the alarm's history and
// the data that triggered it. Kept current by the live feed's alarm events (polling only when
// the socket cannot open).
import { Button, Descriptions, Drawer, Empty, Modal, Popconfirm, Space, Spin, Table, Tag, Timeline, Typography, message } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { CheckOutlined, CloseCircleOutlined, EyeOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { call, listAll } from '../api/client';
import { useLiveSubscription, type FeedState } from '../api/live';
import type { Alarm, AlarmHistoryEntry, AlarmStatus, Severity } from '../api/types';
import { useRole } from '../auth/session';
import { canWrite } from '../auth/permissions';
import { formatNumber, formatTime } from '../i18n';
import { CopyBlock } from './CopyBlock';
import { ErrorAlert } from './ErrorAlert';

export const SEVERITY_COLOR: Record<Severity, string> = { critical: 'red', major: 'volcano', minor: 'gold', warning: 'blue' };
export const STATUS_COLOR: Record<AlarmStatus, string> = {
  active: 'error', acknowledged: 'warning', 'cleared-unacknowledged': 'processing', cleared: 'success',
};

export interface AlarmFilters {
  status?: AlarmStatus[]; severity?: Severity[]; type?: string; deviceId?: string; enterpriseId?: string;
}

export function alarmQuery(f: AlarmFilters, withSeverity = true): Record<string, string | undefined> {
  return {
    status: f.status?.length ? f.status.join(',') : undefined,
    severity: withSeverity && f.severity?.length ? f.severity.join(',') : undefined,
    type: f.type || undefined, deviceId: f.deviceId || undefined, enterpriseId: f.enterpriseId || undefined,
  };
}

export function SeverityTag({ severity }: { severity: Severity }) {
  const { t } = useTranslation();
  return <Tag color={SEVERITY_COLOR[severity]}>{t(`alarms.severity.${severity}`)}</Tag>;
}
export function StatusTag({ status }: { status: AlarmStatus }) {
  const { t } = useTranslation();
  return <Tag color={STATUS_COLOR[status]} data-testid="alarm-status">{t(`alarms.status.${status}`)}</Tag>;
}

// Alarm events from the live feed refresh every alarm query (batched: a burst is one refetch).
export function useLiveAlarms(deviceId?: string): FeedState {
  const qc = useQueryClient();
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  return useLiveSubscription({ alarms: deviceId ? { devices: [deviceId] } : true }, (m) => {
    if (m.type !== 'alarm' || pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = null;
      void qc.invalidateQueries({ queryKey: ['alarms'] });
    }, 200);
  });
}

function useAlarmActions() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const done = (key: string) => () => {
    void qc.invalidateQueries({ queryKey: ['alarms'] });
    void message.success(t(key));
  };
  const onError = (e: unknown) => Modal.error({ title: t('error.title'), content: <ErrorAlert error={e} /> });
  const ack = useMutation({ mutationFn: (id: string) => call<Alarm>('POST', `/api/v1/alarms/${encodeURIComponent(id)}/ack`), onSuccess: done('alarms.acknowledged'), onError });
  const clear = useMutation({ mutationFn: (id: string) => call<Alarm>('POST', `/api/v1/alarms/${encodeURIComponent(id)}/clear`), onSuccess: done('alarms.clearedMsg'), onError });
  return { ack, clear };
}

function AlarmButtons({ alarm, size = 'small' }: { alarm: Alarm; size?: 'small' | 'middle' }) {
  const { t } = useTranslation();
  const { ack, clear } = useAlarmActions();
  return (
    <Space size={4}>
      {!alarm.acknowledged && (
        <Popconfirm title={t('alarms.confirmAck', { type: alarm.type })} okText={t('common.ok')} cancelText={t('common.cancel')}
          onConfirm={() => ack.mutateAsync(alarm.id).catch(() => undefined)}>
          <Button size={size} icon={<CheckOutlined />} loading={ack.isPending} data-testid="alarm-ack">{t('alarms.ack')}</Button>
        </Popconfirm>
      )}
      {!alarm.cleared && (
        <Popconfirm title={t('alarms.confirmClear', { type: alarm.type })} okText={t('common.ok')} cancelText={t('common.cancel')}
          onConfirm={() => clear.mutateAsync(alarm.id).catch(() => undefined)}>
          <Button size={size} danger icon={<CloseCircleOutlined />} loading={clear.isPending} data-testid="alarm-clear">{t('alarms.clear')}</Button>
        </Popconfirm>
      )}
    </Space>
  );
}

export function AlarmList({ filters, showDevice = true, poll }: { filters: AlarmFilters; showDevice?: boolean; poll: boolean }) {
  const { t } = useTranslation();
  const role = useRole();
  const writable = canWrite(role, 'alarms');
  const [open, setOpen] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['alarms', 'list', filters],
    queryFn: () => listAll<Alarm>('/api/v1/alarms', alarmQuery(filters), 2000),
    refetchInterval: poll ? 5000 : false,
    placeholderData: keepPreviousData, // a new filter keeps the old rows until its own arrive
  });
  const devices = useQuery({ queryKey: ['list', '/api/v1/devices', ''], queryFn: () => listAll<{ id: string; name: string }>('/api/v1/devices'), enabled: showDevice });
  const names = new Map((devices.data ?? []).map((d) => [d.id, d.name]));

  const columns: ColumnsType<Alarm> = [
    { title: t('alarms.severityLabel'), dataIndex: 'severity', width: 90, render: (s: Severity) => <SeverityTag severity={s} /> },
    { title: t('alarms.type'), dataIndex: 'type', render: (v: string) => <Typography.Text strong>{v}</Typography.Text> },
    ...(showDevice ? [{ title: t('alarms.device'), dataIndex: 'deviceId', render: (v: string) => (v ? <Link to={`/devices/${v}`}>{names.get(v) ?? v}</Link> : '—') }] : []),
    { title: t('alarms.statusLabel'), dataIndex: 'status', render: (s: AlarmStatus) => <StatusTag status={s} /> },
    { title: t('alarms.start'), dataIndex: 'startTs', render: formatTime },
    { title: t('alarms.last'), dataIndex: 'lastTs', render: formatTime },
    { title: t('alarms.count'), dataIndex: 'count', align: 'right', render: (n: number) => formatNumber(n) },
    {
      title: t('common.actions'), key: 'actions', fixed: 'right',
      render: (_, a) => (
        <Space size={4}>
          <Button size="small" type="text" icon={<EyeOutlined />} onClick={() => setOpen(a.id)} data-testid="alarm-details" aria-label={t('alarms.details')} />
          {writable && <AlarmButtons alarm={a} />}
        </Space>
      ),
    },
  ];
  return (
    <>
      {list.error && <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />}
      <Table<Alarm> rowKey="id" size="middle" loading={list.isLoading || list.isPlaceholderData} dataSource={list.data ?? []} columns={columns}
        data-testid="alarm-table" scroll={{ x: 'max-content' }} pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
        onRow={(a) => ({ 'data-alarm-type': a.type } as React.HTMLAttributes<HTMLElement>)}
        locale={{ emptyText: <Empty description={t('alarms.none')} image={Empty.PRESENTED_IMAGE_SIMPLE} /> }} />
      <AlarmDrawer id={open} onClose={() => setOpen(null)} deviceName={(id) => names.get(id) ?? id} writable={writable} />
    </>
  );
}

function AlarmDrawer({ id, onClose, deviceName, writable }: { id: string | null; onClose: () => void; deviceName: (id: string) => string; writable: boolean }) {
  const { t } = useTranslation();
  const alarm = useQuery({
    queryKey: ['alarms', 'one', id],
    enabled: !!id,
    queryFn: () => call<Alarm & { history: AlarmHistoryEntry[] }>('GET', `/api/v1/alarms/${encodeURIComponent(id!)}`),
  });
  const a = alarm.data;
  return (
    <Drawer open={!!id} onClose={onClose} width={560} title={a ? <Space><SeverityTag severity={a.severity} />{a.type}</Space> : t('alarms.details')}
      extra={a && writable ? <AlarmButtons alarm={a} size="middle" /> : null} destroyOnClose>
      {alarm.error && <ErrorAlert error={alarm.error} onRetry={() => void alarm.refetch()} />}
      {alarm.isLoading && <Spin />}
      {a && (
        <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="alarm-drawer">
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label={t('alarms.statusLabel')}><StatusTag status={a.status} /></Descriptions.Item>
            <Descriptions.Item label={t('alarms.device')}>{a.deviceId ? <Link to={`/devices/${a.deviceId}`}>{deviceName(a.deviceId)}</Link> : '—'}</Descriptions.Item>
            <Descriptions.Item label={t('alarms.start')}>{formatTime(a.startTs)}</Descriptions.Item>
            <Descriptions.Item label={t('alarms.last')}>{formatTime(a.lastTs)}</Descriptions.Item>
            <Descriptions.Item label={t('alarms.count')}>{formatNumber(a.count)}</Descriptions.Item>
            <Descriptions.Item label={t('alarms.ackBy')}>{a.acknowledged ? `${a.ackBy} · ${formatTime(a.ackTs)}` : '—'}</Descriptions.Item>
            <Descriptions.Item label={t('alarms.clearBy')}>{a.cleared ? `${a.clearBy} · ${formatTime(a.clearTs)}` : '—'}</Descriptions.Item>
          </Descriptions>
          <div>
            <Typography.Title level={5}>{t('alarms.trigger')}</Typography.Title>
            <CopyBlock text={JSON.stringify(a.details ?? {}, null, 2)} testId="alarm-trigger" />
          </div>
          <div>
            <Typography.Title level={5}>{t('alarms.history')}</Typography.Title>
            <Timeline data-testid="alarm-history" items={(a.history ?? []).map((h) => ({
              color: ({ created: 'red', updated: 'blue', acknowledged: 'orange', cleared: 'green' } as Record<string, string>)[h.action] ?? 'gray',
              children: (
                <Space direction="vertical" size={0}>
                  <Typography.Text strong>{t(`alarms.action.${h.action}`, { defaultValue: h.action })}</Typography.Text>
                  <Typography.Text type="secondary">{formatTime(h.ts)}{h.actor ? ` · ${h.actor}` : ''}</Typography.Text>
                  {!!h.detail && typeof h.detail === 'object' && Object.keys(h.detail).length > 0 && (
                    <Typography.Text code style={{ fontSize: 12 }}>{JSON.stringify(h.detail)}</Typography.Text>)}
                </Space>
              ),
            }))} />
          </div>
        </Space>
      )}
    </Drawer>
  );
}
