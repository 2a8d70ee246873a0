import { Grid, Layout, Menu, Button, Dropdown, Space, Segmented, Typography, Tag, theme as antTheme } from 'antd';
import {
  DashboardOutlined, ClusterOutlined, EnvironmentOutlined, BankOutlined, ApiOutlined, UserOutlined, KeyOutlined,
  ProfileOutlined, LogoutOutlined, AppstoreOutlined, ShopOutlined, ExperimentOutlined, CodeOutlined, BarChartOutlined, ReadOutlined, MoonOutlined, SunOutlined, AlertOutlined, BranchesOutlined, GlobalOutlined, DeploymentUnitOutlined, LineChartOutlined, PushpinOutlined, MenuFoldOutlined, MenuUnfoldOutlined, FundOutlined,
  SolutionOutlined,
  FileWordOutlined,
} from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useEffect, useMemo, useState } from 'react';
import { useSession } from '../auth/session';
import { canView, type Resource } from '../auth/permissions';
import { LANGUAGES } from '../i18n';
import { usePreferences } from '../preferences';
import { appName, sortApps, useSubscribedApps } from '../features/apps/api';

type AnalysisKey = 'analysis/map' | 'analysis/indices' | 'analysis/supply-chain';
const ITEMS: { key: Resource | 'rule-chains' | 'developer/docs' | AnalysisKey; icon: React.ReactNode; label: string;
  group: 'iot' | 'platform' | 'analysis' | 'management' | null }[] = [
  { key: 'overview', icon: <DashboardOutlined />, label: 'nav.overview', group: null },
  { key: 'park-dashboard', icon: <FundOutlined />, label: 'park.nav', group: null },
  { key: 'devices', icon: <ApiOutlined />, label: 'nav.devices', group: 'iot' },
  { key: 'profiles', icon: <ProfileOutlined />, label: 'nav.profiles', group: 'iot' },
  { key: 'alarms', icon: <AlertOutlined />, label: 'nav.alarms', group: 'iot' },
  { key: 'rule-chains', icon: <BranchesOutlined />, label: 'nav.ruleChains', group: 'iot' },
  { key: 'apps', icon: <AppstoreOutlined />, label: 'myApps.nav', group: 'platform' },
  { key: 'market', icon: <ShopOutlined />, label: 'market.title', group: 'platform' },
  { key: 'models', icon: <ExperimentOutlined />, label: 'models.title', group: 'platform' },
  { key: 'analysis/map', icon: <PushpinOutlined />, label: 'analysis.navMap', group: 'analysis' },
  { key: 'analysis/indices', icon: <LineChartOutlined />, label: 'analysis.navIndices', group: 'analysis' },
  { key: 'analysis/supply-chain', icon: <DeploymentUnitOutlined />, label: 'analysis.navChain', group: 'analysis' },
  { key: 'solutions', icon: <SolutionOutlined />, label: 'solutions.nav', group: 'platform' },
  { key: 'enterprises', icon: <BankOutlined />, label: 'nav.enterprises', group: 'management' },
  { key: 'parks', icon: <EnvironmentOutlined />, label: 'nav.parks', group: 'management' },
  { key: 'tenants', icon: <ClusterOutlined />, label: 'nav.tenants', group: 'management' },
  { key: 'users', icon: <UserOutlined />, label: 'nav.users', group: 'management' },
  { key: 'apikeys', icon: <KeyOutlined />, label: 'nav.apikeys', group: 'management' },
  { key: 'metering', icon: <BarChartOutlined />, label: 'metering.title', group: 'management' },
  { key: 'indicators', icon: <FundOutlined />, label: 'indicators.nav', group: 'management' },
  { key: 'declaration', icon: <FileWordOutlined />, label: 'declaration.title', group: 'management' },
  { key: 'developer', icon: <CodeOutlined />, label: 'devportal.navHome', group: null },
  { key: 'developer/docs', icon: <ReadOutlined />, label: 'devportal.navDocs', group: null },
];

export function AppLayout() {
  const { t, i18n } = useTranslation();
  const { session, logout } = useSession();
  const { theme, setTheme } = usePreferences(); // the dark algorithm darkens the light Sider/Menu too
  const navigate = useNavigate();
  const location = useLocation();
  const [collapsed, setCollapsed] = useState(false);
  const { token } = antTheme.useToken();
  const role = session?.user.role ?? null;
  const screens = Grid.useBreakpoint();
  const compact = !screens.md; // phones: icon-only header buttons

  // The 应用 / APPs entry lists the enterprise's subscribed APPs (built-ins first).
  const subscribed = useSubscribedApps(canView(role, 'apps'));
  const menu = useMemo(() => {
    const visible = ITEMS.filter((i) => i.key === 'developer/docs' || canView(role, (i.key === 'rule-chains' ? 'rulechains' : i.key.startsWith('analysis/') ? 'analysis' : i.key) as Resource));
    const apps = sortApps((subscribed.data ?? []).map((s) => s.app), i18n.language);
    const item = (i: (typeof ITEMS)[number]) => (i.key === 'apps' && apps.length
      ? { key: 'apps-menu', icon: i.icon, label: t(i.label), children: [
          { key: 'apps', label: t('common.all') },
          ...apps.map((a) => ({ key: `apps/${a.id}`, label: appName(a, i18n.language) })),
        ] }
      : { key: i.key, icon: i.icon, label: t(i.label) });
    if (collapsed) return visible.map(item); // group titles do not fit a folded menu
    return [
      ...visible.filter((i) => !i.group).map(item),
      { type: 'group' as const, key: 'g-iot', label: t('nav.iot'), children: visible.filter((i) => i.group === 'iot').map(item) },
      { type: 'group' as const, key: 'g-platform', label: t('myApps.group'), children: visible.filter((i) => i.group === 'platform').map(item) },
      { type: 'group' as const, key: 'g-analysis', label: t('analysis.nav'), children: visible.filter((i) => i.group === 'analysis').map(item) },
      { type: 'group' as const, key: 'g-mgmt', label: t('nav.management'), children: visible.filter((i) => i.group === 'management').map(item) },
    ];
  }, [role, t, collapsed, subscribed.data, i18n.language]);

  // The APPs submenu opens whenever an APP page is shown (also when reached from elsewhere).
  const [openKeys, setOpenKeys] = useState<string[]>([]);
  const onAppPage = location.pathname.startsWith('/apps');
  useEffect(() => {
    if (onAppPage) setOpenKeys((k) => (k.includes('apps-menu') ? k : [...k, 'apps-menu']));
  }, [onAppPage]);

  const selected = location.pathname.startsWith('/developer/docs') ? 'developer/docs'
    : location.pathname.startsWith('/apps/') || location.pathname.startsWith('/analysis/') ? location.pathname.slice(1).split('/').slice(0, 2).join('/')
    : location.pathname.split('/')[1] || 'overview';

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={64} trigger={null} collapsible collapsed={collapsed} onCollapse={setCollapsed}
        theme="light" width={220}
        style={{ borderInlineEnd: `1px solid ${token.colorBorderSecondary}`, background: token.colorBgContainer }}>
        <div style={{ height: 56, display: 'flex', alignItems: 'center', gap: 10, padding: collapsed ? '0 18px' : '0 20px' }}>
          <img src="/favicon.svg" alt="" width={28} height={28} />
          {!collapsed && <Typography.Text strong style={{ fontSize: 17, whiteSpace: 'nowrap' }}>{t('app.name')}</Typography.Text>}
        </div>
        <Menu mode="inline" selectedKeys={[selected]} items={menu} openKeys={collapsed ? undefined : openKeys} onOpenChange={setOpenKeys} style={{ borderInlineEnd: 0 }}
          onClick={(e) => navigate(`/${e.key === 'overview' ? '' : e.key}`)} data-testid="nav" />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: token.colorBgContainer, padding: compact ? '0 8px' : '0 20px', display: 'flex', alignItems: 'center',
          justifyContent: 'space-between', gap: 16, borderBottom: `1px solid ${token.colorBorderSecondary}`, height: 56 }}>
          <Button type="text" icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />} onClick={() => setCollapsed(!collapsed)}
            aria-label="menu" />
          <Space size={compact ? 'small' : 'middle'}>
            <Dropdown
              menu={{ items: LANGUAGES.map((l) => ({ key: l.code, label: l.label })), selectedKeys: [i18n.language],
                onClick: (e) => void i18n.changeLanguage(e.key) }}>
              <Button type="text" icon={<GlobalOutlined />} data-testid="lang-switch" aria-label={t('header.language')}>
                {compact ? null : LANGUAGES.find((l) => l.code === i18n.language)?.label ?? i18n.language}
              </Button>
            </Dropdown>
            <Segmented size="small" value={theme} onChange={(v) => setTheme(v as 'light' | 'dark')} data-testid="theme-switch"
              options={[{ value: 'light', icon: <SunOutlined />, title: t('header.light') }, { value: 'dark', icon: <MoonOutlined />, title: t('header.dark') }]} />
            <Dropdown menu={{ items: [{ key: 'logout', icon: <LogoutOutlined />, label: t('header.logout') }], onClick: () => logout('logout') }}>
              <Button type="text" icon={<UserOutlined />} data-testid="user-menu">
                {!compact && <>
                  {session?.user.displayName || session?.user.username}
                  <Tag color="blue" style={{ marginInlineStart: 8 }}>{role ? t(`roles.${role}`) : ''}</Tag>
                </>}
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: compact ? 10 : 20, minWidth: 0 }}>
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
