// Metering API: monthly summary and per-day counts (tenant-scoped; platform-wide for admins).
import { useQuery } from '@tanstack/react-query';
import { client, unwrap } from '../../api/client';

export interface MeteringSummary {
  month: string; tenantId: string | null; from: number; to: number;
  appVisits: number; appCalls: number; modelCalls: number; developerLogins: number; toolCalls: number;
  failedCalls: number; activeApps: number; activeModels: number; activeDevelopers: number;
  callsByEnterprise: { enterpriseId: string; calls: number }[];
}
export type UsageKind = 'app_visit' | 'app_call' | 'model_call' | 'developer_login' | 'tool_call';
export interface DailyItem { day: string; kind: UsageKind; subjectId: string; count: number; failed: number }

export function useMeteringSummary(month: string) {
  return useQuery({ queryKey: ['metering', 'summary', month],
    queryFn: async () => (await unwrap(client.GET('/api/v1/metering/summary', { params: { query: { month } } }))) as MeteringSummary });
}

export function useMeteringDaily(from: string, to: string, subject?: string) {
  return useQuery({ queryKey: ['metering', 'daily', from, to, subject ?? ''],
    queryFn: async () => (await unwrap(client.GET('/api/v1/metering/daily', { params: { query: { from, to, subject } } }))) as { items: DailyItem[] } });
}

// "YYYY-MM" of a month's first and last day, as the daily route takes them.
export function monthDays(month: string): { from: string; to: string } {
  const [y, m] = month.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

export function currentMonth(): string {
  return new Date().toISOString().slice(0, 7);
}
