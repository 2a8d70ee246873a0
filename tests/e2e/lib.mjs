// Shared e2e helpers: a free loopback port, a real `kaiwu serve` on it (dies with the test),
// REST calls with a token, signing in through the console, screenshots.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// Starts `kaiwu serve` (or `kaiwu demo`: platform + virtual factory, pre-provisioned) on loopback
// ports with the built console; extra `--set k=v` pairs allowed.
export async function startKaiwu({ bin, webRoot, password, prefix = 'kaiwu-e2e-', sets = [], command = 'serve' }) {
  const data = mkdtempSync(join(tmpdir(), prefix));
  const [http, mqtt] = [await freePort(), await freePort()];
  const log = join(data, 'server.log');
  const url = `http://127.0.0.1:${http}`;
  const args = [command, '--data', data, '--set', 'http.address=127.0.0.1', '--set', `http.port=${http}`,
    '--set', 'mqtt.address=127.0.0.1', '--set', `mqtt.port=${mqtt}`, '--set', `http.web_root=${webRoot}`,
    '--set', 'storage.durability=batch', ...sets.flatMap((s) => ['--set', s])];
  const proc = spawn(bin, args, {
    env: { ...process.env, KAIWU_ADMIN_PASSWORD: password }, stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
  });
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    if (!process.env.KAIWU_KEEP_DATA) rmSync(data, { recursive: true, force: true, maxRetries: 3 });
  };
  process.on('exit', () => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`kaiwu exited: ${readFileSync(log, 'utf8')}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, data, log, stop };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('kaiwu did not become healthy');
}

// fetch JSON with a bearer token; throws with the body unless the status is `expect`.
export async function api(base, method, path, body, token, expect) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (expect !== undefined ? res.status !== expect : !res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return data;
}

export async function token(base, username, password) {
  return (await api(base, 'POST', '/api/v1/auth/login', { username, password })).token;
}

// Signs out whoever is signed in, then in as `user` through the login form.
export async function login(page, base, user, password) {
  await page.goto(base + '/login');
  await page.evaluate(() => localStorage.removeItem('kaiwu.session'));
  await page.goto(base + '/login');
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}
