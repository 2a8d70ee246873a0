// The alarms page: counts by severity, filters (status, severity, type, device, enterprise) and
// the live alarm list.
import { Button, Card, Col, Input, Row, Select, Space, Statistic, Typography, theme as antTheme } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, listAll } from '../api/client';
import { ALARM_STATUSES, SEVERITIES, type AlarmCounts, type Device, type Enterprise, type Severity } from '../api/types';
import { AlarmList, SEVERITY_COLOR, alarmQuery, useLiveAlarms, type AlarmFilters } from '../components/AlarmList';
import { ErrorAlert } from '../components/ErrorAlert';
import { LiveState } from '../components/LiveState';
import { formatNumber } from '../i18n';

const UNCLEARED: AlarmFilters['status'] = ['active', 'acknowledged'];
const STAT_COLORS: Record<string, string> = { red: '#cf1322', volcano: '#d4380d', gold: '#d48806', blue: '#1668dc' };

export function AlarmsPage() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const { token } = antTheme.useToken();
  const [filters, setFilters] = useState<AlarmFilters>({ status: UNCLEARED });
  const [typeText, setTypeText] = useState('');
  const live = useLiveAlarms();
  const poll = live === 'unavailable';
  const counts = useQuery({
    queryKey: ['alarms', 'counts', { ...filters, severity: undefined }],
    queryFn: () => call<AlarmCounts>('GET', '/api/v1/alarms/counts', undefined, alarmQuery(filters, false)),
    refetchInterval: poll ? 5000 : false,
    placeholderData: keepPreviousData,
  });
  const devices = useQuery({ queryKey: ['list', '/api/v1/devices', ''], queryFn: () => listAll<Device>('/api/v1/devices') });
  const enterprises = useQuery({ queryKey: ['list', '/api/v1/enterprises', ''], queryFn: () => listAll<Enterprise>('/api/v1/enterprises') });
  const set = (patch: Partial<AlarmFilters>) => setFilters((f) => ({ ...f, ...patch }));
  const toggleSeverity = (s: Severity) =>
    set({ severity: filters.severity?.length === 1 && filters.severity[0] === s ? [] : [s] });

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card
        title={<Space size="middle"><Typography.Title level={4} style={{ margin: 0 }}>{t('alarms.title')}</Typography.Title><LiveState state={live} /></Space>}
        extra={<Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void qc.invalidateQueries({ queryKey: ['alarms'] })} />}>
        {counts.error && <ErrorAlert error={counts.error} onRetry={() => void counts.refetch()} />}
        <Row gutter={[12, 12]} style={{ marginBottom: 16 }}>
          {SEVERITIES.map((s) => {
            const selected = filters.severity?.length === 1 && filters.severity[0] === s;
            return (
              <Col xs={12} md={6} key={s}>
                <Card size="small" hoverable onClick={() => toggleSeverity(s)} data-testid={`alarm-count-${s}`}
                  style={{ borderColor: selected ? STAT_COLORS[SEVERITY_COLOR[s]] : token.colorBorderSecondary, borderWidth: selected ? 2 : 1 }}>
                  <Statistic title={t(`alarms.severity.${s}`)} loading={counts.isLoading}
                    value={formatNumber(counts.data?.bySeverity?.[s] ?? 0)} valueStyle={{ color: STAT_COLORS[SEVERITY_COLOR[s]] }} />
                </Card>
              </Col>
            );
          })}
        </Row>
        <Space wrap style={{ marginBottom: 16 }} data-testid="alarm-filters">
          <Select mode="multiple" allowClear style={{ minWidth: 220 }} placeholder={t('alarms.statusLabel')} aria-label={t('alarms.statusLabel')}
            value={filters.status} onChange={(v) => set({ status: v })} data-testid="filter-status"
            options={ALARM_STATUSES.map((s) => ({ value: s, label: t(`alarms.status.${s}`) }))} />
          <Select mode="multiple" allowClear style={{ minWidth: 180 }} placeholder={t('alarms.severityLabel')} aria-label={t('alarms.severityLabel')}
            value={filters.severity} onChange={(v) => set({ severity: v })} data-testid="filter-severity"
            options={SEVERITIES.map((s) => ({ value: s, label: t(`alarms.severity.${s}`) }))} />
          <Input.Search allowClear style={{ width: 180 }} placeholder={t('alarms.type')} aria-label={t('alarms.type')} value={typeText}
            onChange={(e) => { setTypeText(e.target.value); if (!e.target.value) set({ type: undefined }); }}
            onSearch={(v) => set({ type: v.trim() || undefined })} data-testid="filter-type" />
          <Select allowClear showSearch optionFilterProp="label" style={{ width: 200 }} placeholder={t('alarms.device')} aria-label={t('alarms.device')}
            loading={devices.isLoading} value={filters.deviceId} onChange={(v) => set({ deviceId: v })} data-testid="filter-device"
            options={(devices.data ?? []).map((d) => ({ value: d.id, label: d.name }))} />
          <Select allowClear showSearch optionFilterProp="label" style={{ width: 220 }} placeholder={t('alarms.enterprise')} aria-label={t('alarms.enterprise')}
            loading={enterprises.isLoading} value={filters.enterpriseId} onChange={(v) => set({ enterpriseId: v })} data-testid="filter-enterprise"
            options={(enterprises.data ?? []).map((e) => ({ value: e.id, label: e.name }))} />
          <Button onClick={() => { setFilters({ status: UNCLEARED }); setTypeText(''); }}>{t('alarms.resetFilters')}</Button>
        </Space>
        <AlarmList filters={filters} poll={poll} />
      </Card>
    </Space>
  );
}
