import { render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { QueryClientProvider } from '@tanstack/react-query';
import { ApiError, call } from '../api/client';
import { ErrorAlert } from '../components/ErrorAlert';
import { SessionProvider } from '../auth/session';
import { PreferencesProvider } from '../preferences';
import { AppRoutes, Themed, makeQueryClient } from '../App';

describe('ErrorAlert', () => {
  it('shows the API message, code and HTTP status', () => {
    render(<ErrorAlert error={new ApiError(409, 'already_exists', 'an enterprise named 华东机床 already exists')} />);
    expect(screen.getByRole('alert')).toHaveTextContent('请求失败');
    expect(screen.getByTestId('error-message')).toHaveTextContent('an enterprise named 华东机床 already exists');
    expect(screen.getByTestId('error-code')).toHaveTextContent('already_exists');
    expect(screen.getByTestId('error-code')).toHaveTextContent('409');
  });

  it('explains a network failure without a code', () => {
    render(<ErrorAlert error={new ApiError(0, 'network', 'Failed to fetch')} />);
    expect(screen.getByTestId('error-message')).toHaveTextContent('无法连接服务器: Failed to fetch');
    expect(screen.queryByTestId('error-code')).toBeNull();
  });
});

describe('API client', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('turns an error body into ApiError', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ error: { code: 'invalid_argument', message: 'industry: is required' } }),
      { status: 400, headers: { 'Content-Type': 'application/json' } })));
    const err = (await call('POST', '/api/v1/enterprises', { name: 'x' }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toBe('industry: is required');
  });

  it('sends the user back to login with a notice when the session has expired (401)', async () => {
    localStorage.setItem('kaiwu.session', JSON.stringify({
      token: 'expired.jwt.token', expiresAt: Date.now() + 3600_000,
      user: { id: 'u1', username: 'admin', displayName: '', role: 'platform-admin', tenantId: null, parkId: null, enterpriseId: null, disabled: false, createdAt: 0, lastLoginAt: null },
    }));
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ error: { code: 'unauthenticated', message: 'token expired' } }),
      { status: 401, headers: { 'Content-Type': 'application/json' } }));
    vi.stubGlobal('fetch', fetchMock);
    render(
      <PreferencesProvider><Themed><QueryClientProvider client={makeQueryClient()}><SessionProvider>
        <MemoryRouter initialEntries={['/']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}><AppRoutes /></MemoryRouter>
      </SessionProvider></QueryClientProvider></Themed></PreferencesProvider>,
    );
    expect(await screen.findByTestId('session-expired', {}, { timeout: 10_000 })).toHaveTextContent('登录已过期，请重新登录');
    expect(screen.getByTestId('login-submit')).toBeInTheDocument();
    expect(localStorage.getItem('kaiwu.session')).toBeNull();
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer expired.jwt.token');
  });
});
