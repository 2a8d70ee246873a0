// The developer portal journey in Debian's chromium (playwright-core) against a real
// `kaiwu serve` without SMTP (the verification mail lands in <data>/outbox.log): register in the
// console, open the e-mailed link, sign in, developer home with live sandbox values, API key,
// docs; then the platform admin's metering page. Screenshots go to $KAIWU_SCREENSHOTS.
//   KAIWU_BIN=build/kaiwu node tests/e2e/devportal.e2e.mjs
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { BIN, SHOTS, WEB_ROOT, chromium, login, startKaiwu as startServer } from './lib.mjs';

const PASSWORD = 'e2e-admin-secret-1';
const DEV_PASSWORD = 'developer-secret-1';

const startKaiwu = () => startServer({ bin: BIN, webRoot: WEB_ROOT, password: PASSWORD, prefix: 'kaiwu-e2e-dev-',
  sets: (url) => [`portal.public_url=${url}`, 'portal.sandbox_interval_ms=1000'] });

let step = 0;
async function shot(page, name) {
  await page.waitForTimeout(600);
  const file = join(SHOTS, `dev-${String(++step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  assert.ok(existsSync(join(WEB_ROOT, 'index.html')), `console not built: ${WEB_ROOT}`);
  const server = await startKaiwu();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const base = server.url;

    console.log('register');
    await page.goto(base + '/login');
    await page.getByTestId('login-register').click();
    await page.waitForURL(/\/register$/);
    await page.getByLabel('邮箱').fill('li.gong@example.com');
    await page.getByLabel('姓名').fill('李工');
    await page.getByLabel('单位 / 组织').fill('华东机床');
    await page.getByLabel('密码', { exact: true }).fill(DEV_PASSWORD);
    await page.getByLabel('确认密码').fill(DEV_PASSWORD);
    await shot(page, 'register');
    await page.getByTestId('register-submit').click();
    await page.getByTestId('register-done').waitFor();
    await shot(page, 'registered');

    console.log('verify from the outbox link');
    const outbox = join(server.data, 'outbox.log');
    for (let i = 0; i < 100 && !existsSync(outbox); i++) await page.waitForTimeout(100);
    const link = /(http:\/\/\S+\/verify\?token=[A-Za-z0-9_-]+)/.exec(readFileSync(outbox, 'utf8'))[1];
    await page.goto(link);
    await page.getByTestId('verify-ok').waitFor();
    await shot(page, 'verified');

    console.log('developer home');
    await login(page, base, 'li.gong@example.com', DEV_PASSWORD);
    await page.goto(base + '/developer');
    await page.getByTestId('sandbox-values-sandbox-cnc-01').locator('.ant-tag').first().waitFor();
    await page.getByTestId('devkey-create').click();
    await page.locator('.ant-modal-wrap:visible').getByLabel('密钥名称').fill('mes-connector');
    await page.getByTestId('devkey-submit').click();
    await page.getByTestId('devkey-value').waitFor();
    await page.getByRole('dialog', { name: /只显示这一次/ }).getByLabel('Close', { exact: true }).click();
    await page.getByTestId('devkey-value').waitFor({ state: 'hidden' });
    await page.waitForTimeout(2500); // live values move on
    await shot(page, 'developer-home');
    await page.goto(base + '/developer/docs');
    await page.getByTestId('docs-page').getByText('/api/v1/developers/register').waitFor();
    await shot(page, 'docs');

    console.log('platform admin metering');
    await page.evaluate(() => localStorage.removeItem('kaiwu.session'));
    await login(page, base, 'admin', PASSWORD);
    await page.goto(base + '/metering');
    await page.getByTestId('metering-page').waitFor();
    await page.getByText('开发者登录').first().waitFor();
    await page.waitForTimeout(1000);
    const logins = await page.getByTestId('metering-developerLogins').locator('.ant-statistic-content-value').innerText();
    const tools = await page.getByTestId('metering-toolCalls').locator('.ant-statistic-content-value').innerText();
    assert.equal(logins, '1');
    assert.equal(tools, '3'); // sandbox devices, API key, docs
    await shot(page, 'metering');
    console.log('devportal e2e: ok');
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
