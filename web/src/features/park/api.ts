// Park analytics API (report/): the park dashboard and the enterprise profile (企业画像).
import { useQuery } from '@tanstack/react-query';
import { call } from '../../api/client';
import type { paths } from '../../api/schema';

// The routes, checked against the generated OpenAPI types (a renamed route fails tsc).
const DASHBOARD: keyof paths = '/api/v1/parks/{parkId}/dashboard';
const PROFILE: keyof paths = '/api/v1/enterprises/{id}/profile';

export interface DayFigures {
  day: string; dayMs: number; electricityKwh: number; gasM3: number; steamT: number; waterM3: number;
  co2T: number; tce: number; output: number; operatingRate: number | null; alarmsRaised: number;
  machines: number; machinesRunning: number;
}
export type Totals = Omit<DayFigures, 'day' | 'dayMs' | 'machines' | 'machinesRunning'>;
export type Severity = 'critical' | 'major' | 'minor' | 'warning';
export interface ActiveAlarms { total: number; bySeverity: Record<Severity, number> }

export interface EnterpriseRow extends Totals {
  id: string; name: string; industry: string; sme: boolean; longitude: number | null; latitude: number | null;
  devices: number; devicesConnected: number; devicesOnline: number; connectedShare: number | null;
  subscribedApps: number; alarmsActive: number; operatingRateToday: number | null; co2PerOutputKg: number | null;
}
export interface RankRow { rank: number; enterpriseId: string; name: string; industry: string; value: number }
export interface ParkDashboard {
  park: { id: string; name: string; region: string; level: string };
  from: string; to: string; days: number; generatedMs: number;
  totals: Totals & { enterprises: number; devices: number; devicesConnected: number; devicesOnline: number };
  alarmsActive: ActiveAlarms;
  trend: DayFigures[];
  enterprises: EnterpriseRow[];
  rankings: Record<'electricityKwh' | 'co2T' | 'operatingRate' | 'output' | 'alarmsActive', RankRow[]>;
  factors: { co2KgPerKwh: number; co2KgPerGasM3: number; kgcePerKwh: number; kgcePerGasM3: number };
}
export interface ProfileTag { code: string; zh: string; en: string; ruleZh: string; ruleEn: string; value: unknown }
export interface ProfileApp { appId: string; plan: string; calls: number; since: number; nameZh: string; nameEn: string; domain: string | null }
export interface EnterpriseProfile {
  enterprise: { id: string; name: string; industry: string; creditCode: string; sme: boolean; paid: boolean; parkId: string | null; address?: string };
  park: { id: string; name: string } | null;
  from: string; to: string; days: number;
  scale: { sme: boolean; devices: number };
  devices: { total: number; connected: number; online: number; byCategory: Record<'running' | 'processing' | 'mobile' | 'other', number> };
  totals: Totals & { annualisedTce: number };
  trend: DayFigures[];
  apps: ProfileApp[];
  appCallsThisMonth: number | null;
  alarmsActive: ActiveAlarms;
  tags: ProfileTag[];
}

export function useParkDashboard(parkId: string | undefined, days: number) {
  return useQuery({ queryKey: ['park', 'dashboard', parkId, days], enabled: !!parkId,
    queryFn: () => call<ParkDashboard>('GET', DASHBOARD.replace('{parkId}', encodeURIComponent(parkId ?? '')), undefined, { days }) });
}

export function useEnterpriseProfile(id: string | undefined, days: number) {
  return useQuery({ queryKey: ['enterprise', 'profile', id, days], enabled: !!id,
    queryFn: () => call<EnterpriseProfile>('GET', PROFILE.replace('{id}', encodeURIComponent(id ?? '')), undefined, { days }) });
}

// Figures as the pages print them.
export function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`;
}
export function num(x: number | null | undefined, digits = 0): string {
  return x === null || x === undefined ? '—' : x.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
