// The economic-operation analysis pages (产业地图, 特色指数, 供应链监测) in Debian's chromium
// (playwright-core) against a real `kaiwu serve`: a park of six enterprises around Suzhou with two
// weeks of hourly machine telemetry written through the REST API, supply links between them, one
// supplier stopped today. Each page in zh-CN and en; screenshots analysis-*.png in $KAIWU_SCREENSHOTS.
//   KAIWU_BIN=build/kaiwu node tests/e2e/analysis.e2e.mjs
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { BIN, SHOTS, WEB_ROOT, api, chromium, login, startKaiwu, token } from './lib.mjs';

const PASSWORD = 'e2e-admin-secret-1';
const DAY = 86_400_000;
const HOUR = 3_600_000;

// name, industry, lon, lat, running hours a day, kWh an hour, runs today
const ENTERPRISES = [
  ['苏州精工机械有限公司', '机械', 120.552, 31.318, 16, 40, true],
  ['苏州新区热电有限公司', '热力和燃气', 120.571, 31.301, 24, 120, true],
  ['苏州芯源电子有限公司', '电子', 120.498, 31.336, 20, 60, true],
  ['苏州华纺纺织有限公司', '纺织', 120.533, 31.289, 12, 25, false], // stopped today
  ['苏州博远汽车零部件有限公司', '汽车', 120.605, 31.342, 18, 55, true],
  ['苏州瑞康医药有限公司', '医药', 120.587, 31.268, 10, 20, true],
];
// supplier index → customer index, material
const LINKS = [[1, 0, '蒸汽'], [1, 2, '蒸汽'], [3, 4, '座椅面料'], [0, 4, '机加工零部件'], [2, 4, '车规芯片'], [4, 5, '包装件']];

let step = 0;
async function shot(page, name) {
  await page.waitForTimeout(800); // chart entry animations
  // …and the side menu its fold/unfold transition (64 px folded, 220 px open).
  await page.waitForFunction(() => [undefined, 64, 220].includes(document.querySelector('.ant-layout-sider')?.getBoundingClientRect().width));
  const file = join(SHOTS, `analysis-${String(++step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}

async function seed(base) {
  const admin = await token(base, 'admin', PASSWORD);
  const tenant = await api(base, 'POST', '/api/v1/tenants', { name: '苏州高新区管委会' }, admin);
  await api(base, 'POST', '/api/v1/users', { username: 'park-econ', password: 'password-1', role: 'tenant-admin', tenantId: tenant.id }, admin);
  const tok = await token(base, 'park-econ', 'password-1');
  const park = await api(base, 'POST', '/api/v1/parks', { name: '苏州高新区智能制造产业园', level: 'national', region: '江苏省苏州市' }, tok);
  const now = Date.now();
  const today = now - (now % DAY);
  const ids = [];
  for (const [i, [name, industry, lon, lat, hours, kwh, runsToday]] of ENTERPRISES.entries()) {
    const e = await api(base, 'POST', '/api/v1/enterprises', { name, industry, parkId: park.id, longitude: lon, latitude: lat, sme: true }, tok);
    ids.push(e.id);
    const dev = await api(base, 'POST', '/api/v1/devices', { name: `machine-${i}`, enterpriseId: e.id, category: 'processing', protocol: 'http' }, tok);
    let energy = 10_000;
    let parts = 0;
    const batch = [{ ts: today - 15 * DAY + 23 * HOUR, values: { energy_kwh: energy, part_count: 0 } }];
    for (let d = 14; d >= 0; d--) {
      // A gentle rise over the fortnight, a dip on day 5 before today for the machine works.
      const h = d === 0 ? (runsToday ? 24 : 0) : Math.min(24, hours + (d < 7 ? 2 : 0) - (d === 5 && i === 0 ? 8 : 0));
      for (let hr = 0; hr < 24; hr++) {
        const ts = today - d * DAY + hr * HOUR;
        if (ts > now) break;
        const running = hr < h;
        energy += running ? kwh : kwh / 10;
        parts += running ? 3 : 0;
        batch.push({ ts, values: { energy_kwh: energy, state_code: running ? 1 : 0, part_count: parts } });
      }
    }
    await api(base, 'POST', `/api/v1/devices/${dev.id}/telemetry`, batch, tok);
  }
  for (const [s, c, material] of LINKS)
    await api(base, 'POST', '/api/v1/supply-links', { supplierEnterpriseId: ids[s], customerEnterpriseId: ids[c], material }, tok, 201);
  return { tok, park, ids };
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  assert.ok(existsSync(join(WEB_ROOT, 'index.html')), `console not built: ${WEB_ROOT}`);
  const server = await startKaiwu({ bin: BIN, webRoot: WEB_ROOT, password: PASSWORD, prefix: 'kaiwu-e2e-analysis-' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const errors = [];
  try {
    const base = server.url;
    console.log('seed six enterprises, two weeks of telemetry, supply links');
    const t0 = Date.now();
    await seed(base);
    console.log(`  seeded in ${Date.now() - t0} ms`);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => errors.push(e.message));
    await login(page, base, 'park-econ', 'password-1');

    for (const lang of ['zh-CN', 'en']) {
      const zh = lang === 'zh-CN';
      await page.evaluate((l) => localStorage.setItem('kaiwu.lang', l), lang);
      console.log(`industry map (${lang})`);
      await page.goto(base + '/analysis/map');
      const table = page.getByTestId('industry-map-table');
      await table.getByText('苏州博远汽车零部件有限公司').waitFor();
      assert.equal(await table.locator('tbody tr').count(), 6);
      await page.getByTestId('industry-map-chart').locator('canvas').first().waitFor();
      await page.getByText(zh ? '按行业统计' : 'By industry').waitFor();
      assert.match(await page.getByTestId('industry-map-method').innerText(), zh ? /开工率/ : /operating rate/);
      await page.getByTestId('nav').getByText(zh ? '产业地图' : 'Industry map').waitFor();
      await shot(page, `map-${lang}`);

      console.log(`indices (${lang})`);
      await page.goto(base + '/analysis/indices');
      await page.getByTestId('index-operatingRate').waitFor();
      await page.getByTestId('index-chart-electricity').locator('canvas').first().waitFor();
      assert.match(await page.getByTestId('index-method-operatingRate').innerText(), zh ? /基期开工率/ : /base period/);
      assert.match(await page.getByTestId('indices-base-info').innerText(), zh ? /最早有数据的 7 天/ : /first 7 days with data/);
      await page.getByTestId('index-electricity').getByText(zh ? '工业用电活跃指数' : 'Electricity-based industrial activity index', { exact: true }).waitFor();
      await shot(page, `indices-${lang}`);

      console.log(`supply chain (${lang})`);
      await page.goto(base + '/analysis/supply-chain');
      const nodes = page.getByTestId('supply-chain-nodes');
      await nodes.getByText('苏州华纺纺织有限公司', { exact: true }).waitFor();
      await nodes.getByText(zh ? '供应商停产：苏州华纺纺织有限公司' : 'Supplier stopped: 苏州华纺纺织有限公司').waitFor();
      assert.equal((await page.getByTestId('chain-atRisk').innerText()).trim().split(/\s+/).pop(), '1');
      assert.equal((await page.getByTestId('chain-stopped').innerText()).trim().split(/\s+/).pop(), '1');
      await page.getByTestId('supply-chain-chart').locator('canvas').first().waitFor();
      assert.equal(await page.getByTestId('supply-links-table').locator('tbody tr').count(), LINKS.length);
      await shot(page, `chain-${lang}`);
    }
    assert.deepEqual(errors, [], 'page errors');
    console.log('analysis e2e OK');
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
