import { configure, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { canView, canWrite } from '../auth/permissions';
import { DeclarationPage } from '../features/declaration/DeclarationPage';
import { declarationYears, fileKind, formatBytes } from '../features/declaration/api';
import i18n from '../i18n';
import { renderRoute, signIn, stubApi } from './helpers';

// Ant Design under a loaded 2-core machine: give every findBy/waitFor 10 s.
configure({ asyncUtilTimeout: 10_000 });

const made = {
  id: '0193ab', year: 2026, asOf: '2026-11-26',
  files: [
    { name: '申报书-二-平台基本情况与能力指标.docx', bytes: 23_456, url: '/api/v1/platform/declaration/0193ab/%E7%94%B3.docx' },
    { name: '附件1-设备清单.xlsx', bytes: 812, url: '/api/v1/platform/declaration/0193ab/a1.xlsx' },
  ],
};

describe('declaration helpers', () => {
  it('offers this year and the four before, names file kinds and sizes', () => {
    expect(declarationYears(new Date(Date.UTC(2026, 10, 26)))).toEqual([2026, 2025, 2024, 2023, 2022]);
    expect(fileKind('a.docx')).toBe('docx');
    expect(fileKind('a.xlsx')).toBe('xlsx');
    expect(fileKind('a.txt')).toBe('other');
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(23_456)).toBe('22.9 KB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
  });

  it('is a platform-admin page only', () => {
    expect(canView('platform-admin', 'declaration')).toBe(true);
    expect(canWrite('platform-admin', 'declaration')).toBe(true);
    for (const r of ['tenant-admin', 'park-admin', 'enterprise-admin', 'engineer', 'viewer', 'developer'] as const)
      expect(canView(r, 'declaration')).toBe(false);
  });
});

describe('declaration page', () => {
  afterEach(() => { vi.unstubAllGlobals(); localStorage.clear(); void i18n.changeLanguage('zh-CN'); });

  it('generates the set for the chosen year and downloads a file with the session', async () => {
    signIn('platform-admin');
    const calls = stubApi({
      'POST /api/v1/platform/declaration': () => made,
      'GET /api/v1/platform/declaration/0193ab/a1.xlsx': () => ({}),
    });
    const created = vi.fn(() => 'blob:x');
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }));
    renderRoute('/declaration', '/declaration', <DeclarationPage />);
    expect(await screen.findByText('申报书导出')).toBeInTheDocument();
    await userEvent.click(screen.getByTestId('declaration-generate'));
    const result = await screen.findByTestId('declaration-result');
    expect(result).toHaveTextContent('2026-11-26');
    expect(result).toHaveTextContent('申报书-二-平台基本情况与能力指标.docx');
    expect(result).toHaveTextContent('22.9 KB');
    expect(result).toHaveTextContent('【待填写：…】');
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toEqual({ year: new Date().getUTCFullYear() });
    await userEvent.click(screen.getByTestId('declaration-download-附件1-设备清单.xlsx'));
    await waitFor(() => expect(calls.some((c) => c.path === '/api/v1/platform/declaration/0193ab/a1.xlsx')).toBe(true));
    await waitFor(() => expect(created).toHaveBeenCalled());
  }, 60_000);

  it('shows the server error and speaks English', async () => {
    signIn('platform-admin');
    await i18n.changeLanguage('en');
    stubApi({ 'POST /api/v1/platform/declaration': () => { throw new Error('year: must be 2000..2026'); } });
    renderRoute('/declaration', '/declaration', <DeclarationPage />);
    expect(await screen.findByText('Declaration export')).toBeInTheDocument();
    await userEvent.click(screen.getByTestId('declaration-generate'));
    expect(await screen.findByText(/must be 2000\.\.2026/)).toBeInTheDocument();
    expect(screen.queryByTestId('declaration-result')).toBeNull();
  }, 60_000);
});
