// Economic-operation analysis API (/api/v1/analysis/*, /api/v1/supply-links) and the pure
// functions that turn its JSON into ECharts options (tested in src/test/analysis.test.tsx).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call, listAll } from '../../api/client';
import type { Park } from '../../api/types';

export interface MapEnterprise {
  id: string; name: string; industry: string; parkId: string; parkName: string; sme: boolean; address: string;
  longitude: number | null; latitude: number | null; devices: number; electricityKwh: number | null;
  output: number | null; operatingRate: number | null; alarms: number;
}
export interface IndustryRow {
  industry: string; enterprises: number; devices: number; electricityKwh: number | null; output: number | null;
  operatingRate: number | null; alarms: number;
}
export interface IndustryMap {
  parkId: string; from: string; to: string; enterprises: MapEnterprise[]; byIndustry: IndustryRow[];
  method: { zh: string; en: string };
}
export interface IndexPoint { period: string; value: number | null; index: number | null; days: number }
export interface IndexSeries { group: string; baseValue: number | null; points: IndexPoint[] }
export interface IndexDef {
  id: 'operatingRate' | 'electricity' | 'output'; nameZh: string; nameEn: string; unit: string;
  methodZh: string; methodEn: string; series: IndexSeries[];
}
export interface Indices {
  parkId: string; from: string; to: string; period: 'day' | 'week';
  base: { from: string; to: string; days: string[]; default: boolean }; indices: IndexDef[];
}
export type Status = 'running' | 'slowed' | 'stopped' | 'unknown';
export interface ChainNode {
  id: string; name: string; industry: string; parkId: string; status: Status; todayRate: number | null;
  baseRate: number | null; atRisk: boolean; stoppedSuppliers: string[];
}
export interface ChainEdge { id: string; source: string; target: string; material: string; supplierStatus: Status }
export interface SupplyChain {
  parkId: string; day: string; nodes: ChainNode[]; edges: ChainEdge[];
  summary: Record<Status | 'atRisk', number>; method: { zh: string; en: string };
}
export interface SupplyLink {
  id: string; tenantId: string; supplierEnterpriseId: string; supplierName: string; customerEnterpriseId: string;
  customerName: string; material: string; createdAt: number;
}

export function useParks() {
  return useQuery({ queryKey: ['list', '/api/v1/parks', ''], queryFn: () => listAll<Park>('/api/v1/parks') });
}

export function useIndustryMap(parkId: string) {
  return useQuery({ queryKey: ['analysis', 'map', parkId],
    queryFn: () => call<IndustryMap>('GET', '/api/v1/analysis/industry-map', undefined, { parkId }) });
}

export interface IndexQuery { parkId: string; from?: string; to?: string; base?: string; period: 'day' | 'week' }
export function useIndices(q: IndexQuery) {
  return useQuery({ queryKey: ['analysis', 'indices', q],
    queryFn: () => call<Indices>('GET', '/api/v1/analysis/indices', undefined,
      { parkId: q.parkId, from: q.from, to: q.to, base: q.base, period: q.period }) });
}

export function useSupplyChain(parkId: string) {
  return useQuery({ queryKey: ['analysis', 'chain', parkId],
    queryFn: () => call<SupplyChain>('GET', '/api/v1/analysis/supply-chain', undefined, { parkId }) });
}

export function useSupplyLinks() {
  return useQuery({ queryKey: ['supply-links'],
    queryFn: async () => (await call<{ items: SupplyLink[] }>('GET', '/api/v1/supply-links')).items });
}

export function useLinkMutations() {
  const qc = useQueryClient();
  const done = () => {
    void qc.invalidateQueries({ queryKey: ['supply-links'] });
    void qc.invalidateQueries({ queryKey: ['analysis', 'chain'] });
  };
  const create = useMutation({
    mutationFn: (b: { supplierEnterpriseId: string; customerEnterpriseId: string; material: string }) =>
      call<SupplyLink>('POST', '/api/v1/supply-links', b),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: (id: string) => call<null>('DELETE', `/api/v1/supply-links/${encodeURIComponent(id)}`),
    onSuccess: done,
  });
  return { create, remove };
}

// ---- chart options ----

export const STATUS_COLOURS: Record<Status, string> = {
  running: '#52c41a', slowed: '#faad14', stopped: '#f5222d', unknown: '#8c8c8c',
};

type T = (key: string, o?: Record<string, unknown>) => string;

// Enterprises as points at their longitude/latitude (value axes, no map tiles), one series per
// industry, the symbol growing with the 30-day electricity. Enterprises without a location are left out.
export function mapOption(m: IndustryMap, t: T) {
  const located = m.enterprises.filter((e) => e.longitude !== null && e.latitude !== null);
  const industries = [...new Set(located.map((e) => e.industry))];
  const maxKwh = Math.max(1, ...located.map((e) => e.electricityKwh ?? 0));
  const series = industries.map((industry) => ({
    name: industry, type: 'scatter',
    symbolSize: (v: number[]) => 10 + 30 * Math.sqrt((v[2] ?? 0) / maxKwh),
    label: { show: true, position: 'right', formatter: (p: { data: { name: string } }) => p.data.name, fontSize: 11 },
    data: located.filter((e) => e.industry === industry).map((e) => ({
      name: e.name, value: [e.longitude, e.latitude, e.electricityKwh ?? 0, e.operatingRate === null ? null : e.operatingRate * 100, e.devices],
    })),
  }));
  return {
    tooltip: { trigger: 'item', formatter: (p: { data: { name: string; value: (number | null)[] } }) =>
      `${p.data.name}<br/>${t('analysis.kwh30')}: ${Math.round(p.data.value[2] ?? 0)}<br/>` +
      `${t('analysis.operatingRate')}: ${p.data.value[3] === null ? '—' : `${(p.data.value[3] as number).toFixed(1)}%`}<br/>` +
      `${t('analysis.devices')}: ${p.data.value[4]}` },
    legend: { top: 0 },
    grid: { left: 60, right: 170, top: 40, bottom: 40 }, // room for the rightmost labels
    xAxis: { type: 'value', name: t('analysis.longitude'), scale: true, axisLabel: { formatter: (v: number) => `${v.toFixed(2)}°E` } },
    yAxis: { type: 'value', name: t('analysis.latitude'), scale: true, axisLabel: { formatter: (v: number) => `${v.toFixed(2)}°N` } },
    series,
  };
}

export function industryBarsOption(m: IndustryMap, t: T) {
  const rows = m.byIndustry;
  return {
    tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 50, right: 50, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: rows.map((r) => r.industry), axisLabel: { interval: 0, rotate: rows.length > 4 ? 30 : 0 } },
    yAxis: [{ type: 'value', name: t('analysis.enterprises'), minInterval: 1 }, { type: 'value', name: 'kWh' }],
    series: [
      { name: t('analysis.enterprises'), type: 'bar', data: rows.map((r) => r.enterprises) },
      { name: t('analysis.kwh30'), type: 'bar', yAxisIndex: 1, data: rows.map((r) => Math.round(r.electricityKwh ?? 0)) },
    ],
  };
}

// One line per group (total first) of the index against the base = 100 line.
export function indexOption(def: IndexDef, t: T) {
  const periods = def.series[0]?.points.map((p) => p.period) ?? [];
  return {
    tooltip: { trigger: 'axis' }, legend: { top: 0, type: 'scroll' }, grid: { left: 50, right: 90, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: periods.map((p) => p.slice(5)) },
    yAxis: { type: 'value', scale: true, name: t('analysis.indexUnit') },
    series: def.series.map((s, i) => ({
      name: s.group === 'total' ? t('analysis.total') : s.group, type: 'line', connectNulls: false,
      lineStyle: { width: i === 0 ? 3 : 1.5 }, data: s.points.map((p) => p.index),
      ...(i === 0 ? { markLine: { silent: true, symbol: 'none', lineStyle: { type: 'dashed' }, label: { formatter: t('analysis.baseLine') },
        data: [{ yAxis: 100 }] } } : {}),
    })),
  };
}

// Enterprises as nodes coloured by operating status (at-risk customers ringed in red), links as arrows.
export function chainOption(c: SupplyChain, t: T) {
  return {
    tooltip: { formatter: (p: { dataType: string; data: { name?: string; status?: Status; material?: string; rate?: string } }) =>
      p.dataType === 'edge' ? p.data.material || '—'
        : `${p.data.name}<br/>${t(`analysis.status.${p.data.status}`)} · ${p.data.rate}` },
    legend: { top: 0, data: (['running', 'slowed', 'stopped', 'unknown'] as Status[]).map((s) => t(`analysis.status.${s}`)) },
    series: [{
      type: 'graph', layout: 'circular', circular: { rotateLabel: false }, roam: true, top: 70, bottom: 60, left: 160, right: 160,
      edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 10, label: { show: true, position: 'bottom' },
      edgeLabel: { show: true, formatter: (p: { data: { material: string } }) => p.data.material, fontSize: 11 },
      categories: (['running', 'slowed', 'stopped', 'unknown'] as Status[]).map((s) => ({ name: t(`analysis.status.${s}`), itemStyle: { color: STATUS_COLOURS[s] } })),
      lineStyle: { width: 2, curveness: 0.15, opacity: 0.8 },
      data: c.nodes.map((n) => ({
        id: n.id, name: n.name, status: n.status, symbolSize: 44,
        category: ['running', 'slowed', 'stopped', 'unknown'].indexOf(n.status),
        rate: n.todayRate === null ? '—' : `${(n.todayRate * 100).toFixed(0)}%`,
        itemStyle: n.atRisk ? { borderColor: '#cf1322', borderWidth: 4, borderType: 'dashed' } : undefined,
        label: { formatter: n.atRisk ? `${n.name}\n⚠ ${t('analysis.atRisk')}` : n.name },
      })),
      links: c.edges.map((e) => ({ source: e.source, target: e.target, material: e.material,
        lineStyle: { color: STATUS_COLOURS[e.supplierStatus] } })),
    }],
  };
}

export function percent(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`;
}
