import { configure, fireEvent, screen, waitFor, within } from '@testing-library/react';

import userEvent from '@testing-library/user-event';
import dayjs from 'dayjs';
import { ModelCataloguePage } from '../features/models/ModelCatalogue';
import { ModelDetailPage, buildInputs, range } from '../features/models/ModelDetail';
import { parseSeries, type ModelRecord } from '../features/models/api';
import { renderRoute, signIn, stubApi } from './helpers';

vi.mock('../components/Chart', () => ({ Chart: ({ testId }: { testId?: string }) => <div data-testid={testId} /> }));


// Ant Design under a loaded 2-core machine: give every findBy/waitFor 10 s.
configure({ asyncUtilTimeout: 10_000 });
const stats: ModelRecord = {
  id: 'kaiwu.stats.descriptive', version: '1.0.0', public: true, tenantId: null, type: 'data_algorithm', name: { zh: '描述统计', en: 'Descriptive statistics' },
  deprecated: false, createdBy: 'platform', createdAt: 1_700_000_000_000,
  manifest: {
    id: 'kaiwu.stats.descriptive', version: '1.0.0', name: { zh: '描述统计', en: 'Descriptive statistics' }, description: { zh: '计数、均值', en: 'Count, mean' },
    type: 'data_algorithm', inputs: [{ name: 'x', type: 'series', unit: '', description: 'values' }],
    outputs: [{ name: 'mean', type: 'number', unit: 'kW' }, { name: 'quantiles', type: 'series' }],
    parameters: [{ name: 'alpha', type: 'number', unit: '', default: 0.3, min: 0.0001, max: 1, description: 'smoothing' }],
    implementation: { kind: 'builtin', kernel: 'stats.describe' },
  },
};

describe('model helpers', () => {
  it('parses series text and builds inline and device inputs', () => {
    expect(parseSeries('1, 2.5\n3  4;5')).toEqual([1, 2.5, 3, 4, 5]);
    expect(parseSeries('1, x')).toBeNull();
    expect(range({ name: 'a', type: 'number', min: 0, max: 1 })).toBe('0 … 1');
    expect(range({ name: 'a', type: 'number' })).toBe('—');
    const t = (k: string) => k;
    const ports = [{ name: 'x', type: 'series' }, { name: 'y', type: 'series' }, { name: 'k', type: 'number' }];
    const from = dayjs(1_700_000_000_000);
    const to = dayjs(1_700_003_600_000);
    expect(buildInputs(ports, {
      x: { mode: 'inline', text: '1 2 3' }, y: { mode: 'device', deviceId: 'd1', key: 'power', range: [from, to], agg: 'avg' }, k: { mode: 'inline', value: 4 },
    }, t)).toEqual({ x: [1, 2, 3], y: { series: { deviceId: 'd1', key: 'power', from: 1_700_000_000_000, to: 1_700_003_600_000, agg: 'avg', interval: 60_000 } }, k: 4 });
    expect(() => buildInputs(ports, { x: { mode: 'inline', text: '1 a' } }, t)).toThrow('models.notNumbers');
    expect(() => buildInputs(ports, { y: { mode: 'device', deviceId: 'd1' } }, t)).toThrow('models.seriesIncomplete');
  }, 120_000);
});

describe('model catalogue', () => {
  afterEach(() => { vi.unstubAllGlobals(); localStorage.clear(); });

  it('lists models by MIIT type with counts', async () => {
    signIn('viewer');
    const calls = stubApi({
      'GET /api/v1/models': () => ({ items: [stats], next: null }),
      'GET /api/v1/models/counts': () => ({ total: 12, byType: { data_algorithm: 9, mechanism: 2, business_process: 1, research_simulation: 0 } }),
    });
    renderRoute('/models', '/models', <ModelCataloguePage />);
    expect(await screen.findByTestId('model-kaiwu.stats.descriptive', {}, { timeout: 10_000 })).toHaveTextContent('描述统计');
    const types = screen.getByTestId('model-type');
    for (const label of ['研发仿真', '业务流程', '行业机理', '数据算法']) expect(types).toHaveTextContent(label);
    expect(types).toHaveTextContent('9');
    await userEvent.click(within(types).getByText('行业机理'));
    await waitFor(() => expect(calls.some((c) => c.query.get('type') === 'mechanism')).toBe(true));
  }, 120_000);

  it('shows ports with units and ranges, invokes on inline values and shows numbers and a chart', async () => {
    signIn('engineer');
    const calls = stubApi({
      'GET /api/v1/models/kaiwu.stats.descriptive': () => stats,
      'GET /api/v1/models/kaiwu.stats.descriptive/versions': () => ({ items: [stats], next: null }),
      'GET /api/v1/devices': () => ({ items: [], next: null }),
      'POST /api/v1/models/kaiwu.stats.descriptive/invoke': () => ({ modelId: stats.id, version: '1.0.0', outputs: { mean: 2.5, quantiles: [1.75, 2.5, 3.25] }, durationMs: 0.12 }),
    });
    renderRoute('/models/kaiwu.stats.descriptive', '/models/:id', <ModelDetailPage />);
    await screen.findByTestId('model-detail', {}, { timeout: 10_000 });
    expect(screen.getAllByText('0.0001 … 1').length).toBeGreaterThan(0);
    expect(screen.getAllByText('kW').length).toBeGreaterThan(0);
    fireEvent.change(screen.getByTestId('input-x'), { target: { value: 'oops' } });
    await userEvent.click(screen.getByTestId('invoke-submit'));
    expect(await screen.findByTestId('invoke-form-error')).toHaveTextContent('输入 x：请输入以逗号或空格分隔的数字');
    fireEvent.change(screen.getByTestId('input-x'), { target: { value: '1, 2, 3, 4' } });
    fireEvent.change(screen.getByTestId('param-alpha'), { target: { value: '0.5' } });
    await userEvent.click(screen.getByTestId('invoke-submit'));
    expect(await screen.findByTestId('output-mean', {}, { timeout: 10_000 })).toHaveTextContent('2.5 kW');
    expect(screen.getByTestId('output-quantiles')).toHaveTextContent('1.75, 2.5, 3.25');
    expect(screen.getByTestId('chart-quantiles')).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ version: '1.0.0', inputs: { x: [1, 2, 3, 4] }, parameters: { alpha: 0.5 } });
  }, 120_000);
});
