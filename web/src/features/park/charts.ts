// ECharts options shared by the park dashboard and the enterprise profile.
import type { DayFigures } from './api';

type T = (k: string) => string;
const grid = { left: 56, right: 56, top: 40, bottom: 30 };

export function energyOption(trend: DayFigures[], t: T) {
  return {
    tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid,
    xAxis: { type: 'category', data: trend.map((d) => d.day.slice(5)) },
    yAxis: [{ type: 'value', name: 'kWh' }, { type: 'value', name: 't', splitLine: { show: false } }],
    series: [
      { name: t('park.kwh'), type: 'bar', data: trend.map((d) => Math.round(d.electricityKwh)) },
      { name: t('park.co2t'), type: 'line', yAxisIndex: 1, smooth: true, data: trend.map((d) => Number(d.co2T.toFixed(3))) },
    ],
  };
}

export function operationOption(trend: DayFigures[], t: T) {
  return {
    tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid,
    xAxis: { type: 'category', data: trend.map((d) => d.day.slice(5)) },
    yAxis: [{ type: 'value', name: '%', max: 100 }, { type: 'value', name: t('park.parts'), splitLine: { show: false } }],
    series: [
      { name: t('park.ratePct'), type: 'line', smooth: true,
        data: trend.map((d) => (d.operatingRate === null ? null : Number((d.operatingRate * 100).toFixed(1)))) },
      { name: t('park.parts'), type: 'bar', yAxisIndex: 1, data: trend.map((d) => Math.round(d.output)) },
    ],
  };
}
