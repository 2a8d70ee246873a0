// End-to-end test of the web console: Debian's chromium (driven by playwright-core) against a
// real `kaiwu serve` on free loopback ports with a temporary data directory, and a real MQTT
// device (mosquitto_pub). Saves a screenshot of every main page to $KAIWU_SCREENSHOTS.
//   KAIWU_BIN=build/kaiwu node tests/e2e/console.e2e.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const require = createRequire(join(repo, 'web/package.json'));
const { chromium } = require('playwright-core');

const BIN = resolve(process.env.KAIWU_BIN ?? join(repo, 'build/kaiwu'));
const WEB_ROOT = resolve(process.env.KAIWU_WEB_ROOT ?? join(repo, 'web/dist'));
const SHOTS = resolve(process.env.KAIWU_SCREENSHOTS ?? join(repo, 'build/e2e-screenshots'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'e2e-admin-secret-1';
const STEP_MS = 15_000;

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function startKaiwu() {
  const data = mkdtempSync(join(tmpdir(), 'kaiwu-e2e-'));
  const http = await freePort();
  const mqtt = await freePort();
  const log = join(data, 'server.log');
  const proc = spawn(BIN, ['serve', '--data', data, '--set', 'http.address=127.0.0.1', '--set', `http.port=${http}`,
    '--set', 'mqtt.address=127.0.0.1', '--set', `mqtt.port=${mqtt}`, '--set', `http.web_root=${WEB_ROOT}`,
    '--set', 'storage.durability=batch'], {
    env: { ...process.env, KAIWU_ADMIN_PASSWORD: PASSWORD }, stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
  });
  const url = `http://127.0.0.1:${http}`;
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (!process.env.KAIWU_KEEP_DATA) rmSync(data, { recursive: true, force: true, maxRetries: 3 });
  };
  process.on('exit', () => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`kaiwu exited: ${readFileSync(log, 'utf8')}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, mqtt, stop, log };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('kaiwu did not become healthy');
}

// A device that answers every server-side RPC with {"ok":true,"method":…,"echo":params}.
const RPC_RESPONDER = `
import json, sys, paho.mqtt.client as mqtt
port, token = int(sys.argv[1]), sys.argv[2]
def on_message(c, u, m):
    n = m.topic.rsplit("/", 1)[1]
    req = json.loads(m.payload)
    c.publish("v1/devices/me/rpc/response/" + n, json.dumps({"ok": True, "method": req["method"], "echo": req["params"]}), qos=1)
def on_subscribe(*a):
    print("ready", flush=True)
c = mqtt.Client(client_id="e2e-rpc-device", protocol=mqtt.MQTTv311)
c.username_pw_set(token)
c.on_message = on_message
c.on_subscribe = on_subscribe
c.on_connect = lambda c, u, f, rc: c.subscribe("v1/devices/me/rpc/request/+", 1)
c.connect("127.0.0.1", port, 30)
c.loop_forever()
`;

// The REST API as the admin (the test's checks go around the UI).
async function apiClient(base) {
  const login = await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: PASSWORD }) })).json();
  return async (method, path, body) => {
    const r = await fetch(base + path, { method, headers: { Authorization: `Bearer ${login.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

let step = 0;
async function shot(page, name) {
  await page.waitForTimeout(400); // let charts finish their entry animation
  // …and the side menu its fold/unfold transition (64 px folded, 220 px open).
  await page.waitForFunction(() => [undefined, 64, 220].includes(document.querySelector('.ant-layout-sider')?.getBoundingClientRect().width));
  const file = join(SHOTS, `${String(++step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}

// Presses the primary (OK) button of the open dialog.
async function okModal(page) {
  await page.locator('.ant-modal-wrap:visible .ant-modal-footer .ant-btn-primary').click();
}

// Presses OK in the open Popconfirm, until it has closed (a click during its opening animation
// can be lost under load).
async function confirmPopover(page) {
  const open = page.locator('.ant-popover:not(.ant-popover-hidden) .ant-popconfirm-buttons .ant-btn-primary');
  for (let i = 0; ; i++) {
    await open.last().click();
    try {
      await open.first().waitFor({ state: 'detached', timeout: 3000 });
      return;
    } catch (e) {
      if (i >= 2) throw e;
    }
  }
}

// Opens an Ant Design Select by its form label and picks the option with that text.
async function pick(page, label, option) {
  const input = page.getByLabel(label, { exact: true });
  await page.locator('.ant-form-item').filter({ has: input }).locator('.ant-select-selector').click();
  // Long lists are virtual: type to filter (selects without search have a read-only input).
  if (await input.getAttribute('readonly') === null) await page.keyboard.type(option);
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: option }).first().click();
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  for (const f of readdirSync(SHOTS)) if (f.endsWith('.png')) rmSync(join(SHOTS, f)); // no stale shots from older runs
  assert.ok(spawnSync('test', ['-f', join(WEB_ROOT, 'index.html')]).status === 0, `console not built: ${WEB_ROOT}/index.html (run make build)`);
  const server = await startKaiwu();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const failures = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      console.log(`  browser console: ${m.text()}`);
      if (m.text().includes('Content Security Policy')) failures.push(`CSP violation: ${m.text()}`);
    });
    const base = server.url;
    const api = await apiClient(base);

    // Static serving: assets with types and caching, SPA fallback, API 404 stays JSON.
    const index = await fetch(`${base}/devices/whatever`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type'), /text\/html/);
    assert.match(index.headers.get('content-security-policy'), /script-src 'self'/);
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)[1];
    const js = await fetch(base + asset);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /text\/javascript/);
    assert.match(js.headers.get('cache-control'), /immutable/);
    assert.equal(js.headers.get('content-encoding'), 'gzip'); // the build's precompressed .gz (fetch sent Accept-Encoding: gzip)
    assert.ok((await js.text()).length > 1000);
    const api404 = await fetch(`${base}/api/v1/nope`);
    assert.equal(api404.status, 404);
    assert.match(api404.headers.get('content-type'), /application\/json/);
    assert.equal((await fetch(`${base}/..%2f..%2fetc/passwd`)).status, 404);

    console.log('login (zh-CN)');
    await page.goto(base + '/');
    await page.waitForURL(/\/login$/);
    await page.getByText('开物工业互联网平台').waitFor();
    await shot(page, 'login-zh');
    await page.getByLabel('用户名').fill('admin');
    await page.getByLabel('密码').fill('wrong-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('error-message').filter({ hasText: 'wrong username or password' }).waitFor();
    assert.match(await page.getByTestId('error-code').innerText(), /unauthenticated/);
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByRole('heading', { name: '平台总览' }).waitFor();
    await page.getByText('按工信部分类统计设备').waitFor();
    await shot(page, 'overview-empty-zh');

    console.log('switch language zh → en');
    await page.getByTestId('lang-switch').hover();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByText('Devices by MIIT category').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');

    console.log('create a tenant, a park, an enterprise');
    await page.getByRole('menuitem', { name: 'Tenants' }).click();
    await page.getByTestId('create-button').click();
    await page.getByLabel('Name', { exact: true }).fill('苏州工业园');
    await okModal(page);
    await page.getByRole('cell', { name: '苏州工业园' }).waitFor();
    // Edit: the dialog opens with the row's values in place.
    await page.getByRole('row', { name: /苏州工业园/ }).getByTestId('edit-button').click();
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), '苏州工业园');
    await page.getByLabel('Description').fill('园区运营方 · 华东');
    await okModal(page);
    await page.getByRole('cell', { name: '园区运营方 · 华东' }).waitFor();
    await shot(page, 'tenants-en');

    await page.getByRole('menuitem', { name: 'Parks' }).click();
    await page.getByTestId('create-button').click();
    await pick(page, 'Tenant', '苏州工业园');
    await page.getByLabel('Name', { exact: true }).fill('苏州工业园区');
    await page.getByLabel('Region').fill('江苏省苏州市');
    await okModal(page);
    await page.getByRole('cell', { name: '苏州工业园区' }).waitFor();
    await shot(page, 'parks-en');

    await page.getByRole('menuitem', { name: 'Enterprises' }).click();
    await page.getByTestId('create-button').click();
    await pick(page, 'Tenant', '苏州工业园');
    await page.getByLabel('Name', { exact: true }).fill('华东精密机床有限公司');
    await pick(page, 'Industry', '机械');
    await pick(page, 'Park', '苏州工业园区');
    await page.getByLabel('Unified social credit code').fill('123');
    await okModal(page);
    // The server's check of the credit code comes back as a clear error with its code.
    await page.locator('.ant-modal [data-testid=error-code]').filter({ hasText: 'invalid_argument' }).waitFor();
    await page.getByLabel('Unified social credit code').fill('');
    await okModal(page);
    await page.getByRole('cell', { name: '华东精密机床有限公司' }).waitFor();
    await page.getByRole('row', { name: /华东精密机床有限公司/ }).getByTestId('edit-button').click();
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), '华东精密机床有限公司');
    await page.getByLabel('Unified social credit code').fill('12');
    await okModal(page);
    await page.locator('.ant-modal [data-testid=error-code]').filter({ hasText: 'invalid_argument' }).waitFor();
    await page.getByLabel('Unified social credit code').fill('');
    await page.getByLabel('Address').fill('苏州工业园区星湖街 328 号');
    await okModal(page);
    await page.locator('.ant-modal-wrap:visible').waitFor({ state: 'detached' });
    const ent = (await api('GET', '/api/v1/enterprises')).items.find((x) => x.name === '华东精密机床有限公司');
    assert.equal(ent.address, '苏州工业园区星湖街 328 号');
    assert.equal(ent.industry, '机械');
    await shot(page, 'enterprises-en');

    console.log('create a device profile with a thing model');
    await page.getByRole('menuitem', { name: 'Device profiles' }).click();
    await page.getByTestId('create-button').click();
    await pick(page, 'Tenant', '苏州工业园');
    await page.getByLabel('Name', { exact: true }).fill('数控机床');
    await page.getByTestId('thing-model-editor').fill('{"properties":[{"identifier":"temperature","type":"real"}]}');
    await page.getByTestId('thing-model-status').filter({ hasText: '"real" is not one of' }).waitFor();
    await page.getByRole('button', { name: 'Insert example' }).click();
    await page.getByTestId('thing-model-status').filter({ hasText: 'Valid thing model: 3 properties' }).waitFor();
    await shot(page, 'profile-editor-en');
    await okModal(page);
    await page.getByRole('cell', { name: '数控机床' }).waitFor();

    console.log('create a device: token and examples');
    await page.getByRole('menuitem', { name: 'Devices' }).first().click();
    await page.getByTestId('create-button').click();
    await page.getByLabel('Name', { exact: true }).fill('1号数控机床');
    await pick(page, 'Enterprise', '华东精密机床有限公司');
    await pick(page, 'Category', 'Processing');
    await pick(page, 'Profile', '数控机床');
    await okModal(page);
    const token = (await page.getByTestId('device-token').innerText()).trim();
    assert.match(token, /^[A-Za-z0-9_-]{8,64}$/);
    const example = await page.getByTestId('mqtt-example').innerText();
    assert.ok(example.includes(`-p ${server.mqtt} \\\n  -u '${token}' \\\n  -t v1/devices/me/telemetry`), example);
    assert.ok((await page.getByTestId('curl-example').innerText()).includes(`${base}/api/v1/${token}/telemetry`));
    await shot(page, 'device-created-en');
    await page.getByTestId('open-device').click();
    await page.getByTestId('device-name').filter({ hasText: '1号数控机床' }).waitFor();
    const deviceUrl = page.url();

    console.log('publish telemetry with mosquitto_pub and watch it arrive');
    const pub = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(server.mqtt), '-u', token, '-i', 'e2e-cnc-1',
      '-t', 'v1/devices/me/telemetry', '-q', '1', '-l'], { stdio: ['pipe', 'inherit', 'inherit'] });
    const send = (obj) => pub.stdin.write(JSON.stringify(obj) + '\n');
    for (let i = 0; i < 8; i++) {
      send({ temperature: 40 + i * 0.5, spindle_speed: 12000 + i * 150, running: true });
      await new Promise((r) => setTimeout(r, 250));
    }
    send({ temperature: 42.5, spindle_speed: 13250, running: true });
    await page.getByTestId('latest-temperature').filter({ hasText: '42.5 °C' }).waitFor();
    await page.getByTestId('latest-spindle_speed').filter({ hasText: '13,250 r/min' }).waitFor();
    await page.getByText('Online', { exact: true }).first().waitFor({ timeout: 20_000 });
    await page.getByTestId('trend-chart').waitFor();
    await shot(page, 'device-live-en');

    console.log('live values come over the WebSocket, not by polling');
    await page.locator('[data-testid=live-state][data-state=open]').first().waitFor();
    let latestPolls = 0;
    const countPolls = (r) => { if (r.url().includes('/telemetry/latest')) latestPolls++; };
    page.on('request', countPolls);
    send({ temperature: 47.25, spindle_speed: 13500, running: true });
    await page.getByTestId('latest-temperature').filter({ hasText: '47.25 °C' }).waitFor();
    send({ temperature: 48.75, spindle_speed: 13600, running: true });
    await page.getByTestId('latest-temperature').filter({ hasText: '48.75 °C' }).waitFor();
    page.off('request', countPolls);
    assert.equal(latestPolls, 0, 'latest values were polled while the live feed was open');

    console.log('history with aggregation');
    await page.getByRole('button', { name: 'Query' }).click();
    await page.getByTestId('history-chart').waitFor();
    assert.match(await page.getByText(/\d+ points/).innerText(), /[1-9]\d* points/);

    console.log('an alarm raised through the API appears live; acknowledge and clear it in the UI');
    const tenantId = (await api('GET', '/api/v1/tenants')).items.find((x) => x.name === '苏州工业园').id;
    const deviceId = deviceUrl.split('/').pop();
    await page.getByRole('menuitem', { name: 'Alarms' }).click();
    await page.getByRole('heading', { name: 'Alarms' }).waitFor();
    await page.locator('[data-testid=live-state][data-state=open]').waitFor();
    await page.getByText('No alarms match').waitFor();
    const raised = await api('POST', '/api/v1/alarms', { tenantId, deviceId, type: 'SpindleOverheat', severity: 'major',
      details: { temperature: 95.5, limit: 90 } });
    const row = page.locator('tr[data-alarm-type=SpindleOverheat]');
    await row.getByTestId('alarm-status').filter({ hasText: 'Active' }).waitFor();
    await page.getByTestId('alarm-count-major').locator('.ant-statistic-content-value').filter({ hasText: /^1$/ }).waitFor();
    assert.ok((await row.innerText()).includes('1号数控机床'));
    await shot(page, 'alarms-en');
    await row.getByTestId('alarm-details').click();
    await page.getByTestId('alarm-trigger').filter({ hasText: '95.5' }).waitFor();
    await page.getByTestId('alarm-history').getByText('Raised').waitFor();
    await shot(page, 'alarm-drawer-en');
    await page.locator('.ant-drawer-close').click();
    await page.getByTestId('alarm-drawer').waitFor({ state: 'detached' });
    await row.getByTestId('alarm-ack').click();
    await confirmPopover(page);
    await row.getByTestId('alarm-status').filter({ hasText: 'Acknowledged' }).waitFor();
    const acked = await api('GET', `/api/v1/alarms/${raised.id}`);
    assert.equal(acked.acknowledged, true);
    assert.equal(acked.ackBy, 'admin');
    await row.getByTestId('alarm-clear').click();
    await confirmPopover(page);
    await row.waitFor({ state: 'detached' }); // the default filter shows uncleared alarms only
    assert.equal((await api('GET', `/api/v1/alarms/${raised.id}`)).status, 'cleared');
    // A second alarm, raised while the page is open, stays for the screenshots of the other pages.
    await api('POST', '/api/v1/alarms', { tenantId, deviceId, type: 'VibrationHigh', severity: 'critical', details: { vibration: 7.1 } });
    await page.locator('tr[data-alarm-type=VibrationHigh]').waitFor();

    console.log('the device page lists its alarms');
    await page.goto(deviceUrl);
    await page.getByRole('tab', { name: 'Alarms' }).click();
    await page.locator('tr[data-alarm-type=VibrationHigh]').waitFor();

    console.log('rule chains: create, JSON and validation errors, save a version, enable, dry run, graph');
    await page.getByRole('menuitem', { name: 'Rule chains' }).click();
    await page.getByRole('heading', { name: 'Rule chains' }).waitFor();
    await page.getByTestId('create-button').click();
    await pick(page, 'Tenant', '苏州工业园');
    await page.getByLabel('Name', { exact: true }).fill('主轴过热保护');
    const template = await page.getByTestId('chain-editor').inputValue();
    await page.getByTestId('chain-editor').fill('{\n  "nodes": [\n    {"id": "a",, }\n  ]\n}');
    await page.getByTestId('json-error').filter({ hasText: /line 3, column \d+/ }).waitFor();
    await page.getByTestId('chain-editor').fill(template);
    await page.getByTestId('json-error').waitFor({ state: 'detached' });
    await okModal(page);
    await page.getByTestId('chain-name').filter({ hasText: '主轴过热保护' }).waitFor();
    await page.getByTestId('chain-valid').waitFor();
    const chainId = page.url().split('/').pop();
    const editor = page.getByTestId('chain-editor');
    await editor.fill(template.replace('"high": 80', '"high": "hot"'));
    await page.getByTestId('node-error-too-hot').filter({ hasText: 'params.high: must be a number' }).waitFor();
    await page.getByTestId('chain-invalid').waitFor();
    assert.equal(await page.getByTestId('chain-save').isDisabled(), true);
    await shot(page, 'rule-chain-validation-en');
    await editor.fill(template.replace('"high": 80', '"high": 85'));
    await page.getByTestId('chain-valid').waitFor();
    await page.getByTestId('chain-save').click();
    await page.getByTestId('chain-version').filter({ hasText: 'v2' }).waitFor();
    await page.getByTestId('chain-enabled').click();
    await page.locator('[data-testid=chain-enabled].ant-switch-checked').waitFor();
    const stored = await api('GET', `/api/v1/rulechains/${chainId}`);
    assert.equal(stored.enabled, true);
    assert.equal(stored.version, 2);
    assert.equal(stored.definition.nodes[1].params.high, 85);
    await page.getByRole('tab', { name: 'Dry run' }).click();
    await pick(page, 'Device', '1号数控机床');
    await page.getByTestId('dryrun-data').fill('{"temperature": 96.5}');
    await page.getByTestId('dryrun-run').click();
    await page.getByTestId('dryrun-step-raise').waitFor();
    await page.getByTestId('dryrun-step-too-hot').filter({ hasText: 'Raised' }).waitFor();
    assert.match(await page.getByTestId('dryrun-actions').innerText(), /HighTemperature/);
    await shot(page, 'rule-chain-dryrun-en');
    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.getByTestId('chain-graph').waitFor();
    await page.getByRole('tab', { name: 'Versions' }).click();
    await page.getByTestId('load-v1').waitFor();
    await page.getByRole('tab', { name: 'Graph' }).click();
    await shot(page, 'rule-chain-graph-en');

    console.log('the enabled chain raises an alarm from real telemetry');
    send({ temperature: 97.5, spindle_speed: 13700, running: true });
    await page.getByRole('menuitem', { name: 'Alarms' }).click();
    await page.locator('tr[data-alarm-type=HighTemperature]').waitFor({ timeout: 20_000 });

    console.log('overview counts the device');
    await page.getByRole('menuitem', { name: 'Overview' }).click();
    await page.getByTestId('category-chart').waitFor();
    assert.equal((await page.getByTestId('stat-devices').locator('.ant-statistic-content-value').innerText()).trim(), '1');
    assert.equal((await page.getByTestId('stat-enterprises').locator('.ant-statistic-content-value').innerText()).trim(), '1');
    await page.getByTestId('stat-online').locator('.ant-statistic-content-value').filter({ hasText: '1' }).waitFor();
    await page.getByTestId('overview-alarms-critical').filter({ hasText: /^1$/ }).waitFor(); // VibrationHigh
    await page.getByTestId('overview-alarms-major').filter({ hasText: /^1$/ }).waitFor(); // HighTemperature, from the rule chain
    await shot(page, 'overview-en');

    await page.getByRole('menuitem', { name: 'Devices' }).first().click();
    await page.getByRole('link', { name: '1号数控机床' }).waitFor();
    await shot(page, 'devices-en');
    await page.getByRole('menuitem', { name: 'Users' }).click();
    await page.getByRole('cell', { name: 'admin', exact: true }).waitFor();
    await page.getByRole('row', { name: /admin/ }).getByTestId('edit-button').click();
    await page.getByLabel('Display name').fill('平台管理员 王工');
    await okModal(page);
    await page.getByRole('cell', { name: '平台管理员 王工' }).waitFor();
    await page.getByTestId('user-menu').filter({ hasText: '平台管理员 王工' }).waitFor(); // own name: the header follows
    assert.equal((await api('GET', '/api/v1/auth/me')).user.displayName, '平台管理员 王工');
    await shot(page, 'users-en');

    console.log('back to Chinese; reload a client route (SPA fallback); dark theme');
    await page.getByTestId('lang-switch').hover();
    await page.getByRole('menuitem', { name: '简体中文' }).click();
    await page.goto(deviceUrl);
    await page.getByTestId('device-name').filter({ hasText: '1号数控机床' }).waitFor();
    await page.getByText('最新数据').waitFor();
    await page.getByTestId('latest-temperature').filter({ hasText: '97.5 °C' }).waitFor();
    await page.getByText('在线', { exact: true }).first().waitFor();
    await shot(page, 'device-live-zh');
    await page.goto(base + '/');
    await page.getByTestId('category-chart').waitFor();
    await shot(page, 'overview-zh');
    await page.getByRole('menuitem', { name: '告警' }).click();
    await page.locator('tr[data-alarm-type=HighTemperature]').getByText('活动').waitFor();
    await shot(page, 'alarms-zh');
    await page.getByTestId('theme-switch').getByTitle('深色').click();
    await page.waitForTimeout(300);
    await shot(page, 'alarms-dark-zh');
    await page.goto(`${base}/rule-chains/${chainId}`);
    await page.getByTestId('chain-valid').filter({ hasText: '定义有效' }).waitFor();
    await page.getByTestId('chain-graph').waitFor();
    await shot(page, 'rule-chain-dark-zh');
    await page.goto(base + '/');
    await page.getByTestId('category-chart').waitFor();
    await shot(page, 'overview-dark-zh');
    // Narrow screen (a phone in the plant): the menu folds to icons, cards stack.
    await page.setViewportSize({ width: 400, height: 860 });
    await page.goto(deviceUrl);
    await page.getByTestId('latest-temperature').filter({ hasText: '97.5 °C' }).waitFor();
    await shot(page, 'device-narrow-dark-zh');
    await page.setViewportSize({ width: 1440, height: 900 });
    const pubExited = new Promise((r) => pub.once('exit', r));
    pub.stdin.end();
    await pubExited;

    console.log('RPC from the console to a device that answers (paho)');
    const responder = spawn('/usr/bin/python3', ['-c', RPC_RESPONDER, String(server.mqtt), token], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((ok, fail) => {
        const timer = setTimeout(() => fail(new Error('RPC responder did not subscribe')), STEP_MS);
        responder.stdout.on('data', (b) => { if (b.toString().includes('ready')) { clearTimeout(timer); ok(); } });
      });
      for (let i = 0; i < 100 && !(await api('GET', `/api/v1/devices/${deviceId}`)).online; i++) await new Promise((r) => setTimeout(r, 100));
      await page.goto(deviceUrl);
      await page.getByTestId('device-name').filter({ hasText: '1号数控机床' }).waitFor();
      await page.getByText('在线', { exact: true }).first().waitFor({ timeout: 20_000 });
      await page.getByRole('tab', { name: /远程调用/ }).click();
      await page.getByLabel('方法').fill('setSpeed');
      await page.getByLabel('参数（JSON）').fill('{"rpm": 1200');
      await page.getByText('必须是合法的 JSON').waitFor();
      await page.getByLabel('参数（JSON）').fill('{"rpm": 1200}');
      await page.getByRole('button', { name: /发\s?送/ }).click();
      await page.getByTestId('rpc-result').filter({ hasText: '"rpm": 1200' }).waitFor();
      assert.match(await page.getByTestId('rpc-result').innerText(), /"method": "setSpeed"/);
      await shot(page, 'device-rpc-dark-zh');
    } finally {
      responder.kill('SIGTERM');
    }

    console.log('edit the device and rotate its token');
    await page.getByTestId('device-edit').click();
    // The dialog fills its form from the device after it opens; typing before that is
    // overwritten, so type until the value holds.
    const label = page.getByLabel('标签');
    await label.waitFor();
    for (let i = 0; i < 30 && (await label.inputValue()) !== 'A车间 3号线'; i++) {
      await label.fill('A车间 3号线');
      await page.waitForTimeout(100);
    }
    await okModal(page);
    await page.getByText('A车间 3号线').waitFor();
    await page.getByRole('button', { name: '重置令牌' }).click();
    await confirmPopover(page);
    await page.getByText(token).waitFor({ state: 'detached' });
    const rotated = await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: PASSWORD }) })).json();
    const dev = await (await fetch(`${base}/api/v1/devices/${deviceUrl.split('/').pop()}`, { headers: { Authorization: `Bearer ${rotated.token}` } })).json();
    assert.notEqual(dev.accessToken, token);
    assert.equal(dev.label, 'A车间 3号线');
    await page.getByText(dev.accessToken).first().waitFor();

    console.log('an invalid session goes back to login with a notice');
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('kaiwu.session'));
      s.token = 'invalid.token.value';
      localStorage.setItem('kaiwu.session', JSON.stringify(s));
    });
    await page.reload();
    await page.getByTestId('session-expired').waitFor();
    await page.waitForURL(/\/login$/);
  } catch (e) {
    failures.push(e.stack ?? String(e));
    try {
      const pages = browser.contexts().flatMap((c) => c.pages());
      if (pages[0]) {
        console.error(`failed at ${pages[0].url()}`);
        await pages[0].screenshot({ path: join(SHOTS, 'failure.png'), fullPage: true });
      }
    } catch { /* best effort */ }
    // The server's last words (the data dir goes with stop()): which handler answered what.
    const tail = readFileSync(server.log, 'utf8').split('\n').slice(-60).join('\n');
    console.error(`server log (last 60 lines):\n${tail}`);
  } finally {
    await browser.close();
    await server.stop();
  }
  if (failures.length) {
    console.error(`FAILED:\n${failures.join('\n')}`);
    process.exit(1);
  }
  console.log(`console e2e: OK (${step} screenshots in ${SHOTS})`);
}

await main();
