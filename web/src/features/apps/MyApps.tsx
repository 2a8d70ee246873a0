// /apps — the enterprise's subscribed APPs (built-ins first); each opens its page /apps/:appId.
import { Button, Card, Col, Empty, Rate, Row, Skeleton, Space, Tag, Typography } from 'antd';
import { AppstoreOutlined, ShopOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { appName, sortApps, useSubscribedApps } from './api';

export function MyAppsPage() {
  const { t, i18n } = useTranslation();
  const subscribed = useSubscribedApps();
  const apps = sortApps((subscribed.data ?? []).map((s) => ({ ...s.app, subs: s.subscriptions })), i18n.language);
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="my-apps">
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('myApps.title')}</Typography.Title>
        <Link to="/market"><Button icon={<ShopOutlined />}>{t('market.title')}</Button></Link>
      </Space>
      {subscribed.error && <ErrorAlert error={subscribed.error} />}
      {subscribed.isLoading && <Skeleton active />}
      {!subscribed.isLoading && !apps.length && <Empty description={t('myApps.empty')} />}
      <Row gutter={[16, 16]}>
        {apps.map((a) => (
          <Col key={a.id} xs={24} sm={12} lg={8} xl={6}>
            <Link to={`/apps/${a.id}`} data-testid={`my-app-${a.id}`}>
              <Card hoverable size="small" title={<Space><AppstoreOutlined />{appName(a, i18n.language)}</Space>}
                extra={a.publisher === 'kaiwu' ? <Tag color="blue">{t('market.builtin')}</Tag> : null}>
                <Space direction="vertical" size={4}>
                  <Space wrap size={4}>
                    {a.manifest && <Tag color="geekblue">{t(`market.domains.${a.manifest.domain}`)}</Tag>}
                    <Tag>{a.listedVersion}</Tag>
                  </Space>
                  <Rate disabled allowHalf value={Math.round(a.rating.average * 2) / 2} style={{ fontSize: 14 }} />
                  <Typography.Text type="secondary">{t('myApps.enterprises', { count: a.subs.length })}</Typography.Text>
                </Space>
              </Card>
            </Link>
          </Col>
        ))}
      </Row>
    </Space>
  );
}
