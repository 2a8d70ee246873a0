import { act, configure, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import i18n from '../i18n';
import { IndicatorsPage } from '../features/report/IndicatorsPage';
import { SolutionsPage } from '../features/report/SolutionsPage';
import type { Indicators, Solution } from '../features/report/api';
import { renderRoute, signIn, stubApi } from './helpers';

configure({ asyncUtilTimeout: 10_000 });

const doc: Indicators = {
  asOf: '2026-11-26', month: '2026-11', generatedMs: 1_795_700_000_000, tenantId: '',
  indicators: [
    { id: '1.1', nameZh: '工业设备数量', nameEn: 'Industrial devices', figures: [
      { id: 'devices.total', nameZh: '工业设备接入数量', nameEn: 'Industrial devices', unit: '台/套', value: 1234, definitionZh: '全部设备',
        definitionEn: 'Every device', query: 'SELECT count(*) FROM devices', source: 'live' },
      { id: 'devices.byCategory', nameZh: '按设备类型', nameEn: 'By device kind', unit: '台/套', value: { running: 3, processing: 2 },
        labels: { running: { zh: '运行设备', en: 'Running equipment' }, processing: { zh: '加工设备', en: 'Processing equipment' } },
        definitionZh: '四类', definitionEn: 'Four kinds', query: 'SELECT category, count(*) FROM devices GROUP BY category', source: 'live' },
      { id: 'devices.dailyActive', nameZh: '日活设备数量', nameEn: 'Daily-active devices', unit: '台/套', value: null, definitionZh: '日活',
        definitionEn: 'Daily active', query: "SELECT count(DISTINCT subject_id) FROM usage WHERE kind = 'device_active'", source: 'live' },
    ] },
    { id: '2.3', nameZh: '自研杀手锏APP', nameEn: 'Self-developed killer APPs', figures: [
      { id: 'killerApps.top5', nameZh: '杀手锏', nameEn: 'Killer APPs', unit: '', definitionZh: '前5', definitionEn: 'Top 5', query: 'q', source: 'live',
        value: [{ appId: 'kaiwu-oee', nameZh: '设备综合效率', nameEn: 'OEE', domain: 'production', subscribers: 7, dailyCalls: 42,
          monthlyRevenueMinor: 12345, crossPlatformInvocation: true }] },
    ] },
    { id: '2.1', nameZh: '技术创新能力', nameEn: 'Technical innovation', figures: [
      { id: 'tech.patents', nameZh: '发明专利数量', nameEn: 'Invention patents', unit: '件', value: null, definitionZh: '由运营方填写。',
        definitionEn: 'Filled in by the operator.', query: 'documentary', source: 'documentary' },
    ] },
  ],
};

const solution: Solution = {
  id: 'machining-oee-pdm', nameZh: '机加工设备综合效率与预测性维护', nameEn: 'Machining OEE and predictive maintenance',
  descriptionZh: '', descriptionEn: '', industries: ['机械', '汽车'], domains: ['production', 'maintenance'], appIds: ['kaiwu-oee'],
  modelIds: ['kaiwu.spectrum.fft'], profileIds: [], technologies: ['ai'], cases: 0,
};

describe('platform indicators', () => {
  afterEach(async () => { vi.unstubAllGlobals(); localStorage.clear(); await act(() => i18n.changeLanguage('zh-CN')); });

  it('shows every figure with its value, definition and query, and asks again for another day', async () => {
    signIn('platform-admin');
    const calls = stubApi({ 'GET /api/v1/platform/indicators': () => doc });
    renderRoute('/indicators', '/indicators', <IndicatorsPage />);
    expect(await screen.findByTestId('figure-devices.total')).toHaveTextContent('1,234 台/套');
    expect(screen.getByTestId('indicator-1.1')).toHaveTextContent('1.1 工业设备数量');
    expect(screen.getByTestId('figure-devices.byCategory')).toHaveTextContent('运行设备: 3');
    expect(screen.getByTestId('figure-devices.dailyActive')).toHaveTextContent('—');
    expect(screen.getByTestId('indicator-1.1')).toHaveTextContent("kind = 'device_active'");
    const killer = screen.getByTestId('figure-killerApps.top5');
    expect(killer).toHaveTextContent('设备综合效率');
    expect(killer).toHaveTextContent('42');
    expect(killer).toHaveTextContent('123.45');
    expect(screen.getByTestId('figure-tech.patents')).toHaveTextContent('运营方填写');
    expect(screen.getByTestId('indicators-scope')).toHaveTextContent('全平台');
    expect(calls[0].query.get('asOf')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const el = screen.getByTestId('indicators-asof');
    const picker = el.tagName === 'INPUT' ? el : within(el).getByRole('textbox');
    fireEvent.mouseDown(picker);
    fireEvent.focus(picker);
    fireEvent.change(picker, { target: { value: '2026-11-20' } });
    fireEvent.keyDown(picker, { key: 'Enter', code: 'Enter' });
    await waitFor(() => expect(calls.some((c) => c.query.get('asOf') === '2026-11-20')).toBe(true));

    await act(() => i18n.changeLanguage('en'));
    expect(await screen.findByText('Platform indicators')).toBeInTheDocument();
    expect(screen.getByTestId('figure-devices.byCategory')).toHaveTextContent('Running equipment: 3');
    expect(screen.getByTestId('indicator-1.1')).toHaveTextContent('Every device');
    expect(screen.getByTestId('figure-devices.total')).toHaveTextContent('1,234 units');
  }, 120_000);
});

describe('solution catalogue', () => {
  afterEach(() => { vi.unstubAllGlobals(); localStorage.clear(); });

  it('lists solutions; viewers cannot edit', async () => {
    signIn('viewer');
    stubApi({ 'GET /api/v1/solutions': () => ({ items: [solution] }) });
    renderRoute('/solutions', '/solutions', <SolutionsPage />);
    expect(await screen.findByTestId('solution-machining-oee-pdm')).toHaveTextContent('机加工设备综合效率');
    expect(screen.getByTestId('solutions-page')).toHaveTextContent('机械');
    expect(screen.getByTestId('solutions-page')).toHaveTextContent('人工智能');
    expect(screen.queryByTestId('solution-create')).toBeNull();
  }, 120_000);

  it('platform admins create a solution; a server 400 is shown', async () => {
    signIn('platform-admin');
    let fail = true;
    const calls = stubApi({
      'GET /api/v1/solutions': () => ({ items: [solution] }),
      'GET /api/v1/apps': () => ({ items: [], next: null }),
      'GET /api/v1/models': () => ({ items: [], next: null }),
      'POST /api/v1/solutions': (c) => {
        if (fail) { fail = false; throw new Error('appIds[0]: no APP kaiwu-x'); }
        return { ...solution, ...(c.body as object) };
      },
    });
    renderRoute('/solutions', '/solutions', <SolutionsPage />);
    await userEvent.click(await screen.findByTestId('solution-create'));
    const form = await screen.findByTestId('solution-form');
    fireEvent.change(within(form).getByLabelText('中文名称'), { target: { value: '甲方案' } });
    fireEvent.change(within(form).getByLabelText('英文名称'), { target: { value: 'Plan A' } });
    fireEvent.mouseDown(within(form).getByLabelText('覆盖行业'));
    await userEvent.click(await screen.findByText('电子', { selector: '.ant-select-item-option-content' }));
    fireEvent.mouseDown(within(form).getByLabelText('覆盖领域'));
    await userEvent.click(await screen.findByText('质量管控', { selector: '.ant-select-item-option-content' }));
    await userEvent.click(screen.getByRole('button', { name: /保\s*存/ }));
    expect(await screen.findByTestId('error-message')).toHaveTextContent('appIds[0]: no APP kaiwu-x');
    await userEvent.click(screen.getByRole('button', { name: /保\s*存/ }));
    await waitFor(() => expect(calls.filter((c) => c.method === 'POST').length).toBe(2));
    const body = calls.filter((c) => c.method === 'POST')[1].body as Record<string, unknown>;
    expect(body).toMatchObject({ nameZh: '甲方案', nameEn: 'Plan A', industries: ['电子'], domains: ['quality'], cases: 0 });
    expect(body).not.toHaveProperty('id');
  }, 240_000);
});
