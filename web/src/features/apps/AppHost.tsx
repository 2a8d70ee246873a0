// /apps/:appId — an APP's UI inside the console, in <iframe sandbox="allow-scripts allow-downloads">
// (opaque origin: no token, no cookies, no network by the UI route's CSP; the server puts the SDK
// first in its <head>); kaiwu.call / download / resize come back over postMessage.
import { Alert, Button, Empty, Select, Skeleton, Space, Tag, Typography } from 'antd';
import { OrderedListOutlined, ShopOutlined } from '@ant-design/icons';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { call } from '../../api/client';
import { useSession } from '../../auth/session';
import { canView } from '../../auth/permissions';
import { ErrorAlert } from '../../components/ErrorAlert';
import { usePreferences } from '../../preferences';
import { appName, useApp, useEnterprises, useSubscriptions } from './api';
import { callFunction, downloadFile, isFrameMessage, uiFile, type InitPayload } from './bridge';

export function AppHostPage() {
  const { appId = '' } = useParams();
  const { t, i18n } = useTranslation();
  const { theme } = usePreferences();
  const { session } = useSession();
  const user = session?.user;
  const app = useApp(appId);
  const subs = useSubscriptions(appId);
  const tenantWide = !user?.enterpriseId;
  const enterprises = useEnterprises(tenantWide);
  const [chosen, setChosen] = useState<string | null>(null);
  const subscribed = useMemo(() => subs.data?.items ?? [], [subs.data]);
  const enterpriseId = user?.enterpriseId || chosen || subscribed[0]?.enterpriseId || '';
  const entry = uiFile(app.data?.manifest?.ui?.entry);
  const hasUi = !!app.data?.manifest?.ui;
  const frame = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState(600);
  const [bridgeError, setBridgeError] = useState<string | null>(null);

  // One metered visit per opening of the page (per enterprise acted for).
  useEffect(() => {
    if (!appId || !enterpriseId) return;
    call('POST', `/api/v1/apps/${appId}/visit`, undefined, tenantWide ? { enterpriseId } : undefined).catch(() => undefined);
  }, [appId, enterpriseId, tenantWide]);

  const init = useMemo<InitPayload>(() => ({
    appId, lang: i18n.language === 'en' ? 'en' : 'zh-CN', theme, enterpriseId,
    user: { name: user?.displayName || user?.username || '', role: user?.role ?? '' },
  }), [appId, i18n.language, theme, enterpriseId, user]);
  const initRef = useRef(init);
  const sentInit = useRef(false);

  const postToFrame = useCallback((m: object) => frame.current?.contentWindow?.postMessage(m, '*'), []);
  const onLoad = useCallback(() => {
    sentInit.current = true;
    postToFrame({ kaiwu: 'init', ...initRef.current });
  }, [postToFrame]);

  useEffect(() => {
    const before = initRef.current;
    initRef.current = init;
    if (!sentInit.current) return;
    if (before.enterpriseId !== init.enterpriseId) postToFrame({ kaiwu: 'init', ...init });
    else if (before.lang !== init.lang || before.theme !== init.theme) postToFrame({ kaiwu: 'change', lang: init.lang, theme: init.theme });
  }, [init, postToFrame]);

  useEffect(() => {
    const onMessage = (ev: MessageEvent) => {
      if (!frame.current || ev.source !== frame.current.contentWindow) return; // only our frame
      const m: unknown = ev.data;
      if (!isFrameMessage(m)) return;
      const { appId: id, enterpriseId: ent } = initRef.current;
      if (m.kaiwu === 'resize') setHeight(Math.min(20_000, Math.max(200, Math.ceil(m.height))));
      else if (m.kaiwu === 'call') void callFunction(id, tenantWide ? ent : '', m.fn, m.input, m.id).then(postToFrame);
      else if (m.kaiwu === 'download') downloadFile(id, tenantWide ? ent : '', m.fileId).catch((e: Error) => setBridgeError(e.message));
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [postToFrame, tenantWide]);

  if (app.isLoading) return <Skeleton active />;
  if (app.error) return <ErrorAlert error={app.error} />;
  const name = app.data ? appName(app.data, i18n.language) : appId;
  const entName = (id: string) => enterprises.data?.find((e) => e.id === id)?.name ?? id;

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle" data-testid="app-host">
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Space wrap>
          <Typography.Title level={3} style={{ margin: 0 }}>{name}</Typography.Title>
          <Tag>{app.data?.listedVersion}</Tag>
          {app.data?.publisher === 'kaiwu' && <Tag color="blue">{t('market.builtin')}</Tag>}
        </Space>
        <Space wrap>
          {tenantWide && subscribed.length > 0 && (
            <Select style={{ minWidth: 200 }} value={enterpriseId} onChange={setChosen} data-testid="host-enterprise"
              options={subscribed.map((s) => ({ value: s.enterpriseId, label: entName(s.enterpriseId) }))} />
          )}
          {canView(user?.role ?? null, 'appruns') && <Link to={`/market/${appId}/runs`}><Button icon={<OrderedListOutlined />}>{t('market.runs')}</Button></Link>}
          <Link to={`/market/${appId}`}><Button icon={<ShopOutlined />}>{t('market.detail')}</Button></Link>
        </Space>
      </Space>
      {bridgeError && <Alert type="error" showIcon closable message={bridgeError} onClose={() => setBridgeError(null)} />}
      {subs.error && <ErrorAlert error={subs.error} />}
      {!subs.isLoading && !subscribed.length && <Alert type="warning" showIcon message={t('myApps.notSubscribed')} />}
      {!hasUi && <Empty description={t('myApps.noUi')} />}
      {hasUi && enterpriseId && (
        <iframe ref={frame} key={`${appId}:${enterpriseId}`} title={name} sandbox="allow-scripts allow-downloads" onLoad={onLoad}
          src={`/api/v1/apps/${encodeURIComponent(appId)}/ui/${entry.split('/').map(encodeURIComponent).join('/')}`}
          data-testid="app-frame" style={{ width: '100%', height, border: 0, borderRadius: 8, display: 'block' }} />
      )}
    </Space>
  );
}
