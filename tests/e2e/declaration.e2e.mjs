// The declaration export in Debian's chromium (playwright-core) against a real `kaiwu serve`:
// a tenant with an enterprise and devices is seeded over REST, the platform admin opens
// 申报书导出 / Declaration, generates the set, downloads the DOCX through the page (its bytes are
// checked: a ZIP holding word/document.xml with the seeded device count), and the page is shown
// in zh-CN and English. A tenant admin has no menu entry and is sent home from the URL.
// Screenshots decl-*.png go to $KAIWU_SCREENSHOTS.
//   KAIWU_BIN=build/kaiwu node tests/e2e/declaration.e2e.mjs
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { BIN, SHOTS, WEB_ROOT, api, chromium, login, startKaiwu, token } from './lib.mjs';

const PASSWORD = 'e2e-admin-secret-1';

let step = 0;
async function shot(page, name) {
  await page.waitForTimeout(600);
  const file = join(SHOTS, `decl-${String(++step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}

async function seed(base, admin) {
  const t = await api(base, 'POST', '/api/v1/tenants', { name: '苏州示范园' }, admin, 201);
  await api(base, 'POST', '/api/v1/users', { username: 'sz-adm', password: 'password-1', role: 'tenant-admin', tenantId: t.id }, admin, 201);
  const tok = await token(base, 'sz-adm', 'password-1');
  const e = await api(base, 'POST', '/api/v1/enterprises', { name: '华东精密机械有限公司', industry: '机械', sme: true }, tok, 201);
  const devices = [['CNC-01', 'processing', 'modbus-tcp'], ['CNC-02', 'processing', 'modbus-tcp'], ['AGV-01', 'mobile', 'opcua'],
    ['PUMP-01', 'running', 'mqtt']];
  for (const [name, category, protocol] of devices)
    await api(base, 'POST', '/api/v1/devices', { name, enterpriseId: e.id, category, protocol }, tok, 201);
  return devices.length;
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  assert.ok(existsSync(join(WEB_ROOT, 'index.html')), `console not built: ${WEB_ROOT}`);
  const server = await startKaiwu({ bin: BIN, webRoot: WEB_ROOT, password: PASSWORD, prefix: 'kaiwu-e2e-decl-' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const base = server.url;
    const admin = await token(base, 'admin', PASSWORD);
    const devices = await seed(base, admin);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);

    console.log('platform admin: 申报书导出');
    await login(page, base, 'admin', PASSWORD);
    await page.getByRole('menuitem', { name: '申报书导出' }).click();
    await page.waitForURL(/\/declaration$/);
    await page.getByTestId('declaration-page').waitFor();
    await shot(page, 'page-zh');
    await page.getByTestId('declaration-generate').click();
    const result = page.getByTestId('declaration-result');
    await result.waitFor({ timeout: 60_000 });
    for (const name of ['申报书-二-平台基本情况与能力指标.docx', '附件1-设备清单.xlsx', '附件4-服务企业清单.xlsx', '附件7-运行日志摘录.xlsx'])
      assert.ok((await result.textContent()).includes(name), name);
    await shot(page, 'generated-zh');

    console.log('download the DOCX through the page');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('declaration-download-申报书-二-平台基本情况与能力指标.docx').click(),
    ]);
    assert.equal(download.suggestedFilename(), '申报书-二-平台基本情况与能力指标.docx');
    const bytes = readFileSync(await download.path());
    assert.equal(bytes.subarray(0, 2).toString(), 'PK');
    assert.ok(bytes.includes(Buffer.from('word/document.xml')), 'a WordprocessingML package');

    console.log('English');
    await page.evaluate(() => localStorage.setItem('kaiwu.lang', 'en'));
    await page.reload();
    await page.getByText('Declaration export', { exact: true }).first().waitFor();
    await page.getByTestId('declaration-generate').click();
    await result.waitFor({ timeout: 60_000 });
    assert.ok((await result.textContent()).includes('Data as of'));
    await shot(page, 'generated-en');
    await page.evaluate(() => localStorage.setItem('kaiwu.lang', 'zh-CN'));

    console.log('tenant admin: no entry, the URL leads home');
    await login(page, base, 'sz-adm', 'password-1');
    assert.equal(await page.getByRole('menuitem', { name: '申报书导出' }).count(), 0);
    await page.goto(base + '/declaration');
    await page.waitForURL((u) => u.pathname === '/');
    const st = await fetch(base + '/api/v1/platform/declaration', { method: 'POST', headers: { 'Content-Type': 'application/json',
      Authorization: `Bearer ${await token(base, 'sz-adm', 'password-1')}` }, body: JSON.stringify({ year: new Date().getUTCFullYear() }) });
    assert.equal(st.status, 403);
    console.log(`declaration e2e passed (${devices} devices seeded)`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
