// Platform indicators (GET /api/v1/platform/indicators) and the solution catalogue (/api/v1/solutions).
import { useQuery } from '@tanstack/react-query';
import { call } from '../../api/client';
import type { paths } from '../../api/schema';

// The generated OpenAPI types of the two routes (the untyped `call` below works under jsdom too).
export type IndicatorsResponse = paths['/api/v1/platform/indicators']['get']['responses'][200]['content']['application/json'];
export type SolutionsResponse = paths['/api/v1/solutions']['get']['responses'][200]['content']['application/json'];
export interface Label { zh: string; en: string }
export type FigureValue = number | string | boolean | null | Record<string, number> | Record<string, unknown>[];
export interface Figure {
  id: string; nameZh: string; nameEn: string; unit: string; value: FigureValue; labels?: Record<string, Label>;
  definitionZh: string; definitionEn: string; query: string; source: 'live' | 'documentary';
}
export interface Indicator { id: string; nameZh: string; nameEn: string; figures: Figure[] }
export interface Indicators { asOf: string; month: string; generatedMs: number; tenantId: string; indicators: Indicator[] }

export const TECHNOLOGIES = ['5g', 'bigdata', 'ai', 'digitaltwin', 'blockchain', 'arvr'] as const;
export interface Solution {
  id: string; nameZh: string; nameEn: string; descriptionZh: string; descriptionEn: string;
  industries: string[]; domains: string[]; appIds: string[]; modelIds: string[]; profileIds: string[];
  technologies: string[]; cases: number; createdBy?: string; createdMs?: number; updatedMs?: number;
}
export type SolutionInput = Omit<Solution, 'createdBy' | 'createdMs' | 'updatedMs'>;

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

export const useIndicators = (asOf: string) => useQuery({
  queryKey: ['indicators', asOf],
  queryFn: () => call<Indicators>('GET', '/api/v1/platform/indicators', undefined, { asOf }),
});

export const useSolutions = () => useQuery({
  queryKey: ['solutions'],
  queryFn: () => call<{ items: Solution[] }>('GET', '/api/v1/solutions'),
});

export const saveSolution = (s: SolutionInput, creating: boolean) => {
  if (creating) {
    const { id, ...rest } = s;
    return call<Solution>('POST', '/api/v1/solutions', id ? s : rest);
  }
  const { id, ...rest } = s;
  return call<Solution>('PATCH', `/api/v1/solutions/${encodeURIComponent(id)}`, rest);
};
export const deleteSolution = (id: string) => call<void>('DELETE', `/api/v1/solutions/${encodeURIComponent(id)}`);

// A figure's value as the page shows it: "—" for unknown, entries of an object keyed by labels.
export function valueEntries(f: Figure, lang: string): [string, number][] | null {
  const v = f.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  return Object.entries(v as Record<string, number>).map(([k, n]) => {
    const l = f.labels?.[k];
    return [l ? (lang === 'en' ? l.en : l.zh) : k, n];
  });
}
