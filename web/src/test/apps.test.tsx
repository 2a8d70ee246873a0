import { configure, act, fireEvent, screen, waitFor, within } from '@testing-library/react';

import userEvent from '@testing-library/user-event';
import type { Role } from '../api/types';
import { setToken } from '../api/client';
import { AppDetailPage } from '../features/apps/AppDetail';
import { AppHostPage } from '../features/apps/AppHost';
import { MarketplacePage } from '../features/apps/Marketplace';
import { ReviewsPage } from '../features/apps/Reviews';
import { RunsPage, filterRuns } from '../features/apps/Runs';
import { UploadPage } from '../features/apps/Upload';
import { callFunction, isFrameMessage, uiFile } from '../features/apps/bridge';
import { lineOfPointer, splitProblems, sortApps, type AppSummary, type AppVersion, type RunRecord } from '../features/apps/api';
import { renderRoute, stubApi } from './helpers';


// Ant Design under a loaded 2-core machine: give every findBy/waitFor 10 s.
configure({ asyncUtilTimeout: 10_000 });
function signInAs(role: Role, enterpriseId: string | null) {
  localStorage.setItem('kaiwu.session', JSON.stringify({
    token: 't', expiresAt: Date.now() + 3600_000,
    user: { id: 'u1', username: 'wang', displayName: '王经理', role, tenantId: 'T', parkId: null, enterpriseId, disabled: false, createdAt: 0, lastLoginAt: null },
  }));
}

const manifest = {
  id: 'hello-energy', version: '1.0.0', name: { zh: '能耗小助手', en: 'Hello Energy' }, description: 'Sums power', domain: 'energy_carbon' as const,
  publisher: 'kaiwu-examples', origin: 'self_built', form: 'built_on_platform', permissions: ['devices:read', 'telemetry:read'],
  functions: [{ name: 'summary', description: 'total' }], triggers: [{ type: 'http', function: 'summary' }], ui: { entry: 'ui/index.html' },
  plans: [{ id: 'free', type: 'free' }, { id: 'pro', type: 'monthly', price: 99 }],
};
const app = (over: Partial<AppSummary> = {}): AppSummary => ({
  id: 'hello-energy', publisher: 'kaiwu-examples', listed: true, listedVersion: '1.0.0', subscribers: 3, rating: { average: 4.5, count: 2 },
  createdAt: 1_700_000_000_000, manifest, ...over,
});
const version: AppVersion = {
  appId: 'hello-energy', version: '1.0.0', status: 'pending', reason: '', digest: 'ab'.repeat(32), keyFingerprint: 'fcc3866fceff2461',
  uploadedBy: 'dev', uploadedAt: 1_700_000_000_000, reviewedBy: '', reviewedAt: 0, manifest,
};
const run = (over: Partial<RunRecord>): RunRecord => ({
  id: 'r1', appId: 'hello-energy', version: '1.0.0', tenantId: 'T', enterpriseId: 'e1', function: 'summary', trigger: 'http', actor: 'wang',
  startedAt: 1_700_000_000_000, durationUs: 1500, ok: true, error: '', log: ['summed 2 devices'], ...over,
});

describe('APP helpers', () => {
  it('splits joined validation problems and finds where each points', () => {
    const problems = splitProblems(['manifest.json /domain: must be one of safety, quality; manifest.json /functions/0/name: is required',
      'main.lua:3: unexpected symbol near x', 'package is not signed (kaiwu app sign)']);
    expect(problems).toEqual([
      { file: 'manifest.json', pointer: '/domain', line: null, column: null, message: 'must be one of safety, quality' },
      { file: 'manifest.json', pointer: '/functions/0/name', line: null, column: null, message: 'is required' },
      { file: 'main.lua', pointer: null, line: 3, column: null, message: 'unexpected symbol near x' },
      { file: null, pointer: null, line: null, column: null, message: 'package is not signed (kaiwu app sign)' },
    ]);
    const text = '{\n  "id": "x",\n  "domain": "space",\n  "functions": [\n    {"name": ""}\n  ]\n}';
    expect(lineOfPointer(text, '/domain')).toBe(3);
    expect(lineOfPointer(text, '/functions/0/name')).toBe(5);
    expect(lineOfPointer(text, '/nothing')).toBeNull();
  }, 120_000);

  it('puts built-ins first and filters runs', () => {
    const apps = sortApps([app({ id: 'b' }), app({ id: 'k', publisher: 'kaiwu', manifest: { ...manifest, name: { zh: '乙', en: 'Z' } } })], 'en');
    expect(apps.map((a) => a.id)).toEqual(['k', 'b']);
    const runs = [run({}), run({ id: 'r2', ok: false, error: 'boom', trigger: 'schedule', function: 'tick' })];
    expect(filterRuns(runs, { status: 'failed', trigger: '', fn: '' }).map((r) => r.id)).toEqual(['r2']);
    expect(filterRuns(runs, { status: 'all', trigger: 'http', fn: '' }).map((r) => r.id)).toEqual(['r1']);
    expect(filterRuns(runs, { status: 'ok', trigger: '', fn: 'tick' })).toEqual([]);
  }, 120_000);
});

describe('APP bridge', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('accepts only well-formed frame messages', () => {
    expect(isFrameMessage({ kaiwu: 'call', id: 1, fn: 'summary', input: {} })).toBe(true);
    expect(isFrameMessage({ kaiwu: 'call', id: 1, fn: '../x' })).toBe(false);
    expect(isFrameMessage({ kaiwu: 'download', fileId: 'f-1.xlsx' })).toBe(true);
    expect(isFrameMessage({ kaiwu: 'download', fileId: '../../etc' })).toBe(false);
    expect(isFrameMessage({ kaiwu: 'resize', height: 420 })).toBe(true);
    expect(isFrameMessage({ kaiwu: 'init' })).toBe(false);
    expect(isFrameMessage('call')).toBe(false);
    expect(uiFile('ui/index.html')).toBe('index.html');
    expect(uiFile(undefined)).toBe('index.html');
  }, 120_000);

  it('turns a call into the function route for the enterprise and maps the answers', async () => {
    setToken('tok');
    const seen: { url: string; auth: string | null; body: unknown }[] = [];
    const answers = [
      new Response(JSON.stringify({ ok: true, result: { total: 42.5 } }), { status: 200 }),
      new Response(JSON.stringify({ ok: false, result: null, error: 'main.lua:3: boom' }), { status: 422 }),
      new Response(JSON.stringify({ error: { code: 'not_found', message: 'app x not found' } }), { status: 404 }),
    ];
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      seen.push({ url, auth: new Headers(init.headers).get('Authorization'), body: JSON.parse(String(init.body)) });
      return answers.shift()!;
    }));
    expect(await callFunction('hello-energy', 'e1', 'summary', { key: 'power' }, 7))
      .toEqual({ kaiwu: 'result', id: 7, ok: true, output: { total: 42.5 } });
    expect(seen[0]).toEqual({ url: '/api/v1/apps/hello-energy/functions/summary?enterpriseId=e1', auth: 'Bearer tok', body: { key: 'power' } });
    expect(await callFunction('hello-energy', '', 'summary', undefined, 8))
      .toEqual({ kaiwu: 'result', id: 8, ok: false, error: { code: 'app_error', message: 'main.lua:3: boom' } });
    expect(seen[1].url).toBe('/api/v1/apps/hello-energy/functions/summary');
    expect(await callFunction('x', '', 'f', {}, 9)).toEqual({ kaiwu: 'result', id: 9, ok: false, error: { code: 'not_found', message: 'app x not found' } });
    setToken(null);
  }, 120_000);

  it('hosts the UI in a sandboxed frame, records the visit, answers calls and follows the language', async () => {
    signInAs('enterprise-admin', 'e1');
    const calls = stubApi({
      'GET /api/v1/apps/hello-energy': () => app(),
      'GET /api/v1/apps/hello-energy/subscriptions': () => ({ items: [{ appId: 'hello-energy', tenantId: 'T', enterpriseId: 'e1', plan: 'free', calls: 0, createdBy: 'x', createdAt: 0 }], next: null }),
      'POST /api/v1/apps/hello-energy/visit': () => null,
      'POST /api/v1/apps/hello-energy/functions/summary': () => ({ ok: true, result: { total: 3 } }),
    });
    renderRoute('/apps/hello-energy', '/apps/:appId', <AppHostPage />);
    const frame = await screen.findByTestId('app-frame', {}, { timeout: 10_000 }) as HTMLIFrameElement;
    expect(frame.getAttribute('sandbox')).toBe('allow-scripts allow-downloads');
    expect(frame.getAttribute('src')).toBe('/api/v1/apps/hello-energy/ui/index.html');
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/api/v1/apps/hello-energy/visit')).toBe(true));
    const win = frame.contentWindow!;
    const posted: unknown[] = [];
    win.postMessage = ((m: unknown) => { posted.push(m); }) as typeof win.postMessage;
    fireEvent.load(frame);
    expect(posted[0]).toMatchObject({ kaiwu: 'init', appId: 'hello-energy', lang: 'zh-CN', enterpriseId: 'e1', user: { name: '王经理', role: 'enterprise-admin' } });
    act(() => { window.dispatchEvent(new MessageEvent('message', { data: { kaiwu: 'call', id: 1, fn: 'summary', input: { key: 'power' } }, source: win })); });
    await waitFor(() => expect(posted).toContainEqual({ kaiwu: 'result', id: 1, ok: true, output: { total: 3 } }));
    const call = calls.find((c) => c.path.endsWith('/functions/summary'))!;
    expect(call.body).toEqual({ key: 'power' });
    expect(call.query.get('enterpriseId')).toBeNull(); // enterprise users act for their own enterprise
    // A message from another window is ignored.
    act(() => { window.dispatchEvent(new MessageEvent('message', { data: { kaiwu: 'call', id: 2, fn: 'summary' }, source: window })); });
    act(() => { window.dispatchEvent(new MessageEvent('message', { data: { kaiwu: 'resize', height: 777 }, source: win })); });
    await waitFor(() => expect(frame.style.height).toBe('777px'));
    const { default: i18n } = await import('../i18n');
    await act(() => i18n.changeLanguage('en'));
    await waitFor(() => expect(posted).toContainEqual({ kaiwu: 'change', lang: 'en', theme: expect.any(String) as string }));
    await act(() => i18n.changeLanguage('zh-CN'));
    expect(calls.filter((c) => c.path.endsWith('/functions/summary'))).toHaveLength(1);
  }, 120_000);
});

describe('APP marketplace pages', () => {
  afterEach(() => { vi.unstubAllGlobals(); localStorage.clear(); });

  it('filters by domain on the server and by origin and text in the page', async () => {
    signInAs('viewer', 'e1');
    const calls = stubApi({
      'GET /api/v1/apps': () => ({ items: [app(), app({ id: 'partner-mes', manifest: { ...manifest, id: 'partner-mes', origin: 'partner', name: { zh: '伙伴MES', en: 'Partner MES' } } })], next: null }),
    });
    renderRoute('/market', '/market', <MarketplacePage />);
    await screen.findByTestId('app-card-hello-energy', {}, { timeout: 10_000 });
    expect(screen.getByTestId('app-card-partner-mes')).toHaveTextContent('合作伙伴');
    expect(screen.queryByTestId('go-upload')).toBeNull(); // viewers do not upload
    await userEvent.click(within(screen.getByTestId('filter-origin')).getByText('自建'));
    await waitFor(() => expect(screen.queryByTestId('app-card-partner-mes')).toBeNull());
    await userEvent.click(within(screen.getByTestId('filter-origin')).getByText('全部'));
    fireEvent.change(screen.getByPlaceholderText('搜索名称、ID、发布者'), { target: { value: 'mes' } });
    await waitFor(() => expect(screen.queryByTestId('app-card-hello-energy')).toBeNull());
    expect(screen.getByTestId('app-card-partner-mes')).toBeInTheDocument();
    fireEvent.mouseDown(within(screen.getByTestId('filter-domain')).getByRole('combobox'));
    await userEvent.click(await screen.findByText('节能减排', { selector: '.ant-select-item-option-content' }));
    await waitFor(() => expect(calls.some((c) => c.query.get('domain') === 'energy_carbon')).toBe(true));
  }, 120_000);

  it('shows the permissions before subscribing, subscribes with the chosen plan, and rates', async () => {
    signInAs('enterprise-admin', 'e1');
    const subs: object[] = [];
    const calls = stubApi({
      'GET /api/v1/apps/hello-energy': () => app(),
      'GET /api/v1/apps/hello-energy/subscriptions': () => ({ items: subs, next: null }),
      'GET /api/v1/apps/hello-energy/ratings': () => ({ items: [{ appId: 'hello-energy', userId: 'u9', enterpriseId: 'e2', stars: 5, comment: '好用', updatedAt: 0 }], next: null }),
      'GET /api/v1/apps/hello-energy/versions': () => { throw new Error('only the publisher'); },
      'POST /api/v1/apps/hello-energy/subscriptions': (c) => { const s = { appId: 'hello-energy', tenantId: 'T', enterpriseId: 'e1', plan: (c.body as { plan: string }).plan, calls: 0, createdBy: 'wang', createdAt: 0 }; subs.push(s); return s; },
      'POST /api/v1/apps/hello-energy/ratings': (c) => c.body,
    });
    renderRoute('/market/hello-energy', '/market/:appId', <AppDetailPage />);
    await screen.findByTestId('app-detail', {}, { timeout: 10_000 });
    expect(screen.getAllByTestId('app-permissions')[0]).toHaveTextContent('读取本企业设备的遥测数据');
    expect(await screen.findByText('好用', {}, { timeout: 10_000 })).toBeInTheDocument();  // the ratings arrive after the APP
    expect(screen.queryByTestId('app-versions')).toBeNull();
    await userEvent.click(screen.getByTestId('subscribe-open'));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('app-permissions')).toHaveTextContent('列出本企业的设备');
    await userEvent.click(within(dialog).getByText(/pro · 99 元 \/ 月/));
    await userEvent.click(within(dialog).getByTestId('subscribe-confirm'));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST' && c.path.endsWith('/subscriptions'))?.body).toEqual({ plan: 'pro' }));
    await screen.findByTestId('unsubscribe-e1');
    fireEvent.click(screen.getByTestId('rate-stars').querySelectorAll('.ant-rate-star > div')[3]);
    fireEvent.change(screen.getByTestId('rate-comment'), { target: { value: '清楚' } });
    await userEvent.click(screen.getByTestId('rate-submit'));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST' && c.path.endsWith('/ratings'))?.body).toEqual({ stars: 4, comment: '清楚' }));
  }, 120_000);

  it('makes a tenant admin pick the enterprise to subscribe', async () => {
    signInAs('tenant-admin', null);
    const calls = stubApi({
      'GET /api/v1/apps/hello-energy': () => app(),
      'GET /api/v1/apps/hello-energy/subscriptions': () => ({ items: [], next: null }),
      'GET /api/v1/apps/hello-energy/ratings': () => ({ items: [], next: null }),
      'GET /api/v1/apps/hello-energy/versions': () => ({ items: [], next: null }),
      'GET /api/v1/enterprises': () => ({ items: [{ id: 'e7', name: '精工机床' }], next: null }),
      'POST /api/v1/apps/hello-energy/subscriptions': (c) => ({ ...(c.body as object), appId: 'hello-energy' }),
    });
    renderRoute('/market/hello-energy', '/market/:appId', <AppDetailPage />);
    await userEvent.click(await screen.findByTestId('subscribe-open', {}, { timeout: 10_000 }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByTestId('subscribe-confirm'));
    expect(await within(dialog).findByText('请选择企业')).toBeInTheDocument();
    fireEvent.mouseDown(within(dialog).getByRole('combobox'));
    await userEvent.click(await screen.findByText('精工机床', { selector: '.ant-select-item-option-content' }));
    await userEvent.click(within(dialog).getByTestId('subscribe-confirm'));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ enterpriseId: 'e7', plan: 'free' }));
  }, 120_000);

  it('lets a reviewer approve, and reject only with a reason', async () => {
    signInAs('platform-admin', null);
    const calls = stubApi({
      'GET /api/v1/apps/reviews': () => ({ items: [version], next: null }),
      'POST /api/v1/apps/hello-energy/versions/1.0.0/review': (c) => ({ ...version, status: (c.body as { approve: boolean }).approve ? 'approved' : 'rejected' }),
    });
    renderRoute('/market/reviews', '/market/reviews', <ReviewsPage />);
    const card = await screen.findByTestId('review-hello-energy-1.0.0', {}, { timeout: 10_000 });
    expect(card).toHaveTextContent('telemetry:read');
    expect(card).toHaveTextContent('fcc3866fceff2461');
    expect(card).toHaveTextContent('summary');
    await userEvent.click(screen.getByTestId('reject-hello-energy'));
    await userEvent.click(await screen.findByTestId('reject-submit'));
    expect(await screen.findByText('请填写驳回原因（开发者可见）', {}, { timeout: 10_000 })).toBeInTheDocument();
    fireEvent.change(screen.getByTestId('reject-reason'), { target: { value: '缺少说明' } });
    await userEvent.click(screen.getByTestId('reject-submit'));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ approve: false, reason: '缺少说明' }));
    await userEvent.click(screen.getByTestId('approve-hello-energy'));
    await waitFor(() => expect(calls.filter((c) => c.method === 'POST')[1]?.body).toEqual({ approve: true }));
  }, 120_000);

  it('validates a package first, points at each problem, then uploads the valid one', async () => {
    signInAs('developer', null);
    const bad = { format: 'kaiwu-app/1', files: { 'manifest.json': '{\n  "id": "hello-energy",\n  "domain": "space"\n}', 'main.lua': 'function f()\n  x = = 1\nend' } };
    const good = { format: 'kaiwu-app/1', files: { 'manifest.json': '{"id": "hello-energy"}' }, signature: 'sig' };
    const calls = stubApi({
      'POST /api/v1/apps/packages/validate': (c) => ((c.body as { signature?: string }).signature
        ? { valid: true, errors: [], manifest, digest: 'cd'.repeat(32) }
        : { valid: false, errors: ['manifest.json /domain: must be one of safety, energy_carbon', 'main.lua:2: unexpected symbol near \'=\''], manifest: null, digest: '' }),
      'POST /api/v1/apps/packages': () => version,
    });
    renderRoute('/market/upload', '/market/upload', <UploadPage />);
    const input = await screen.findByTestId('package-file', {}, { timeout: 10_000 });
    fireEvent.change(input, { target: { files: [new File([JSON.stringify(bad)], 'bad.kapp.json', { type: 'application/json' })] } });
    const errors = await screen.findByTestId('validation-errors', {}, { timeout: 10_000 });
    expect(within(errors).getAllByTestId('error-location').map((e) => e.textContent)).toEqual(['manifest.json /domain', 'main.lua:2']);
    expect(screen.getByTestId('problem-line')).toHaveTextContent('"domain": "space"');
    expect(screen.getByTestId('problem-line')).toHaveTextContent(/^3/);
    await userEvent.click(within(errors).getAllByTestId('validation-error')[1]);
    await waitFor(() => expect(screen.getByTestId('problem-line')).toHaveTextContent('x = = 1'));
    expect(screen.queryByTestId('upload-submit')).toBeNull();
    expect(calls.filter((c) => c.path === '/api/v1/apps/packages')).toHaveLength(0);
    fireEvent.change(input, { target: { files: [new File([JSON.stringify(good)], 'good.kapp.json')] } });
    await userEvent.click(await screen.findByTestId('upload-submit', {}, { timeout: 10_000 }));
    expect(await screen.findByTestId('upload-done')).toHaveTextContent('hello-energy 1.0.0 已上传，等待平台审核');
    expect(calls.find((c) => c.path === '/api/v1/apps/packages')?.body).toEqual(good);
  }, 120_000);

  it('lists runs with their log and filters them', async () => {
    signInAs('enterprise-admin', 'e1');
    stubApi({
      'GET /api/v1/apps/hello-energy': () => app(),
      'GET /api/v1/apps/hello-energy/runs': () => ({ items: [run({}), run({ id: 'r2', ok: false, error: 'main.lua:9: nil value', trigger: 'schedule', function: 'tick', log: [] })], next: null }),
    });
    renderRoute('/market/hello-energy/runs', '/market/:appId/runs', <RunsPage />);
    const table = await screen.findByTestId('runs-table', {}, { timeout: 10_000 });
    await waitFor(() => expect(table.querySelectorAll('tbody tr.ant-table-row')).toHaveLength(2));
    expect(table).toHaveTextContent('1.5 ms');
    expect(table).toHaveTextContent('main.lua:9: nil value');
    fireEvent.change(screen.getByTestId('runs-fn'), { target: { value: 'summ' } });
    await waitFor(() => expect(table.querySelectorAll('tbody tr.ant-table-row')).toHaveLength(1));
    fireEvent.click(table.querySelector('.ant-table-row-expand-icon')!);
    expect(await screen.findByTestId('run-log')).toHaveTextContent('summed 2 devices');
  }, 120_000);
});
