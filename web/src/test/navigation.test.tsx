import { render, screen, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { QueryClientProvider } from '@tanstack/react-query';
import { SessionProvider } from '../auth/session';
import { PreferencesProvider } from '../preferences';
import { Themed, makeQueryClient } from '../App';
import { AppLayout } from '../components/AppLayout';
import { canWrite, grantableRoles } from '../auth/permissions';
import type { Role } from '../api/types';

function renderAs(role: Role) {
  localStorage.setItem('kaiwu.session', JSON.stringify({
    token: 't', expiresAt: Date.now() + 3600_000,
    user: { id: 'u1', username: 'li.gong', displayName: '李工', role, tenantId: 'T', parkId: null, enterpriseId: null, disabled: false, createdAt: 0, lastLoginAt: null },
  }));
  return render(
    <PreferencesProvider><Themed><QueryClientProvider client={makeQueryClient()}><SessionProvider>
      <MemoryRouter initialEntries={['/']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <Routes><Route element={<AppLayout />}><Route index element={<div>home</div>} /></Route></Routes>
      </MemoryRouter>
    </SessionProvider></QueryClientProvider></Themed></PreferencesProvider>,
  );
}

const menuTexts = () => within(screen.getByTestId('nav')).getAllByRole('menuitem').map((m) => m.textContent ?? '');

describe('role-aware navigation', () => {
  const original = window.matchMedia;
  beforeEach(() => {
    // A desktop-wide screen: every min-width breakpoint matches, so the header shows names.
    window.matchMedia = (query: string) => ({
      matches: query.includes('min-width'), media: query, onchange: null, addListener: () => {}, removeListener: () => {},
      addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false,
    }) as MediaQueryList;
  });
  afterEach(() => {
    window.matchMedia = original;
    localStorage.clear();
  });

  it('shows a platform admin every page', () => {
    renderAs('platform-admin');
    const items = menuTexts();
    for (const label of ['总览', '设备', '设备档案', '告警', '规则链', '企业', '园区', '租户', '用户', 'API 密钥']) expect(items).toContain(label);
    expect(screen.getByTestId('user-menu')).toHaveTextContent('李工');
    expect(screen.getByTestId('user-menu')).toHaveTextContent('平台管理员');
  });

  it('hides organisation pages from a viewer', () => {
    renderAs('viewer');
    const items = menuTexts();
    expect(items).toContain('设备');
    expect(items).toContain('企业');
    expect(items).toContain('告警');
    for (const label of ['租户', '园区', '用户', 'API 密钥', '规则链']) expect(items).not.toContain(label);
    expect(screen.getByTestId('user-menu')).toHaveTextContent('只读用户');
  });

  it('mirrors the server roles for writes and grants', () => {
    expect(canWrite('viewer', 'devices')).toBe(false);
    expect(canWrite('engineer', 'devices')).toBe(true);
    expect(canWrite('park-admin', 'parks')).toBe(false);
    expect(canWrite('tenant-admin', 'tenants')).toBe(false);
    expect(canWrite('engineer', 'alarms')).toBe(true);
    expect(canWrite('viewer', 'alarms')).toBe(false);
    expect(canWrite('engineer', 'rulechains')).toBe(false);
    expect(canWrite('tenant-admin', 'rulechains')).toBe(true);
    expect(grantableRoles('park-admin')).toEqual(['park-admin', 'enterprise-admin', 'engineer', 'viewer', 'developer']);
    expect(grantableRoles(null)).toEqual([]);
  });
});
