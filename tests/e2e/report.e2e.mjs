// The platform indicators and the solution catalogue in Debian's chromium (playwright-core)
// against `kaiwu demo` (the virtual factory sends telemetry; the demo seeds three solutions from
// the built-in APPs and models): the platform admin's 平台指标 page in zh and en, the as-of day
// switch, the 解决方案 catalogue with an editor error pointing at a field and a saved solution,
// and the demo tenant admin's indicators scoped to the tenant. Screenshots go to $KAIWU_SCREENSHOTS.
//   KAIWU_BIN=build/kaiwu node tests/e2e/report.e2e.mjs
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { BIN, SHOTS, WEB_ROOT, api, chromium, login, startKaiwu, token } from './lib.mjs';

const PASSWORD = 'e2e-admin-secret-1';
const DEMO_PASSWORD = 'kaiwu-demo-2024';

let step = 0;
async function shot(page, name) {
  await page.waitForTimeout(600);
  const file = join(SHOTS, `report-${String(++step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}

async function setLanguage(page, label) {
  await page.getByTestId('lang-switch').click();
  await page.getByRole('menuitem', { name: label }).click();
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  assert.ok(existsSync(join(WEB_ROOT, 'index.html')), `console not built: ${WEB_ROOT}`);
  const demo = await startKaiwu({ bin: BIN, webRoot: WEB_ROOT, password: PASSWORD, prefix: 'kaiwu-e2e-report-', command: 'demo' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  let page;
  try {
    const base = demo.url;
    const admin = await token(base, 'admin', PASSWORD);
    console.log('wait for the simulated devices to be daily-active');
    let doc;
    for (let i = 0; i < 120; i++) {
      doc = await api(base, 'GET', '/api/v1/platform/indicators', undefined, admin);
      const fig = doc.indicators.flatMap((x) => x.figures).find((f) => f.id === 'devices.dailyActive');
      if (fig.value > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const figures = Object.fromEntries(doc.indicators.flatMap((x) => x.figures).map((f) => [f.id, f]));
    assert.ok(figures['devices.dailyActive'].value > 0, 'demo devices are daily-active');
    assert.equal(figures['solutions.total'].value, 3, 'the demo seeds three solutions');
    assert.equal(figures['apps.total'].value, 5);

    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
    await login(page, base, 'admin', PASSWORD);

    console.log('platform indicators (zh, en)');
    await page.goto(base + '/indicators');
    await page.getByTestId('figure-devices.total').getByText('台/套').waitFor();
    const total = await page.getByTestId('figure-devices.total').innerText();
    assert.match(total, new RegExp(`^${figures['devices.total'].value} 台/套`));
    await page.getByTestId('indicator-3.1').getByText('电子').first().waitFor();
    await page.getByTestId('figure-tech.patents').getByText('运营方填写').waitFor();
    await shot(page, 'indicators-zh');
    await setLanguage(page, 'English');
    await page.getByRole('heading', { name: 'Platform indicators' }).waitFor();
    await page.getByTestId('figure-tech.patents').getByText('Filled in by the operator').waitFor();
    await shot(page, 'indicators-en');

    console.log('an earlier as-of day has no daily-active devices');
    const input = page.getByTestId('indicators-asof');
    await input.click();
    await input.fill('2020-01-02');
    await input.press('Enter');
    await page.getByTestId('figure-devices.dailyActive').getByText(/^0 /).waitFor();
    await setLanguage(page, '简体中文');

    console.log('solutions: list, a pointed error, save');
    await page.goto(base + '/solutions');
    await page.getByTestId('solution-machining-oee-pdm').waitFor();
    await shot(page, 'solutions-zh');
    await page.getByTestId('solution-create').click();
    const form = page.getByTestId('solution-form');
    await form.getByLabel('方案编号').fill('bad id!');
    await form.getByLabel('中文名称').fill('轨道交通装备运维');
    await form.getByLabel('英文名称').fill('Rail equipment maintenance');
    await form.getByLabel('覆盖行业').click();
    await page.locator('.ant-select-item-option[title="轨道交通"]').click();
    await form.getByLabel('覆盖领域').click();
    await page.locator('.ant-select-item-option').filter({ hasText: '运维服务' }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: /保\s*存/ }).click();
    await page.getByTestId('error-message').getByText(/^id: /).waitFor();
    await page.getByTestId('error-message').scrollIntoViewIfNeeded();
    await shot(page, 'solution-error');
    await form.getByLabel('方案编号').fill('rail-maintenance');
    await page.getByRole('button', { name: /保\s*存/ }).click();
    await page.getByTestId('solution-rail-maintenance').waitFor();
    const saved = await api(base, 'GET', '/api/v1/solutions/rail-maintenance', undefined, admin);
    assert.deepEqual(saved.industries, ['轨道交通']);
    assert.deepEqual(saved.domains, ['maintenance']);
    await setLanguage(page, 'English');
    await page.getByTestId('solution-rail-maintenance').getByText('Rail equipment maintenance').waitFor();
    await shot(page, 'solutions-en');
    await setLanguage(page, '简体中文');

    console.log("the demo tenant admin sees the tenant's figures");
    await login(page, base, 'demo-admin', DEMO_PASSWORD);
    await page.goto(base + '/indicators');
    await page.getByTestId('indicators-scope').getByText('本租户').waitFor();
    const tenantTok = await token(base, 'demo-admin', DEMO_PASSWORD);
    const mine = await api(base, 'GET', '/api/v1/platform/indicators', undefined, tenantTok);
    assert.notEqual(mine.tenantId, '');
    await shot(page, 'indicators-tenant-zh');
    console.log('report e2e: ok');
  } catch (e) {
    if (page) await shot(page, 'failure').catch(() => {});
    throw e;
  } finally {
    await browser.close();
    await demo.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
