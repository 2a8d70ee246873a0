import { configure, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import i18n from '../i18n';
import { EnterpriseProfilePage } from '../features/park/EnterpriseProfile';
import { ParkDashboardPage } from '../features/park/ParkDashboard';
import { num, pct, type DayFigures, type EnterpriseProfile, type ParkDashboard } from '../features/park/api';
import { renderRoute, signIn, stubApi } from './helpers';

vi.mock('../components/Chart', () => ({ Chart: ({ testId }: { testId?: string }) => <div data-testid={testId} /> }));

configure({ asyncUtilTimeout: 10_000 });

const day = (d: string, kwh: number, rate: number | null): DayFigures => ({
  day: d, dayMs: Date.parse(`${d}T00:00:00Z`), electricityKwh: kwh, gasM3: 0, steamT: 0, waterM3: 0, co2T: kwh * 0.0005366,
  tce: kwh * 0.0001229, output: 10, operatingRate: rate, alarmsRaised: 0, machines: 2, machinesRunning: 1,
});
const totals = { electricityKwh: 630, gasM3: 250, steamT: 0, waterM3: 0, co2T: 0.878608, tce: 0.381002, output: 150, operatingRate: 0.826531, alarmsRaised: 2 };

const dashboard: ParkDashboard = {
  park: { id: 'P1', name: '高新园', region: '江苏省苏州市', level: 'national' }, from: '2026-11-22', to: '2026-11-26', days: 30, generatedMs: 0,
  totals: { ...totals, enterprises: 2, devices: 4, devicesConnected: 1, devicesOnline: 0 },
  alarmsActive: { total: 2, bySeverity: { critical: 1, major: 1, minor: 0, warning: 0 } },
  trend: [day('2026-11-23', 500, 0.833333), day('2026-11-24', 130, 0.5)],
  enterprises: [
    { ...totals, id: 'EA', name: '精工机械', industry: '机械', sme: true, longitude: 120.6, latitude: 31.3, devices: 4, devicesConnected: 1, devicesOnline: 0,
      connectedShare: 0.25, subscribedApps: 3, alarmsActive: 2, operatingRateToday: null, co2PerOutputKg: 5.857387 },
    { ...totals, electricityKwh: 0, co2T: 0, output: 0, operatingRate: null, id: 'EB', name: '芯源电子', industry: '电子', sme: false, longitude: null, latitude: null,
      devices: 0, devicesConnected: 0, devicesOnline: 0, connectedShare: null, subscribedApps: 0, alarmsActive: 0, operatingRateToday: null, co2PerOutputKg: null },
  ],
  rankings: {
    electricityKwh: [{ rank: 1, enterpriseId: 'EA', name: '精工机械', industry: '机械', value: 630 }, { rank: 2, enterpriseId: 'EB', name: '芯源电子', industry: '电子', value: 0 }],
    co2T: [], operatingRate: [{ rank: 1, enterpriseId: 'EA', name: '精工机械', industry: '机械', value: 0.826531 }], output: [], alarmsActive: [],
  },
  factors: { co2KgPerKwh: 0.5366, co2KgPerGasM3: 2.1622, kgcePerKwh: 0.1229, kgcePerGasM3: 1.2143 },
};

const profile: EnterpriseProfile = {
  enterprise: { id: 'EA', name: '精工机械', industry: '机械', creditCode: '91320505MA1KW0P1XX', sme: true, paid: true, parkId: 'P1' },
  park: { id: 'P1', name: '高新园' }, from: '2026-10-28', to: '2026-11-26', days: 30, scale: { sme: true, devices: 4 },
  devices: { total: 4, connected: 1, online: 0, byCategory: { running: 1, processing: 2, mobile: 0, other: 1 } },
  totals: { ...totals, annualisedTce: 27.8 }, trend: [day('2026-11-23', 500, 0.833333)],
  apps: [{ appId: 'kaiwu-energy', plan: 'free', calls: 12, since: 0, nameZh: '节能减排', nameEn: 'Energy & carbon', domain: 'energy_carbon' }],
  appCallsThisMonth: 7, alarmsActive: { total: 2, bySeverity: { critical: 1, major: 1, minor: 0, warning: 0 } },
  tags: [{ code: 'high_utilisation', zh: '开工饱满', en: 'Fully utilised', ruleZh: '加工设备期间开工率（按时间加权）≥ 80%',
    ruleEn: 'time-weighted operating rate of processing machines ≥ 80 %', value: 0.826531 }],
};

describe('park figures', () => {
  it('formats rates and numbers, dashes for unknown', () => {
    expect(pct(0.826531)).toBe('82.7%');
    expect(pct(null)).toBe('—');
    expect(num(null)).toBe('—');
    expect(num(0.878608, 2)).toBe((0.88).toLocaleString(undefined, { minimumFractionDigits: 2 }));
  });
});

describe('park dashboard', () => {
  afterEach(() => { vi.unstubAllGlobals(); localStorage.clear(); void i18n.changeLanguage('zh-CN'); });

  it('shows the park admin their park: totals, alarms by severity, enterprises and rankings', async () => {
    signIn('park-admin');
    localStorage.setItem('kaiwu.session', localStorage.getItem('kaiwu.session')!.replace('"parkId":null', '"parkId":"P1"'));
    const calls = stubApi({
      'GET /api/v1/parks': () => ({ items: [{ id: 'P1', name: '高新园' }], next: null }),
      'GET /api/v1/parks/P1/dashboard': () => dashboard,
    });
    renderRoute('/park-dashboard', '/park-dashboard', <ParkDashboardPage />);
    expect(await screen.findByText('高新园 · 园区运行看板')).toBeInTheDocument();
    expect(screen.getByTestId('park-kpi-operatingRate')).toHaveTextContent('82.7%');
    expect(screen.getByTestId('park-kpi-devices')).toHaveTextContent('1 / 4');
    expect(screen.getByTestId('park-kpi-alarmsActive')).toHaveTextContent('紧急 1');
    const table = screen.getByTestId('park-enterprises');
    expect(within(table).getByText('精工机械').closest('a')).toHaveAttribute('href', '/enterprises/EA/profile');
    expect(table).toHaveTextContent('1 / 4');
    expect(screen.getByTestId('park-rank-operatingRate')).toHaveTextContent('82.7%');
    expect(screen.getByTestId('park-method')).toHaveTextContent('0.5366');
    expect(calls.find((c) => c.path === '/api/v1/parks/P1/dashboard')?.query.get('days')).toBe('30');
    await userEvent.click(screen.getByText('近 7 天'));
    await vi.waitFor(() => expect(calls.some((c) => c.path === '/api/v1/parks/P1/dashboard' && c.query.get('days') === '7')).toBe(true));
  });

  it('shows the server error (a park outside the scope)', async () => {
    signIn('tenant-admin');
    stubApi({ 'GET /api/v1/parks': () => ({ items: [], next: null }) });
    renderRoute('/park-dashboard/PX', '/park-dashboard/:parkId', <ParkDashboardPage />);
    expect(await screen.findByText(/no route GET \/api\/v1\/parks\/PX\/dashboard/)).toBeInTheDocument();
  });
});

describe('enterprise profile', () => {
  afterEach(() => { vi.unstubAllGlobals(); localStorage.clear(); void i18n.changeLanguage('zh-CN'); });

  it('shows basics, tags with their rules, figures and APPs, in Chinese and English', async () => {
    signIn('viewer');
    stubApi({ 'GET /api/v1/enterprises/EA/profile': () => profile });
    renderRoute('/enterprises/EA/profile', '/enterprises/:id/profile', <EnterpriseProfilePage />);
    expect(await screen.findByText('精工机械 · 企业画像')).toBeInTheDocument();
    expect(screen.getByTestId('profile-tag-high_utilisation')).toHaveTextContent('开工饱满');
    expect(screen.getByTestId('profile-tags')).toHaveTextContent('≥ 80%');
    expect(screen.getByText('加工设备 2')).toBeInTheDocument();
    expect(screen.getByTestId('profile-apps')).toHaveTextContent('节能减排');
    expect(screen.queryByText('返回园区看板')).toBeNull();  // viewers have no park dashboard
    await i18n.changeLanguage('en');
    expect(await screen.findByText('精工机械 · Enterprise profile')).toBeInTheDocument();
    expect(screen.getByTestId('profile-tag-high_utilisation')).toHaveTextContent('Fully utilised');
    expect(screen.getByTestId('profile-apps')).toHaveTextContent('Energy & carbon');
  });
});
