import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { QueryClientProvider } from '@tanstack/react-query';
import i18n from '../i18n';
import zh from '../i18n/zh-CN';
import en from '../i18n/en';
import { SessionProvider } from '../auth/session';
import { PreferencesProvider } from '../preferences';
import { Themed, makeQueryClient } from '../App';
import { LoginPage } from '../pages/Login';

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`])).sort();
}

function renderLogin() {
  return render(
    <PreferencesProvider>
      <Themed>
        <QueryClientProvider client={makeQueryClient()}>
          <SessionProvider>
            <MemoryRouter initialEntries={['/login']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}><LoginPage /></MemoryRouter>
          </SessionProvider>
        </QueryClientProvider>
      </Themed>
    </PreferencesProvider>,
  );
}

describe('i18n', () => {
  afterEach(async () => {
    await act(() => i18n.changeLanguage('zh-CN'));
  });

  it('has the same keys in Chinese and English, none empty', () => {
    expect(keys(en)).toEqual(keys(zh));
    for (const k of keys(zh)) expect(i18n.t(k, { lng: 'zh-CN' })).not.toBe('');
  });

  it('starts in Chinese and switches the login page to English', async () => {
    localStorage.clear();
    renderLogin();
    expect(screen.getByText('开物工业互联网平台')).toBeInTheDocument();
    expect(screen.getByTestId('login-submit')).toHaveTextContent(/登\s?录/); // antd spaces two-character CJK labels
    expect(screen.getByText('用户名')).toBeInTheDocument();

    await userEvent.hover(screen.getByTestId('login-lang'));
    await userEvent.click(await screen.findByText('English'));

    await waitFor(() => expect(screen.getByText('Kaiwu Industrial Internet Platform')).toBeInTheDocument());
    expect(screen.getByTestId('login-submit')).toHaveTextContent('Sign in');
    expect(screen.getByText('Username')).toBeInTheDocument();
    expect(localStorage.getItem('kaiwu.lang')).toBe('en');
    expect(document.documentElement.lang).toBe('en');
  });

  it('formats required-field messages in the current language', async () => {
    renderLogin();
    await userEvent.click(screen.getByTestId('login-submit'));
    expect(await screen.findByText('请输入用户名')).toBeInTheDocument();
    await act(() => i18n.changeLanguage('en'));
    await userEvent.click(screen.getByTestId('login-submit'));
    expect(await screen.findByText('Enter your username')).toBeInTheDocument();
  });
});
