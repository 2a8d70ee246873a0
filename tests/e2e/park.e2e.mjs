// The park dashboard (园区看板) and enterprise profile (企业画像) in Debian's chromium
// (playwright-core) against a real `kaiwu demo` (eight enterprises, 35 days of history backfilled
// at first start): the park admin's dashboard and a profile in zh-CN and English, figures on the
// page equal to the API's, and an enterprise viewer kept out. Screenshots park-*.png in
// $KAIWU_SCREENSHOTS.
//   KAIWU_BIN=build/kaiwu node tests/e2e/park.e2e.mjs
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { BIN, SHOTS, WEB_ROOT, api, chromium, login, startKaiwu, token } from './lib.mjs';

const PASSWORD = 'e2e-admin-secret-1';
const DEMO_PASSWORD = 'kaiwu-demo-2024';

let step = 0;
async function shot(page, name) {
  await page.waitForTimeout(800);  // charts finish their animation
  const file = join(SHOTS, `park-${String(++step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}

const pct = (x) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  assert.ok(existsSync(join(WEB_ROOT, 'index.html')), `console not built: ${WEB_ROOT}`);
  const server = await startKaiwu({ bin: BIN, webRoot: WEB_ROOT, password: PASSWORD, prefix: 'kaiwu-e2e-park-', command: 'demo' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const base = server.url;
    const parkTok = await token(base, 'demo-park', DEMO_PASSWORD);
    const parks = await api(base, 'GET', '/api/v1/parks', undefined, parkTok);
    const parkId = parks.items[0].id;
    const want = await api(base, 'GET', `/api/v1/parks/${parkId}/dashboard?days=30`, undefined, parkTok);
    assert.equal(want.enterprises.length, 8);
    assert.equal(want.trend.length, 30);
    assert.ok(want.trend.slice(0, -1).every((d) => d.electricityKwh > 1000), 'every full day of the backfilled month has energy');

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);

    console.log('park admin: dashboard (zh-CN)');
    await login(page, base, 'demo-park', DEMO_PASSWORD);
    await page.getByRole('menuitem', { name: '园区看板' }).click();
    await page.waitForURL(/\/park-dashboard/);
    await page.getByTestId('park-kpi-enterprises').filter({ hasText: '8' }).waitFor();
    await page.getByText(`${want.park.name} · 园区运行看板`).waitFor();
    assert.equal(await page.getByTestId('park-enterprises').locator('tbody tr.ant-table-row').count(), 8);
    assert.match(await page.getByTestId('park-kpi-operatingRate').innerText(), new RegExp(pct(want.totals.operatingRate).replace('.', '\\.')));
    assert.equal(await page.getByTestId('park-energy-chart').locator('canvas').count(), 1);
    await shot(page, 'dashboard-zh');

    console.log('enterprise profile (zh-CN)');
    const top = want.rankings.electricityKwh[0];
    const profile = await api(base, 'GET', `/api/v1/enterprises/${top.enterpriseId}/profile?days=30`, undefined, parkTok);
    await page.getByTestId('park-enterprises').getByRole('link', { name: top.name }).click();
    await page.waitForURL(new RegExp(`/enterprises/${top.enterpriseId}/profile`));
    await page.getByText(`${top.name} · 企业画像`).waitFor();
    for (const tag of profile.tags) await page.getByTestId(`profile-tag-${tag.code}`).filter({ hasText: tag.zh }).waitFor();
    assert.ok(profile.tags.some((t) => t.code === 'energy_intensive'), `the biggest consumer is energy-intensive: ${JSON.stringify(profile.tags)}`);
    assert.equal(await page.getByTestId('profile-apps').locator('tbody tr.ant-table-row').count(), profile.apps.length);
    await shot(page, 'profile-zh');

    console.log('English');
    await page.evaluate(() => localStorage.setItem('kaiwu.lang', 'en'));
    await page.reload();
    await page.getByText(`${top.name} · Enterprise profile`).waitFor();
    await page.getByTestId('profile-tag-energy_intensive').filter({ hasText: 'Energy-intensive' }).waitFor();
    await shot(page, 'profile-en');
    await page.getByRole('link', { name: 'Back to the park dashboard' }).click();
    await page.getByText(`${want.park.name} · Park operations dashboard`).waitFor();
    await page.getByTestId('park-method').filter({ hasText: '0.5366' }).waitFor();
    await shot(page, 'dashboard-en');
    await page.evaluate(() => localStorage.setItem('kaiwu.lang', 'zh-CN'));

    console.log('an enterprise viewer has no park dashboard');
    await login(page, base, 'demo-viewer', DEMO_PASSWORD);
    assert.equal(await page.getByRole('menuitem', { name: '园区看板' }).count(), 0);
    await page.goto(`${base}/park-dashboard/${parkId}`);
    await page.waitForURL((u) => !u.pathname.startsWith('/park-dashboard'));
    const viewerTok = await token(base, 'demo-viewer', DEMO_PASSWORD);
    await api(base, 'GET', `/api/v1/parks/${parkId}/dashboard`, undefined, viewerTok, 403);
    console.log('park e2e: ok');
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
