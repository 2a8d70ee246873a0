// The console side of the APP UI bridge (CONTRACT-S16 "APP UI inside the console"): the APP's
// ui/index.html (the server puts the SDK first in it) runs in a sandboxed iframe (opaque origin, no
// token), and this postMessage protocol turns kaiwu.call/download into REST calls made with the
// user's session for one enterprise.
import { getToken, toApiError } from '../../api/client';

export interface InitPayload {
  appId: string; lang: 'zh-CN' | 'en'; theme: 'light' | 'dark'; enterpriseId: string; user: { name: string; role: string };
}
export type FrameMessage =
  | { kaiwu: 'call'; id: number | string; fn: string; input?: unknown }
  | { kaiwu: 'download'; fileId: string }
  | { kaiwu: 'resize'; height: number };
export type ResultMessage = { kaiwu: 'result'; id: number | string; ok: true; output: unknown }
  | { kaiwu: 'result'; id: number | string; ok: false; error: { code: string; message: string } };

// The UI entry file under ui/ (the ui route serves ui/<file>).
export function uiFile(entry: string | undefined): string {
  return (entry ?? 'ui/index.html').replace(/^ui\//, '');
}

export function isFrameMessage(m: unknown): m is FrameMessage {
  if (!m || typeof m !== 'object') return false;
  const o = m as Record<string, unknown>;
  if (o.kaiwu === 'call') return (typeof o.id === 'number' || typeof o.id === 'string') && typeof o.fn === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(o.fn);
  if (o.kaiwu === 'download') return typeof o.fileId === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(o.fileId);
  if (o.kaiwu === 'resize') return typeof o.height === 'number' && Number.isFinite(o.height);
  return false;
}

function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

function query(enterpriseId: string): string {
  return enterpriseId ? `?enterpriseId=${encodeURIComponent(enterpriseId)}` : '';
}

// One function call for the frame: its own APP only, the chosen enterprise only.
export async function callFunction(appId: string, enterpriseId: string, fn: string, input: unknown, id: number | string): Promise<ResultMessage> {
  try {
    const res = await fetch(`/api/v1/apps/${encodeURIComponent(appId)}/functions/${encodeURIComponent(fn)}${query(enterpriseId)}`, {
      method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: JSON.stringify(input ?? {}),
    });
    const body = await res.json().catch(() => undefined) as { ok?: boolean; result?: unknown; error?: unknown } | undefined;
    if (res.ok && body?.ok) return { kaiwu: 'result', id, ok: true, output: body.result };
    if (res.status === 422 && body && typeof body.error === 'string') return { kaiwu: 'result', id, ok: false, error: { code: 'app_error', message: body.error } };
    const e = await toApiError(res, body);
    return { kaiwu: 'result', id, ok: false, error: { code: e.code, message: e.message } };
  } catch (e) {
    return { kaiwu: 'result', id, ok: false, error: { code: 'network', message: e instanceof Error ? e.message : String(e) } };
  }
}

// Downloads an APP file with the session and hands it to the browser under its own filename.
export async function downloadFile(appId: string, enterpriseId: string, fileId: string): Promise<void> {
  const res = await fetch(`/api/v1/apps/${encodeURIComponent(appId)}/files/${encodeURIComponent(fileId)}${query(enterpriseId)}`, { headers: authHeaders() });
  if (!res.ok) throw await toApiError(res);
  const cd = res.headers.get('Content-Disposition') ?? '';
  const name = /filename\*=UTF-8''([^;]+)/i.exec(cd)?.[1] ?? /filename="?([^";]+)"?/i.exec(cd)?.[1] ?? fileId;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = decodeURIComponent(name);
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
