// The APP and model platform in Debian's chromium (playwright-core) against a real `kaiwu serve`:
// a developer registers a publisher key, uploads a package with an error (sees it pointed at and
// highlighted), then a valid signed one; the platform admin approves it; an enterprise admin
// subscribes (permissions shown first), rates it, opens the APP page (sandboxed iframe ready, a
// function called through the bridge, the value shown; language and theme follow the console),
// sees the run in the run log; the model catalogue invokes a model on inline inputs. When the
// marketplace lists built-in APPs (publisher kaiwu), `kaiwu demo` is started and every built-in
// APP page is opened as the demo's tenant admin (frame ready; zh, en, en dark).
// Screenshots go to $KAIWU_SCREENSHOTS (apps-*.png).
//   KAIWU_BIN=build/kaiwu node tests/e2e/apps.e2e.mjs
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { BIN, REPO, SHOTS, WEB_ROOT, chromium, api, login, startKaiwu, token } from './lib.mjs';

const PASSWORD = 'e2e-admin-secret-1';
const USER_PASSWORD = 'e2e-user-secret-1';
const DEMO_PASSWORD = 'kaiwu-demo-2024';
const EXAMPLE = join(REPO, 'examples/apps/hello-energy');
const APP = 'hello-energy';

let step = 0;
let failurePage = null;
// Chromium's fullPage capture paints an iframe only as far as the original viewport reached, so
// the viewport is grown to the whole page first and restored afterwards.
async function shot(page, name) {
  await page.waitForTimeout(500);
  const file = join(SHOTS, `apps-${String(++step).padStart(2, '0')}-${name}.png`);
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => Math.ceil(document.documentElement.scrollHeight));
  if (viewport && height > viewport.height) {
    await page.setViewportSize({ width: viewport.width, height: Math.min(height, 8000) });
    await page.waitForTimeout(300);
  }
  await page.screenshot({ path: file, fullPage: true });
  if (viewport) await page.setViewportSize(viewport);
  console.log(`  screenshot ${file}`);
}

// The frame is as tall as the APP's page (the SDK reports its height; nothing is cut off).
async function frameFits(page) {
  const frame = page.frameLocator('[data-testid="app-frame"]');
  for (let i = 0; i < 40; i++) {
    const outer = await page.locator('[data-testid="app-frame"]').evaluate((el) => el.getBoundingClientRect().height);
    const inner = await frame.locator('html').evaluate((el) => el.scrollHeight);
    if (Math.abs(outer - inner) <= 4 || (inner < 200 && outer === 200)) return;
    await page.waitForTimeout(100);
  }
  const outer = await page.locator('[data-testid="app-frame"]').evaluate((el) => el.getBoundingClientRect().height);
  const inner = await frame.locator('html').evaluate((el) => el.scrollHeight);
  assert.fail(`APP frame is ${outer}px tall, its page ${inner}px`);
}

async function setLanguage(page, label) {
  await page.getByTestId('lang-switch').click();
  await page.getByRole('menuitem', { name: label }).click();
}

async function setTheme(page, dark) {
  await page.getByTestId('theme-switch').locator('.ant-segmented-item').nth(dark ? 1 : 0).click();
}

// Key pair, the signed example package, and a broken copy (bad MIIT domain) of it.
function makePackages(dir) {
  const priv = join(dir, 'dev.pem');
  const pub = join(dir, 'dev.pub.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', priv]);
  execFileSync('openssl', ['pkey', '-in', priv, '-pubout', '-out', pub]);
  const good = join(dir, 'hello-energy.kapp.json');
  execFileSync(BIN, ['app', 'pack', EXAMPLE, '-k', priv, '-o', good]);
  const src = join(dir, 'broken');
  cpSync(EXAMPLE, src, { recursive: true });
  const manifest = readFileSync(join(src, 'manifest.json'), 'utf8').replace('"domain": "energy_carbon"', '"domain": "space_travel"');
  assert.ok(manifest.includes('space_travel'));
  const pkg = JSON.parse(readFileSync(good, 'utf8'));
  pkg.files['manifest.json'] = manifest;
  const bad = join(dir, 'broken.kapp.json');
  writeFileSync(bad, JSON.stringify(pkg));
  return { pub: readFileSync(pub, 'utf8'), good, bad };
}

async function frameReady(page) {
  const frame = page.frameLocator('[data-testid="app-frame"]');
  await frame.locator('body[data-ready="1"]').waitFor({ timeout: 30_000 });
  return frame;
}

// Every built-in APP page under `kaiwu demo` (which subscribes every demo enterprise to every
// built-in APP), as the demo's tenant admin: frame ready, then zh light, en light, en dark.
async function builtinPages(browser) {
  const demo = await startKaiwu({ bin: BIN, webRoot: WEB_ROOT, password: PASSWORD, prefix: 'kaiwu-e2e-demo-', command: 'demo' });
  try {
    const base = demo.url;
    const tok = await token(base, 'demo-admin', DEMO_PASSWORD);
    const apps = (await api(base, 'GET', '/api/v1/apps', undefined, tok)).items.filter((a) => a.publisher === 'kaiwu' && a.manifest?.ui);
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
    failurePage = page;
    await login(page, base, 'demo-admin', DEMO_PASSWORD);
    for (const a of apps) {
      console.log(`  built-in ${a.id}`);
      const subs = (await api(base, 'GET', `/api/v1/apps/${a.id}/subscriptions`, undefined, tok)).items;
      assert.ok(subs.length > 0, `the demo subscribes its enterprises to ${a.id}`);
      await page.goto(base + `/apps/${a.id}`);
      await frameReady(page);
      await frameFits(page);
      await shot(page, `builtin-${a.id}-zh`);
      await setLanguage(page, 'English');
      await page.waitForTimeout(500);
      await shot(page, `builtin-${a.id}-en`);
      await setTheme(page, true);
      await page.waitForTimeout(500);
      await shot(page, `builtin-${a.id}-en-dark`);
      await setTheme(page, false);
      await setLanguage(page, '简体中文');
    }
  } finally {
    await demo.stop();
  }
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  assert.ok(existsSync(join(WEB_ROOT, 'index.html')), `console not built: ${WEB_ROOT}`);
  const keys = mkdtempSync(join(tmpdir(), 'kaiwu-e2e-appkeys-'));
  const server = await startKaiwu({ bin: BIN, webRoot: WEB_ROOT, password: PASSWORD, prefix: 'kaiwu-e2e-apps-' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const base = server.url;
    const pkgs = makePackages(keys);

    console.log('set up a tenant, an enterprise with two meters and the users (REST)');
    const admin = await token(base, 'admin', PASSWORD);
    const tenant = await api(base, 'POST', '/api/v1/tenants', { name: '华东制造' }, admin);
    const mkUser = (username, role, extra = {}) => api(base, 'POST', '/api/v1/users',
      { username, password: USER_PASSWORD, role, tenantId: tenant.id, displayName: username, ...extra }, admin);
    await mkUser('dev', 'developer');
    await mkUser('tadm', 'tenant-admin');
    const tadm = await token(base, 'tadm', USER_PASSWORD);
    const ent = await api(base, 'POST', '/api/v1/enterprises', { name: '精工机床', industry: '机械' }, tadm);
    await api(base, 'POST', '/api/v1/users', { username: 'eadm', password: USER_PASSWORD, role: 'enterprise-admin', enterpriseId: ent.id,
      displayName: '王经理' }, tadm);
    for (const [name, power] of [['meter-1', 12.5], ['meter-2', 30]]) {
      const d = await api(base, 'POST', '/api/v1/devices', { name, enterpriseId: ent.id, category: 'running', protocol: 'http' }, tadm);
      await api(base, 'POST', `/api/v1/devices/${d.id}/telemetry`, { power }, tadm);
    }

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('console', (m) => { if (m.type() === 'error') console.log(`  [browser] ${m.text()}`); });
    page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
    failurePage = page;

    console.log('developer: publisher key, a broken package (pointed error), the valid one');
    await login(page, base, 'dev', USER_PASSWORD);
    await page.goto(base + '/market/upload');
    await page.getByText('发布者公钥（首次上传前登记）').click();
    await page.getByTestId('key-publisher').fill('kaiwu-examples');
    await page.getByTestId('key-pem').fill(pkgs.pub);
    await page.getByTestId('key-submit').click();
    await page.getByTestId('key-registered').waitFor();
    await page.getByTestId('package-file').setInputFiles(pkgs.bad);
    await page.getByTestId('validation-errors').waitFor();
    const location = await page.getByTestId('error-location').first().textContent();
    assert.equal(location, 'manifest.json /domain', `error location: ${location}`);
    assert.match(await page.getByTestId('validation-error').first().textContent(), /must be one of/);
    const hit = await page.getByTestId('problem-line').textContent();
    assert.match(hit, /"domain": "space_travel"/, `highlighted line: ${hit}`);
    await shot(page, 'upload-error');
    await page.getByTestId('package-file').setInputFiles(pkgs.good);
    await page.getByTestId('validation-ok').waitFor();
    await page.getByTestId('upload-submit').click();
    await page.getByTestId('upload-done').waitFor();
    assert.match(await page.getByTestId('upload-done').textContent(), /hello-energy 1\.0\.0/);
    await shot(page, 'upload-valid');

    console.log('platform admin: review queue, approve');
    await login(page, base, 'admin', PASSWORD);
    await page.goto(base + '/market/reviews');
    await page.getByTestId(`review-${APP}-1.0.0`).waitFor();
    assert.match(await page.getByTestId(`review-${APP}-1.0.0`).textContent(), /telemetry:read/);
    assert.ok((await page.getByTestId('review-fingerprint').textContent()).length >= 16);
    await shot(page, 'review');
    await page.getByTestId(`approve-${APP}`).click();
    await page.getByText('没有待审核的版本').waitFor();

    console.log('enterprise admin: marketplace, permissions before subscribing, subscribe, rate');
    await login(page, base, 'eadm', USER_PASSWORD);
    await page.goto(base + '/market');
    await page.getByTestId(`app-card-${APP}`).waitFor();
    await shot(page, 'marketplace');
    await page.getByTestId(`app-card-${APP}`).click();
    await page.getByTestId('app-detail').waitFor();
    await page.getByTestId('subscribe-open').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('app-permissions').waitFor();
    assert.match(await dialog.textContent(), /读取本企业设备的遥测数据/);
    await shot(page, 'subscribe-permissions');
    await dialog.getByTestId('subscribe-confirm').click();
    await page.getByTestId(`unsubscribe-${ent.id}`).waitFor();
    await page.getByTestId('rate-stars').locator('.ant-rate-star').nth(3).click();
    await page.getByTestId('rate-comment').fill('能耗一目了然');
    await page.getByTestId('rate-submit').click();
    await page.getByTestId('ratings').getByText('能耗一目了然').waitFor();
    await page.getByTestId('app-rating').getByText('4').first().waitFor();
    assert.match(await page.getByTestId('app-subscribers').textContent(), /1/);
    await shot(page, 'app-detail');

    console.log('APP page: sandboxed iframe, kaiwu.call through the bridge, value shown');
    await page.getByTestId('open-app').click();
    await page.waitForURL(/\/apps\/hello-energy$/);
    assert.equal(await page.getByTestId('app-frame').getAttribute('sandbox'), 'allow-scripts allow-downloads');
    const frame = await frameReady(page);
    assert.equal(await frame.getByTestId('kpi-total').textContent(), '42.5');
    assert.equal(await frame.getByTestId('kpi-devices').textContent(), '2');
    assert.equal(await frame.locator('#title').textContent(), '能耗小助手');
    // The frame is an opaque origin: it cannot read the console's storage (the session token).
    const leaked = await page.frames().find((f) => f !== page.mainFrame()).evaluate(() => {
      try { return String(window.parent.localStorage.getItem('kaiwu.session')); } catch { return 'blocked'; }
    });
    assert.equal(leaked, 'blocked');
    await shot(page, 'host-zh-light');
    await setLanguage(page, 'English');
    await frame.locator('#title', { hasText: 'Hello Energy' }).waitFor();
    await setTheme(page, true);
    await frame.locator('body[data-theme="dark"]').waitFor();
    await shot(page, 'host-en-dark');
    await setTheme(page, false);
    await setLanguage(page, '简体中文');

    console.log('run log: the bridge call is a run with trigger http');
    await page.goto(base + `/market/${APP}/runs`);
    await page.getByTestId('runs-fn').fill('summary');
    const row = page.getByTestId('runs-table').locator('tbody tr.ant-table-row').first();
    await row.waitFor();
    assert.match(await row.textContent(), /summary.*HTTP 调用.*成功/);
    await row.locator('.ant-table-row-expand-icon').click();
    assert.match(await page.getByTestId('run-log').first().textContent(), /summed\s+2\s+devices/);
    await shot(page, 'runs');

    console.log('model catalogue: descriptive statistics on inline values');
    await page.goto(base + '/models');
    await page.getByTestId('model-kaiwu.stats.descriptive').click();
    await page.getByTestId('input-x').fill('2, 4, 4, 4, 5, 5, 7, 9');
    await page.getByTestId('invoke-submit').click();
    await page.getByTestId('model-outputs').waitFor();
    assert.equal((await page.getByTestId('output-mean').textContent()).trim(), '5');
    assert.equal((await page.getByTestId('output-stdevPopulation').textContent()).trim(), '2');
    assert.equal((await page.getByTestId('output-count').textContent()).trim(), '8');
    await shot(page, 'model-invoke');
    await setTheme(page, true);
    await shot(page, 'model-invoke-dark');
    await setTheme(page, false);
    await page.goto(base + '/models');
    await page.getByTestId('model-catalogue').locator('tbody tr.ant-table-row').first().waitFor();
    await shot(page, 'models');

    console.log('built-in APPs (publisher kaiwu) the marketplace lists');
    const builtins = (await api(base, 'GET', '/api/v1/apps', undefined, tadm)).items.filter((a) => a.publisher === 'kaiwu');
    console.log(`  ${builtins.length} built-in APP(s): ${builtins.map((a) => a.id).join(', ') || '(none installed)'}`);
    await page.goto(base + '/apps');
    await page.getByTestId(`my-app-${APP}`).waitFor();
    await shot(page, 'my-apps');
    if (builtins.length) await builtinPages(browser);
    console.log('apps e2e: all steps passed');
  } catch (e) {
    console.error(e);
    await failurePage?.screenshot({ path: join(SHOTS, 'apps-failure.png'), fullPage: true }).catch(() => undefined);
    console.error('server log (tail):\n' + readFileSync(server.log, 'utf8').split('\n').slice(-40).join('\n'));
    process.exitCode = 1;
  } finally {
    await browser.close();
    await server.stop();
    rmSync(keys, { recursive: true, force: true });
  }
}

await main();
