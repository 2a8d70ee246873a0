// APP marketplace API (server: src/api/app_routes.cpp, app_invoke_routes.cpp): listed APPs,
// versions, subscriptions, ratings, reviews, package validation and upload, runs, visits.
import { useQuery } from '@tanstack/react-query';
import { ApiError, call, getToken, listAll, toApiError, type ListPage } from '../../api/client';
import type { Enterprise } from '../../api/types';

export const DOMAINS = ['safety', 'energy_carbon', 'quality', 'supply_chain', 'rnd', 'production', 'operations', 'warehousing', 'maintenance'] as const;
export type Domain = (typeof DOMAINS)[number];
export const PERMISSIONS = ['telemetry:read', 'telemetry:write', 'attributes:read', 'alarms:read', 'alarms:write', 'devices:read',
  'rpc:call', 'http:outbound', 'storage', 'models:invoke', 'files:write'] as const;

export interface Plan { id: string; type: 'free' | 'monthly' | 'per_call' | string; price?: number; name?: { zh?: string; en?: string } }
export interface AppFunction { name: string; description?: string; input?: unknown }
export interface AppTrigger { type: string; function: string; intervalMs?: number; cron?: string; keys?: string[] }
export interface AppManifest {
  id: string; version: string; name: { zh: string; en: string };
  description?: string | { zh?: string; en?: string }; domain: Domain; publisher: string;
  origin: 'self_built' | 'partner' | string; form?: string; permissions?: string[]; functions?: AppFunction[];
  triggers?: AppTrigger[]; ui?: { entry?: string }; plans?: Plan[];
}
export interface AppSummary {
  id: string; publisher: string; listed: boolean; listedVersion: string; subscribers: number;
  rating: { average: number; count: number }; createdAt: number; manifest: AppManifest | null;
}
export interface AppVersion {
  appId: string; version: string; status: 'pending' | 'approved' | 'rejected' | string; reason: string; digest: string;
  keyFingerprint: string; uploadedBy: string; uploadedAt: number; reviewedBy: string; reviewedAt: number; manifest: AppManifest | null;
}
export interface Subscription { appId: string; tenantId: string; enterpriseId: string; plan: string; calls: number; createdBy: string; createdAt: number }
export interface Rating { appId: string; userId: string; enterpriseId: string; stars: number; comment: string; updatedAt: number }
export interface RunRecord {
  id: string; appId: string; version: string; tenantId: string; enterpriseId: string; function: string; trigger: string;
  actor: string; startedAt: number; durationUs: number; ok: boolean; error: string; log: string[];
}
export interface Validation { valid: boolean; errors: string[]; manifest: AppManifest | null; digest: string }
export interface InvokeResult { ok: boolean; result: unknown; error: string; runId: string; durationUs: number; log: string[] }
export interface PublisherKey { fingerprint: string; publisher: string; publicKey: string; ownerUserId: string; createdAt: number }

export const appName = (a: { manifest: AppManifest | null; id?: string; appId?: string }, lang: string) =>
  (lang === 'en' ? a.manifest?.name.en : a.manifest?.name.zh) || a.id || a.appId || '';

// The server sends {zh, en}; a plain string (older packages) is the same text in both languages.
export const appDescription = (m: AppManifest | null | undefined, lang: string) =>
  (typeof m?.description === 'string' ? m.description : (lang === 'en' ? m?.description?.en : m?.description?.zh)) ?? '';

// Built-ins first (publisher "kaiwu"), then by name.
export function sortApps<T extends AppSummary>(apps: T[], lang: string): T[] {
  return [...apps].sort((a, b) => Number(b.publisher === 'kaiwu') - Number(a.publisher === 'kaiwu') || appName(a, lang).localeCompare(appName(b, lang)));
}

export const useApps = (domain?: string) => useQuery({
  queryKey: ['apps', 'list', domain ?? ''],
  queryFn: () => call<ListPage<AppSummary>>('GET', '/api/v1/apps', undefined, { domain }),
});
export const useApp = (id: string) => useQuery({ queryKey: ['apps', id], queryFn: () => call<AppSummary>('GET', `/api/v1/apps/${id}`) });
export const useRatings = (id: string) => useQuery({ queryKey: ['apps', id, 'ratings'], queryFn: () => call<ListPage<Rating>>('GET', `/api/v1/apps/${id}/ratings`) });
export const useSubscriptions = (id: string, enabled = true) => useQuery({
  queryKey: ['apps', id, 'subscriptions'], enabled,
  queryFn: () => call<ListPage<Subscription>>('GET', `/api/v1/apps/${id}/subscriptions`),
});
// Versions are for the publisher and platform admins; others get 403, shown as "no access".
export const useVersions = (id: string, enabled = true) => useQuery({
  queryKey: ['apps', id, 'versions'], retry: false, enabled,
  queryFn: () => call<ListPage<AppVersion>>('GET', `/api/v1/apps/${id}/versions`),
});
export const useReviews = () => useQuery({ queryKey: ['apps', 'reviews'], queryFn: () => call<ListPage<AppVersion>>('GET', '/api/v1/apps/reviews') });
export const useRuns = (id: string, enterpriseId?: string, enabled = true) => useQuery({
  queryKey: ['apps', id, 'runs', enterpriseId ?? ''], enabled, refetchInterval: 5000,
  queryFn: () => call<ListPage<RunRecord>>('GET', `/api/v1/apps/${id}/runs`, undefined, { enterpriseId, limit: 100 }),
});
export const useEnterprises = (enabled = true) => useQuery({
  queryKey: ['enterprises', 'all'], enabled, queryFn: () => listAll<Enterprise>('/api/v1/enterprises'),
});

// Every listed APP with the subscriptions visible to the caller (own enterprise, or the tenant's).
export interface SubscribedApp { app: AppSummary; subscriptions: Subscription[] }
export const useSubscribedApps = (enabled = true) => useQuery({
  queryKey: ['apps', 'subscribed'], enabled,
  queryFn: async (): Promise<SubscribedApp[]> => {
    const apps = (await call<ListPage<AppSummary>>('GET', '/api/v1/apps')).items;
    const subs = await Promise.all(apps.map((a) => call<ListPage<Subscription>>('GET', `/api/v1/apps/${a.id}/subscriptions`)
      .then((p) => p.items).catch(() => [] as Subscription[])));
    return apps.map((app, i) => ({ app, subscriptions: subs[i] })).filter((s) => s.subscriptions.length > 0);
  },
});

// Package bodies are sent as-is (the server parses the JSON package itself).
async function postRaw<T>(path: string, text: string): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { method: 'POST', headers, body: text });
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  if (!res.ok) throw await toApiError(res);
  return (await res.json()) as T;
}
export const validatePackage = (text: string) => postRaw<Validation>('/api/v1/apps/packages/validate', text);
export const uploadPackage = (text: string) => postRaw<AppVersion>('/api/v1/apps/packages', text);

// One validation problem with where it points: a JSON pointer into a file, or file:line(:col).
export interface Problem { file: string | null; pointer: string | null; line: number | null; column: number | null; message: string }

const POINTER = /^([\w./-]+\.json) (\/[^:]*): (.*)$/s;
const LINE = /^([\w./-]+):(\d+)(?::(\d+))?:\s*(.*)$/s;
export function parseProblem(text: string): Problem {
  const p = POINTER.exec(text);
  if (p) return { file: p[1], pointer: p[2], line: null, column: null, message: p[3] };
  const l = LINE.exec(text);
  if (l) return { file: l[1], pointer: null, line: Number(l[2]), column: l[3] ? Number(l[3]) : null, message: l[4] };
  return { file: null, pointer: null, line: null, column: null, message: text };
}
// The server joins a file's problems with "; "; split only where the next one names a location.
export function splitProblems(errors: string[]): Problem[] {
  return errors.flatMap((e) => e.split(/; (?=[\w./-]+(?: \/|:\d+))/)).map(parseProblem);
}

// The 1-based line a JSON pointer's last member sits on in a pretty or compact JSON text (best
// effort: the first line holding the member name after its parent's), for highlighting.
export function lineOfPointer(text: string, pointer: string): number | null {
  const parts = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const lines = text.split('\n');
  let from = 0;
  let found: number | null = null;
  for (const part of parts) {
    if (/^\d+$/.test(part)) continue; // array index: keep the parent's line
    const needle = `"${part}"`;
    const i = lines.findIndex((l, n) => n >= from && l.includes(needle));
    if (i < 0) return found;
    found = i + 1;
    from = i;
  }
  return found ?? (parts.length === 0 ? 1 : null);
}
