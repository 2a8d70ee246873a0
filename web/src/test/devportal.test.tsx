import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { QueryClientProvider } from '@tanstack/react-query';
import { SessionProvider } from '../auth/session';
import { PreferencesProvider } from '../preferences';
import { Themed, makeQueryClient } from '../App';
import { AppLayout } from '../components/AppLayout';
import { RegisterPage } from '../features/devportal/RegisterPage';
import { VerifyPage } from '../features/devportal/VerifyPage';
import userEvent from '@testing-library/user-event';
import { canView } from '../auth/permissions';
import { monthDays } from '../features/metering/api';

function renderAt(path: string) {
  return render(
    <PreferencesProvider><Themed><QueryClientProvider client={makeQueryClient()}><SessionProvider>
      <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <Routes>
          <Route path="/register" element={<RegisterPage />} />
          <Route path="/verify" element={<VerifyPage />} />
          <Route path="/login" element={<div>login page</div>} />
        </Routes>
      </MemoryRouter>
    </SessionProvider></QueryClientProvider></Themed></PreferencesProvider>,
  );
}

// openapi-fetch calls fetch(Request); call() uses fetch(url, init): read either.
const urlOf = (input: unknown) => new URL(typeof input === 'string' ? input : (input as Request).url, 'http://localhost').pathname;
async function bodyOf(c: unknown[]): Promise<unknown> {
  const [input, init] = c as [unknown, RequestInit | undefined];
  if (typeof input === 'string') return JSON.parse(init?.body as string);
  return (input as Request).clone().json();
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

async function fill(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

describe('developer registration form', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('checks the fields before sending anything', async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    renderAt('/register');
    await fill('邮箱', 'not-an-address');
    await fill('密码', 'short');
    await fill('确认密码', 'different');
    await userEvent.click(screen.getByTestId('register-submit'));
    await waitFor(() => {
      const errors = [...document.querySelectorAll('.ant-form-item-explain-error')].map((e) => e.textContent);
      expect(errors).toEqual(['邮箱格式不正确', '请输入姓名', '请输入至少 10 个字符的密码', '两次输入的密码不一致']);
    }, { timeout: 15_000 });
    expect(fetchMock).not.toHaveBeenCalled();
  }, 60_000);

  it('registers, then tells where the e-mail went and can resend it', async () => {
    const fetchMock = vi.fn(async (input: unknown) => (urlOf(input).endsWith('/register')
      ? json(201, { id: 'd1', email: 'alice@example.com', status: 'pending', tokenExpiresAt: Date.now() + 24 * 3_600_000 })
      : json(202, { status: 'sent' })));
    vi.stubGlobal('fetch', fetchMock);
    renderAt('/register');
    await fill('邮箱', 'Alice@Example.com');
    await fill('姓名', '李工');
    await fill('单位 / 组织', '华东机床');
    await fill('密码', 'long-enough-1');
    await fill('确认密码', 'long-enough-1');
    fireEvent.click(screen.getByTestId('register-submit'));
    expect(await screen.findByTestId('register-done', {}, { timeout: 5000 })).toHaveTextContent('alice@example.com');
    expect(screen.getByTestId('register-done')).toHaveTextContent('24 小时');
    expect(urlOf(fetchMock.mock.calls[0][0])).toBe('/api/v1/developers/register');
    expect(await bodyOf(fetchMock.mock.calls[0])).toEqual({ email: 'Alice@Example.com', name: '李工', password: 'long-enough-1', organisation: '华东机床' });
    fireEvent.click(screen.getByTestId('register-resend'));
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2));
    expect(await bodyOf(fetchMock.mock.calls[1])).toEqual({ email: 'alice@example.com' });
  });

  it('shows the server error, e.g. an e-mail already registered', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(409, { error: { code: 'already_exists', message: 'email: an account with this e-mail already exists' } })));
    renderAt('/register');
    await fill('邮箱', 'alice@example.com');
    await fill('姓名', 'Alice');
    await fill('密码', 'long-enough-1');
    await fill('确认密码', 'long-enough-1');
    fireEvent.click(screen.getByTestId('register-submit'));
    expect(await screen.findByTestId('error-message', {}, { timeout: 5000 })).toHaveTextContent('already exists');
    expect(screen.getByTestId('error-code')).toHaveTextContent('already_exists');
  });
});

describe('verification landing page', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('verifies the token from the link once and offers sign-in', async () => {
    const fetchMock = vi.fn(async (_input: unknown) => json(200, { status: 'verified', username: 'alice@example.com', tenantId: 't1', enterpriseId: 'e1' }));
    vi.stubGlobal('fetch', fetchMock);
    renderAt('/verify?token=abc_DEF-123');
    expect(await screen.findByTestId('verify-ok', {}, { timeout: 5000 })).toHaveTextContent('alice@example.com');
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(urlOf(fetchMock.mock.calls[0][0])).toBe('/api/v1/developers/verify');
    expect(await bodyOf(fetchMock.mock.calls[0])).toEqual({ token: 'abc_DEF-123' });
  });

  it('explains an expired token and lets the user ask for a new e-mail', async () => {
    const fetchMock = vi.fn(async (input: unknown) => (urlOf(input).endsWith('/verify')
      ? json(409, { error: { code: 'failed_precondition', message: 'token: the verification token expired' } })
      : json(202, { status: 'sent' })));
    vi.stubGlobal('fetch', fetchMock);
    renderAt('/verify?token=old');
    expect(await screen.findByTestId('verify-failed', {}, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.getByTestId('error-message')).toHaveTextContent('expired');
    fireEvent.change(screen.getByPlaceholderText('邮箱'), { target: { value: 'alice@example.com' } });
    fireEvent.click(screen.getByText('重新发送验证邮件'));
    expect(await screen.findByText('验证邮件已重新发送', {}, { timeout: 5000 })).toBeInTheDocument();
    expect(urlOf(fetchMock.mock.calls[1][0])).toBe('/api/v1/developers/resend');
  });

  it('says so when the link has no token', async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    renderAt('/verify');
    expect(await screen.findByText('链接中缺少验证令牌。')).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('developer and metering navigation', () => {
  afterEach(() => localStorage.clear());

  it('gives developers their home and admins the metering page', () => {
    expect(canView('developer', 'developer')).toBe(true);
    expect(canView('engineer', 'developer')).toBe(false);
    expect(canView('platform-admin', 'metering')).toBe(true);
    expect(canView('developer', 'metering')).toBe(false);
    localStorage.setItem('kaiwu.session', JSON.stringify({
      token: 't', expiresAt: Date.now() + 3600_000,
      user: { id: 'u1', username: 'alice@example.com', displayName: 'Alice', role: 'developer', tenantId: 'T', parkId: null, enterpriseId: 'E', disabled: false, createdAt: 0, lastLoginAt: null },
    }));
    render(
      <PreferencesProvider><Themed><QueryClientProvider client={makeQueryClient()}><SessionProvider>
        <MemoryRouter initialEntries={['/']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <Routes><Route element={<AppLayout />}><Route index element={<div>home</div>} /></Route></Routes>
        </MemoryRouter>
      </SessionProvider></QueryClientProvider></Themed></PreferencesProvider>,
    );
    const items = within(screen.getByTestId('nav')).getAllByRole('menuitem').map((m) => m.textContent ?? '');
    expect(items).toContain('开发者中心');
    expect(items).toContain('API 文档');
    expect(items).not.toContain('计量统计');
  });

  it('computes a month\'s first and last day', () => {
    expect(monthDays('2026-11')).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(monthDays('2028-02')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
  });
});
