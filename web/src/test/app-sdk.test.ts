// The APP SDK (public/app-sdk.js) as an APP page sees it: loaded into the document, talking to
// its parent only through postMessage.
import source from '../../public/app-sdk.js?raw';

interface Sdk {
  ready(): Promise<{ appId: string; lang: string; theme: string; enterpriseId: string; user: { name: string; role: string } }>;
  onChange(cb: (s: { lang: string; theme: string }) => void): () => void;
  t(zh: string, en?: string): string;
  call(fn: string, input?: unknown): Promise<unknown>;
  download(fileId: string): void;
  chart: { line(el: Element, o: object): SVGElement; bar(el: Element, o: object): SVGElement };
  fmt: { number(v: unknown, d?: number): string; time(ts: number): string };
}

const fromConsole = (data: object) => window.dispatchEvent(new MessageEvent('message', { data, source: window.parent }));

describe('APP SDK', () => {
  let sdk: Sdk;
  let posted: Record<string, unknown>[];

  beforeAll(() => {
    posted = [];
    // In jsdom the page is its own parent: capture what the SDK sends to "the console".
    vi.spyOn(window, 'postMessage').mockImplementation(((m: Record<string, unknown>) => { posted.push(m); }) as typeof window.postMessage);
    new Function(source)();
    sdk = (window as unknown as { kaiwu: Sdk }).kaiwu;
  });

  it('injects its base CSS and waits for the console before ready()', async () => {
    expect(document.getElementById('kaiwu-sdk-css')?.textContent).toContain('.kw-kpi');
    let resolved = false;
    const ready = sdk.ready().then((r) => { resolved = true; return r; });
    await Promise.resolve();
    expect(resolved).toBe(false);
    fromConsole({ kaiwu: 'init', appId: 'hello-energy', lang: 'en', theme: 'dark', enterpriseId: 'e1', user: { name: '王经理', role: 'enterprise-admin' } });
    expect(await ready).toEqual({ appId: 'hello-energy', lang: 'en', theme: 'dark', enterpriseId: 'e1', user: { name: '王经理', role: 'enterprise-admin' } });
    expect(document.body.dataset.theme).toBe('dark');
    expect(document.documentElement.lang).toBe('en');
    expect(sdk.t('总功率', 'Total power')).toBe('Total power');
  });

  it('follows language and theme changes', () => {
    const seen: string[] = [];
    const off = sdk.onChange((s) => seen.push(`${s.lang}/${s.theme}`));
    fromConsole({ kaiwu: 'change', lang: 'zh-CN', theme: 'light' });
    expect(seen).toEqual(['zh-CN/light']);
    expect(sdk.t('总功率', 'Total power')).toBe('总功率');
    expect(document.body.dataset.theme).toBe('light');
    off();
    fromConsole({ kaiwu: 'change', lang: 'en', theme: 'light' });
    expect(seen).toHaveLength(1);
    fromConsole({ kaiwu: 'change', lang: 'zh-CN', theme: 'light' });
  });

  it('calls functions through the console and settles each call by its id', async () => {
    posted.length = 0;
    const a = sdk.call('summary', { key: 'power' });
    const b = sdk.call('raise_flag');
    const [ca, cb] = posted.filter((m) => m.kaiwu === 'call');
    expect(ca).toMatchObject({ kaiwu: 'call', fn: 'summary', input: { key: 'power' } });
    expect(cb).toMatchObject({ kaiwu: 'call', fn: 'raise_flag', input: {} });
    expect(ca.id).not.toBe(cb.id);
    fromConsole({ kaiwu: 'result', id: cb.id, ok: false, error: { code: 'app_error', message: 'permission alarms:write not granted' } });
    fromConsole({ kaiwu: 'result', id: ca.id, ok: true, output: { total: 42.5 } });
    await expect(a).resolves.toEqual({ total: 42.5 });
    await expect(b).rejects.toEqual({ code: 'app_error', message: 'permission alarms:write not granted' });
    // Messages from anything but the parent are ignored.
    const c = sdk.call('summary');
    const id = posted[posted.length - 1].id;
    window.dispatchEvent(new MessageEvent('message', { data: { kaiwu: 'result', id, ok: true, output: 'forged' }, source: null }));
    fromConsole({ kaiwu: 'result', id, ok: true, output: 'real' });
    await expect(c).resolves.toBe('real');
    sdk.download('f1');
    expect(posted[posted.length - 1]).toEqual({ kaiwu: 'download', fileId: 'f1' });
  });

  it('draws line and bar charts as SVG and formats in the current language', () => {
    const el = document.createElement('div');
    document.body.appendChild(el);
    const svg = sdk.chart.line(el, { unit: 'kW', series: [{ name: 'a', points: [[1_700_000_000_000, 1], [1_700_000_060_000, 3]] }, { name: 'b', points: [[1_700_000_000_000, 2]] }],
      limits: [{ value: 2.5, label: 'max' }] });
    expect(svg.querySelectorAll('path')).toHaveLength(1);
    expect(svg.querySelectorAll('circle')).toHaveLength(1); // a one-point series is a dot
    expect(svg.querySelector('line[stroke-dasharray]')).not.toBeNull();
    expect(el.querySelector('.kw-legend')?.textContent).toBe('ab');
    const bar = sdk.chart.bar(el, { categories: ['W1', 'W2', 'W3'], series: [{ name: 'kWh', values: [3, -1, 5] }] });
    expect(bar.querySelectorAll('rect')).toHaveLength(3);
    expect(el.querySelectorAll('svg')).toHaveLength(1); // redrawing replaces the old chart
    expect(sdk.chart.line(el, { series: [] }).textContent).toBe('暂无数据');
    expect(sdk.fmt.number(1234.567, 1)).toBe('1,234.6');
    expect(sdk.fmt.number(null)).toBe('—');
    expect(sdk.fmt.number(Number.NaN)).toBe('—');
  });

  it('keeps every bar under the top tick, the unit clear of the tick labels and one label for one time', () => {
    const el = document.createElement('div');
    document.body.appendChild(el);
    // 9.6 once made ticks 0, 2.5, 5, 7.5 (the top one below the bar).
    const bar = sdk.chart.bar(el, { unit: 'kWh', categories: ['W1', 'W2'], series: [{ values: [9.6, 1] }] });
    const rects = Array.from(bar.querySelectorAll('rect')).map((r) => Number(r.getAttribute('y')));
    const grid = Array.from(bar.querySelectorAll('line.kw-gridline')).map((l) => Number(l.getAttribute('y1')));
    expect(Math.min(...rects)).toBeGreaterThanOrEqual(Math.min(...grid));
    const texts = Array.from(bar.querySelectorAll('text'));
    const unit = texts.find((t) => t.textContent === 'kWh')!;
    const top = texts.filter((t) => t.getAttribute('text-anchor') === 'end').map((t) => Number(t.getAttribute('y')));
    expect(Math.min(...top) - Number(unit.getAttribute('y'))).toBeGreaterThanOrEqual(12); // a line apart
    const one = sdk.chart.line(el, { series: [{ points: [[1_700_000_000_000, 4]] }] });
    const xLabels = Array.from(one.querySelectorAll('text')).filter((t) => Number(t.getAttribute('y')) > 200);
    expect(xLabels).toHaveLength(1);
  });
});
