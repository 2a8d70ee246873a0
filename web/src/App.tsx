import { App as AntApp, ConfigProvider, theme as antTheme } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useMemo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { ApiError } from './api/client';
import { SessionProvider, useSession } from './auth/session';
import { canView, type Resource } from './auth/permissions';
import { AppLayout } from './components/AppLayout';
import { PreferencesProvider, usePreferences } from './preferences';
import { DeviceDetailPage } from './pages/DeviceDetail';
import { DevicesPage } from './pages/Devices';
import { LoginPage } from './pages/Login';
import { ApiKeysPage, EnterprisesPage, ParksPage, TenantsPage, UsersPage } from './pages/Organisation';
import { OverviewPage } from './pages/Overview';
import { AlarmsPage } from './pages/Alarms';
import { RuleChainDetailPage } from './pages/RuleChainDetail';
import { RuleChainsPage } from './pages/RuleChains';
import { ProfilesPage } from './pages/Profiles';
import { DeveloperHome } from './features/devportal/DeveloperHome';
import { DocsPage } from './features/devportal/DocsPage';
import { RegisterPage } from './features/devportal/RegisterPage';
import { VerifyPage } from './features/devportal/VerifyPage';
import { MeteringPage } from './features/metering/MeteringPage';
import { DeclarationPage } from './features/declaration/DeclarationPage';
import { AppDetailPage } from './features/apps/AppDetail';
import { AppHostPage } from './features/apps/AppHost';
import { MarketplacePage } from './features/apps/Marketplace';
import { MyAppsPage } from './features/apps/MyApps';
import { ReviewsPage } from './features/apps/Reviews';
import { RunsPage } from './features/apps/Runs';
import { UploadPage } from './features/apps/Upload';
import { ModelCataloguePage } from './features/models/ModelCatalogue';
import { ModelDetailPage } from './features/models/ModelDetail';
import { IndicesPage } from './features/analysis/IndicesPage';
import { IndustryMapPage } from './features/analysis/IndustryMapPage';
import { SupplyChainPage } from './features/analysis/SupplyChainPage';
import { EnterpriseProfilePage } from './features/park/EnterpriseProfile';
import { ParkDashboardPage } from './features/park/ParkDashboard';
import { IndicatorsPage } from './features/report/IndicatorsPage';
import { SolutionsPage } from './features/report/SolutionsPage';

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Client errors (4xx) will not change by retrying; network and 5xx get one more try.
        retry: (n, e) => n < 1 && !(e instanceof ApiError && e.status >= 400 && e.status < 500),
        refetchOnWindowFocus: false,
        staleTime: 2000,
      },
    },
  });
}

function RequireSession({ children }: { children: ReactNode }) {
  const { session } = useSession();
  const location = useLocation();
  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return <>{children}</>;
}

function Guard({ resource, children }: { resource: Resource; children: ReactNode }) {
  const { session } = useSession();
  return canView(session?.user.role ?? null, resource) ? <>{children}</> : <Navigate to="/" replace />;
}

export function Themed({ children }: { children: ReactNode }) {
  const { i18n } = useTranslation();
  const { theme } = usePreferences();
  const config = useMemo(() => ({
    algorithm: theme === 'dark' ? antTheme.darkAlgorithm : antTheme.defaultAlgorithm,
    token: { colorPrimary: '#1668dc', borderRadius: 6,
      fontFamily: "-apple-system, BlinkMacSystemFont, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif" },
  }), [theme]);
  return (
    <ConfigProvider locale={i18n.language === 'en' ? enUS : zhCN} theme={config}>
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/register" element={<RegisterPage />} />
      <Route path="/verify" element={<VerifyPage />} />
      <Route element={<RequireSession><AppLayout /></RequireSession>}>
        <Route index element={<OverviewPage />} />
        <Route path="devices" element={<DevicesPage />} />
        <Route path="devices/:id" element={<DeviceDetailPage />} />
        <Route path="profiles" element={<ProfilesPage />} />
        <Route path="enterprises" element={<EnterprisesPage />} />
        <Route path="parks" element={<Guard resource="parks"><ParksPage /></Guard>} />
        <Route path="park-dashboard" element={<Guard resource="park-dashboard"><ParkDashboardPage /></Guard>} />
        <Route path="park-dashboard/:parkId" element={<Guard resource="park-dashboard"><ParkDashboardPage /></Guard>} />
        <Route path="enterprises/:id/profile" element={<EnterpriseProfilePage />} />
        <Route path="tenants" element={<Guard resource="tenants"><TenantsPage /></Guard>} />
        <Route path="users" element={<Guard resource="users"><UsersPage /></Guard>} />
        <Route path="apikeys" element={<Guard resource="apikeys"><ApiKeysPage /></Guard>} />
        <Route path="alarms" element={<AlarmsPage />} />
        <Route path="rule-chains" element={<Guard resource="rulechains"><RuleChainsPage /></Guard>} />
        <Route path="rule-chains/:id" element={<Guard resource="rulechains"><RuleChainDetailPage /></Guard>} />
        <Route path="developer" element={<Guard resource="developer"><DeveloperHome /></Guard>} />
        <Route path="developer/docs" element={<DocsPage />} />
        <Route path="metering" element={<Guard resource="metering"><MeteringPage /></Guard>} />
        <Route path="declaration" element={<Guard resource="declaration"><DeclarationPage /></Guard>} />
        <Route path="market" element={<MarketplacePage />} />
        <Route path="market/reviews" element={<Guard resource="appreviews"><ReviewsPage /></Guard>} />
        <Route path="market/upload" element={<Guard resource="appupload"><UploadPage /></Guard>} />
        <Route path="market/:appId" element={<AppDetailPage />} />
        <Route path="market/:appId/runs" element={<Guard resource="appruns"><RunsPage /></Guard>} />
        <Route path="apps" element={<Guard resource="apps"><MyAppsPage /></Guard>} />
        <Route path="apps/:appId" element={<Guard resource="apps"><AppHostPage /></Guard>} />
        <Route path="models" element={<ModelCataloguePage />} />
        <Route path="models/:id" element={<ModelDetailPage />} />
        <Route path="analysis/map" element={<IndustryMapPage />} />
        <Route path="analysis/indices" element={<IndicesPage />} />
        <Route path="analysis/supply-chain" element={<SupplyChainPage />} />
        <Route path="indicators" element={<Guard resource="indicators"><IndicatorsPage /></Guard>} />
        <Route path="solutions" element={<SolutionsPage />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}

export default function App() {
  const client = useMemo(makeQueryClient, []);
  return (
    <PreferencesProvider>
      <Themed>
        <QueryClientProvider client={client}>
          <SessionProvider>
            <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
              <AppRoutes />
            </BrowserRouter>
          </SessionProvider>
        </QueryClientProvider>
      </Themed>
    </PreferencesProvider>
  );
}
