// Shared test scaffolding: a signed-in session of a role, the app's providers around a route, a
// fetch stub answering by method and path, and a fake WebSocket for the live feed.
import { render } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { QueryClientProvider } from '@tanstack/react-query';
import type { ReactElement } from 'react';
import { SessionProvider } from '../auth/session';
import { PreferencesProvider } from '../preferences';
import { Themed, makeQueryClient } from '../App';
import type { Role } from '../api/types';

export function signIn(role: Role) {
  localStorage.setItem('kaiwu.session', JSON.stringify({
    token: 't', expiresAt: Date.now() + 3600_000,
    user: { id: 'u1', username: 'li.gong', displayName: '李工', role, tenantId: 'T', parkId: null, enterpriseId: null, disabled: false, createdAt: 0, lastLoginAt: null },
  }));
}

export function renderRoute(path: string, pattern: string, element: ReactElement) {
  return render(
    <PreferencesProvider><Themed><QueryClientProvider client={makeQueryClient()}><SessionProvider>
      <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <Routes><Route path={pattern} element={element} /></Routes>
      </MemoryRouter>
    </SessionProvider></QueryClientProvider></Themed></PreferencesProvider>,
  );
}

export interface Call { method: string; path: string; query: URLSearchParams; body: unknown }
type Answer = (c: Call) => unknown;

// fetch answering from routes "METHOD /path" (no query); records every call. An answer that
// throws an Error becomes a 400 error body with its message.
export function stubApi(routes: Record<string, Answer>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const method = init?.method ?? 'GET';
    const c: Call = { method, path: url.pathname, query: url.searchParams, body: init?.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(c);
    const answer = routes[`${method} ${url.pathname}`];
    if (!answer) return new Response(JSON.stringify({ error: { code: 'not_found', message: `no route ${method} ${url.pathname}` } }), { status: 404 });
    try {
      return new Response(JSON.stringify(answer(c) ?? null), { status: 200, headers: { 'Content-Type': 'application/json' } });
    } catch (e) {
      return new Response(JSON.stringify({ error: { code: 'failed_precondition', message: (e as Error).message } }), { status: 409 });
    }
  });
  vi.stubGlobal('fetch', fetch);
  return calls;
}

export class FakeSocket {
  static OPEN = 1;
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(public url: string) {}
  send(text: string) { this.sent.push(JSON.parse(text) as Record<string, unknown>); }
  close() { this.readyState = 3; }
  open() { this.readyState = 1; this.push({ type: 'welcome', user: 'li.gong' }); }
  push(m: object) { this.onmessage?.({ data: JSON.stringify(m) }); }
  drop() { this.readyState = 3; this.onclose?.(); }
}
