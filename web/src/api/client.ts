// The typed API client (openapi-fetch over the generated schema.d.ts) plus the session's bearer
// token and the one place that turns API errors into ApiError and a 401 into "session expired".
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let token: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setToken(t: string | null) {
  token = t;
}
export function getToken(): string | null {
  return token;
}
// Called when a signed-in request gets 401 (expired or revoked token).
export function setUnauthorizedHandler(fn: (() => void) | null) {
  onUnauthorized = fn;
}

const auth: Middleware = {
  onRequest({ request }) {
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && request.headers.has('Authorization') && onUnauthorized) onUnauthorized();
    return response;
  },
};

export const client = createClient<paths>({ baseUrl: '' });
client.use(auth);

// Turns an error body {"error":{"code","message"}} (or anything else) into an ApiError.
export async function toApiError(response: Response, body?: unknown): Promise<ApiError> {
  let parsed = body;
  if (parsed === undefined) {
    try {
      parsed = await response.clone().json();
    } catch {
      parsed = undefined;
    }
  }
  const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new ApiError(response.status, err?.code ?? `http_${response.status}`, err?.message ?? response.statusText);
}

// Unwraps an openapi-fetch result: data, or throws ApiError.
export async function unwrap<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r;
  try {
    r = await p;
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  if (r.error !== undefined || !r.response.ok) throw await toApiError(r.response, r.error);
  return r.data as T;
}

// Untyped calls for the generic list pages (paths known only at run time).
export async function call<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown,
  query?: Record<string, string | number | undefined>): Promise<T> {
  const qs = query
    ? '?' + Object.entries(query).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&')
    : '';
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path + (qs === '?' ? '' : qs), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  if (res.status === 401 && token && onUnauthorized) onUnauthorized();
  if (!res.ok) throw await toApiError(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export interface ListPage<T> {
  items: T[];
  next: string | null;
}

// Every page of a list endpoint (bounded: at most `max` items).
export async function listAll<T>(path: string, query: Record<string, string | undefined> = {}, max = 5000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await call<ListPage<T>>('GET', path, undefined, { ...query, limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor && out.length < max);
  return out;
}
