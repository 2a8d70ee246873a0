// Industrial model catalogue API (server: src/api/model_routes.cpp).
import { useQuery } from '@tanstack/react-query';
import { call, type ListPage } from '../../api/client';

export const MODEL_TYPES = ['research_simulation', 'business_process', 'mechanism', 'data_algorithm'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export interface Port { name: string; type: 'number' | 'series' | 'string' | 'boolean' | string; unit?: string; description?: string; required?: boolean }
export interface Param extends Port { default?: unknown; min?: number; max?: number; options?: string[] }
export interface ModelManifest {
  id: string; version: string; name: { zh: string; en: string }; description?: { zh?: string; en?: string } | string; type: ModelType;
  inputs?: Port[]; outputs?: Port[]; parameters?: Param[]; author?: string; publisher?: string; tags?: string[];
  implementation?: { kind: string; kernel?: string };
}
export interface ModelRecord {
  id: string; version: string; public: boolean; tenantId: string | null; type: ModelType; typeLabel?: string;
  name: { zh: string; en: string }; deprecated: boolean; createdBy: string; createdAt: number; manifest: ModelManifest;
}
export interface SeriesBinding { deviceId: string; key: string; from: number; to: number; agg?: string; interval?: number; limit?: number }
export type InputValue = number | string | boolean | number[] | { series: SeriesBinding };
export interface InvokeRequest {
  version?: string; inputs: Record<string, InputValue>; parameters?: Record<string, unknown>;
  writeBack?: { deviceId: string; outputs: string[] };
}
export interface InvokeResponse { modelId: string; version: string; outputs: Record<string, unknown>; durationMs: number; writtenBack?: number }

export const modelName = (m: { name: { zh: string; en: string }; id: string }, lang: string) => (lang === 'en' ? m.name.en : m.name.zh) || m.id;
export const modelDescription = (m: ModelManifest, lang: string) =>
  typeof m.description === 'string' ? m.description : (lang === 'en' ? m.description?.en : m.description?.zh) ?? '';

export const useModels = (type?: string, q?: string) => useQuery({
  queryKey: ['models', 'list', type ?? '', q ?? ''],
  queryFn: () => call<ListPage<ModelRecord>>('GET', '/api/v1/models', undefined, { type, q, limit: 500 }),
});
export const useModelCounts = () => useQuery({
  queryKey: ['models', 'counts'], queryFn: () => call<{ total: number; byType: Record<string, number> }>('GET', '/api/v1/models/counts'),
});
export const useModel = (id: string) => useQuery({ queryKey: ['models', id], queryFn: () => call<ModelRecord>('GET', `/api/v1/models/${id}`) });
export const useModelVersions = (id: string) => useQuery({
  queryKey: ['models', id, 'versions'], queryFn: () => call<ListPage<ModelRecord>>('GET', `/api/v1/models/${id}/versions`),
});
export const invokeModel = (id: string, body: InvokeRequest) => call<InvokeResponse>('POST', `/api/v1/models/${id}/invoke`, body);

// "1, 2.5\n3" → [1, 2.5, 3]; anything not a number → null (the form shows the error).
export function parseSeries(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter((s) => s !== '');
  const values = parts.map(Number);
  return values.every((v) => Number.isFinite(v)) ? values : null;
}
