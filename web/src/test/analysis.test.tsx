import { configure, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import i18n from '../i18n';
import { IndicesPage } from '../features/analysis/IndicesPage';
import { IndustryMapPage } from '../features/analysis/IndustryMapPage';
import { SupplyChainPage } from '../features/analysis/SupplyChainPage';
import { chainOption, indexOption, industryBarsOption, mapOption, type IndustryMap, type Indices, type SupplyChain } from '../features/analysis/api';
import { renderRoute, signIn, stubApi } from './helpers';

vi.mock('../components/Chart', () => ({ Chart: ({ testId }: { testId?: string }) => <div data-testid={testId} /> }));

configure({ asyncUtilTimeout: 10_000 });

const map: IndustryMap = {
  parkId: '', from: '2026-10-28', to: '2026-11-26',
  enterprises: [
    { id: 'e1', name: '精工机械', industry: '机械', parkId: 'p1', parkName: '高新区', sme: true, address: '', longitude: 120.55, latitude: 31.3,
      devices: 5, electricityKwh: 2400, output: 120, operatingRate: 0.525, alarms: 2 },
    { id: 'e2', name: '芯源电子', industry: '电子', parkId: 'p1', parkName: '高新区', sme: true, address: '', longitude: 120.6, latitude: 31.32,
      devices: 2, electricityKwh: 600, output: 0, operatingRate: null, alarms: 0 },
    { id: 'e3', name: '无坐标企业', industry: '机械', parkId: '', parkName: '', sme: false, address: '', longitude: null, latitude: null,
      devices: 0, electricityKwh: 0, output: 0, operatingRate: null, alarms: 0 },
  ],
  byIndustry: [
    { industry: '机械', enterprises: 2, devices: 5, electricityKwh: 2400, output: 120, operatingRate: 0.525, alarms: 2 },
    { industry: '电子', enterprises: 1, devices: 2, electricityKwh: 600, output: 0, operatingRate: null, alarms: 0 },
  ],
  method: { zh: '电量与产出为期间内各日之和', en: 'Electricity and output are sums' },
};

const indices: Indices = {
  parkId: '', from: '2026-11-01', to: '2026-11-03', period: 'day',
  base: { from: '2026-11-01', to: '2026-11-02', days: ['2026-11-01', '2026-11-02'], default: true },
  indices: [{
    id: 'operatingRate', nameZh: '开工率指数', nameEn: 'Operating-rate index', unit: '', methodZh: '开工率指数 = 报告期开工率 ÷ 基期开工率 × 100',
    methodEn: 'Operating-rate index = rate of the period ÷ rate of the base period × 100',
    series: [
      { group: 'total', baseValue: 0.5, points: [{ period: '2026-11-01', value: 0.5, index: 100, days: 1 },
        { period: '2026-11-02', value: null, index: null, days: 0 }, { period: '2026-11-03', value: 0.4, index: 80, days: 1 }] },
      { group: '机械', baseValue: 0.6, points: [{ period: '2026-11-01', value: 0.6, index: 100, days: 1 },
        { period: '2026-11-02', value: 0.6, index: 100, days: 1 }, { period: '2026-11-03', value: 0.3, index: 50, days: 1 }] },
    ],
  }],
};

const chain: SupplyChain = {
  parkId: '', day: '2026-11-26',
  nodes: [
    { id: 'a', name: '甲', industry: '机械', parkId: 'p1', status: 'running', todayRate: 1, baseRate: 0.5, atRisk: true, stoppedSuppliers: ['b'] },
    { id: 'b', name: '乙', industry: '机械', parkId: 'p1', status: 'stopped', todayRate: 0, baseRate: 0.75, atRisk: false, stoppedSuppliers: [] },
  ],
  edges: [{ id: 'l1', source: 'b', target: 'a', material: '钢材', supplierStatus: 'stopped' }],
  summary: { running: 1, slowed: 0, stopped: 1, unknown: 0, atRisk: 1 },
  method: { zh: '运行状态：今日开工率与基期之比', en: 'Operating status: today against the base' },
};

const t = (k: string) => k;

describe('analysis chart options', () => {
  it('places located enterprises by lon/lat, one series per industry', () => {
    const o = mapOption(map, t);
    expect(o.series.map((s) => s.name)).toEqual(['机械', '电子']);
    expect(o.series[0].data).toEqual([{ name: '精工机械', value: [120.55, 31.3, 2400, 52.5, 5] }]); // e3 has no location
    expect(o.xAxis.type).toBe('value');
    expect(o.series[0].symbolSize([0, 0, 2400])).toBe(40); // the largest consumer
    const bars = industryBarsOption(map, t);
    expect(bars.xAxis.data).toEqual(['机械', '电子']);
    expect(bars.series[1].data).toEqual([2400, 600]);
  });

  it('draws each group against the base = 100 line and keeps gaps', () => {
    const o = indexOption(indices.indices[0], t);
    expect(o.xAxis.data).toEqual(['11-01', '11-02', '11-03']);
    expect(o.series.map((s) => s.name)).toEqual(['analysis.total', '机械']);
    expect(o.series[0].data).toEqual([100, null, 80]);
    expect(o.series[0].markLine?.data).toEqual([{ yAxis: 100 }]);
    expect(o.series[1].markLine).toBeUndefined();
  });

  it('colours nodes by status and rings customers at risk', () => {
    const o = chainOption(chain, t);
    const [s] = o.series;
    expect(s.data.map((n) => n.category)).toEqual([0, 2]);
    expect(s.data[0].itemStyle?.borderColor).toBe('#cf1322');
    expect(s.data[1].itemStyle).toBeUndefined();
    expect(s.links).toEqual([{ source: 'b', target: 'a', material: '钢材', lineStyle: { color: '#f5222d' } }]);
  });
});

describe('analysis pages', () => {
  afterEach(() => { vi.unstubAllGlobals(); localStorage.clear(); void i18n.changeLanguage('zh-CN'); });

  it('industry map: figures per enterprise, the method and the park filter', async () => {
    signIn('tenant-admin');
    const calls = stubApi({
      'GET /api/v1/parks': () => ({ items: [{ id: 'p1', name: '高新区' }], next: null }),
      'GET /api/v1/analysis/industry-map': () => map,
    });
    renderRoute('/analysis/map', '/analysis/map', <IndustryMapPage />);
    const table = await screen.findByTestId('industry-map-table');
    expect(await within(table).findByText('精工机械')).toBeInTheDocument();
    expect(within(table).getByText('52.5%')).toBeInTheDocument();
    expect(screen.getByText('1 家企业未填写坐标')).toBeInTheDocument();
    expect(screen.getByTestId('industry-map-method')).toHaveTextContent('各日之和');
    expect(screen.getByTestId('industry-map-chart')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('combobox', { name: '园区' }));
    await userEvent.click(await screen.findByTitle('高新区'));
    await waitFor(() => expect(calls.some((c) => c.path === '/api/v1/analysis/industry-map' && c.query.get('parkId') === 'p1')).toBe(true));
  }, 60_000);

  it('indices in English: base period, method text, weekly switch', async () => {
    signIn('park-admin');
    await i18n.changeLanguage('en');
    const calls = stubApi({
      'GET /api/v1/parks': () => ({ items: [], next: null }),
      'GET /api/v1/analysis/indices': () => indices,
    });
    renderRoute('/analysis/indices', '/analysis/indices', <IndicesPage />);
    expect(await screen.findByText('Operating-rate index')).toBeInTheDocument();
    expect(screen.getByTestId('index-method-operatingRate')).toHaveTextContent('rate of the base period × 100');
    expect(screen.getByTestId('indices-base-info')).toHaveTextContent('2026-11-01 ~ 2026-11-02 (2 days, default: the first 7 days with data)');
    await userEvent.click(screen.getByText('Weekly'));
    await waitFor(() => expect(calls.some((c) => c.query.get('period') === 'week')).toBe(true));
  }, 60_000);

  it('indices: a 409 without a base shows the server message', async () => {
    signIn('viewer');
    stubApi({
      'GET /api/v1/parks': () => ({ items: [], next: null }),
      'GET /api/v1/analysis/indices': () => { throw new Error('no day with data between 2026-10-01 and 2026-10-30: no base period; name one with base='); },
    });
    renderRoute('/analysis/indices', '/analysis/indices', <IndicesPage />);
    expect(await screen.findByText(/no base period; name one with base=/)).toBeInTheDocument();
  }, 60_000);

  it('supply chain: status and customers at risk', async () => {
    signIn('tenant-admin');
    stubApi({
      'GET /api/v1/parks': () => ({ items: [], next: null }),
      'GET /api/v1/analysis/supply-chain': () => chain,
      'GET /api/v1/supply-links': () => ({ items: [{ id: 'l1', tenantId: 'T', supplierEnterpriseId: 'b', supplierName: '乙', customerEnterpriseId: 'a',
        customerName: '甲', material: '钢材', createdAt: 0 }], next: null }),
    });
    renderRoute('/analysis/supply-chain', '/analysis/supply-chain', <SupplyChainPage />);
    const nodes = await screen.findByTestId('supply-chain-nodes');
    expect(await within(nodes).findByText('供应商停产：乙')).toBeInTheDocument();
    expect(within(nodes).getByText('停产')).toBeInTheDocument();
    expect(screen.getByTestId('chain-atRisk')).toHaveTextContent('1');
    expect(within(screen.getByTestId('supply-links-table')).getByText('钢材')).toBeInTheDocument();
  }, 60_000);

  it('supply chain: an admin adds a link', async () => {
    signIn('tenant-admin');
    const calls = stubApi({
      'GET /api/v1/parks': () => ({ items: [], next: null }),
      'GET /api/v1/analysis/supply-chain': () => chain,
      'GET /api/v1/supply-links': () => ({ items: [], next: null }),
      'POST /api/v1/supply-links': (c) => ({ id: 'l2', ...(c.body as object) }),
    });
    renderRoute('/analysis/supply-chain', '/analysis/supply-chain', <SupplyChainPage />);
    await screen.findByTestId('supply-chain-nodes');
    const form = screen.getByTestId('supply-link-form');
    fireEvent.mouseDown(within(form).getByRole('combobox', { name: '供应商' }));
    await userEvent.click(await screen.findByText('甲', { selector: '.ant-select-item-option-content' }));
    fireEvent.mouseDown(within(form).getByRole('combobox', { name: '客户' }));
    const options = await screen.findAllByText('乙', { selector: '.ant-select-item-option-content' });
    await userEvent.click(options[options.length - 1]);
    fireEvent.change(within(form).getByLabelText('物料'), { target: { value: '铸件' } });
    await userEvent.click(screen.getByTestId('supply-link-add'));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ supplierEnterpriseId: 'a', customerEnterpriseId: 'b', material: '铸件' }));
  }, 300_000); // Select dropdowns are slow in jsdom on a loaded machine

  it('supply chain: viewers get no link editor', async () => {
    signIn('viewer');
    stubApi({
      'GET /api/v1/parks': () => ({ items: [], next: null }),
      'GET /api/v1/analysis/supply-chain': () => chain,
      'GET /api/v1/supply-links': () => ({ items: [], next: null }),
    });
    renderRoute('/analysis/supply-chain', '/analysis/supply-chain', <SupplyChainPage />);
    await screen.findByTestId('supply-chain-nodes');
    expect(screen.queryByTestId('supply-link-form')).toBeNull();
  }, 60_000);
});
