import { describe, expect, it } from 'vitest';
import { appDescription, type AppManifest } from '../features/apps/api';

const base = { id: 'x', version: '1.0.0', name: { zh: '甲', en: 'A' }, domain: 'energy_carbon', publisher: 'p', origin: 'partner' } as AppManifest;

describe('appDescription', () => {
  it('picks the language of a {zh, en} description and shows a plain one in both', () => {
    const both = { ...base, description: { zh: '汇总功率', en: 'Sums power' } };
    expect(appDescription(both, 'zh-CN')).toBe('汇总功率');
    expect(appDescription(both, 'en')).toBe('Sums power');
    expect(appDescription({ ...base, description: 'Sums power' }, 'zh-CN')).toBe('Sums power');
    expect(appDescription(base, 'en')).toBe('');
    expect(appDescription(null, 'en')).toBe('');
  });
});
