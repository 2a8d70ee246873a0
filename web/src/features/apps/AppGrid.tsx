// A grid of APP cards (marketplace, subscribed APPs): loading, error and empty states, the APP's
// name and a "built-in" tag in each card's head; the body is the caller's.
import { Card, Col, Empty, Row, Skeleton, Space, Tag } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { appName, type AppSummary } from './api';

interface Props<T extends AppSummary> {
  apps: T[]; loading: boolean; error: unknown; empty: string; icon?: ReactNode;
  href: (a: T) => string; testId: (a: T) => string; children: (a: T) => ReactNode;
}

export function AppGrid<T extends AppSummary>({ apps, loading, error, empty, icon, href, testId, children }: Props<T>) {
  const { t, i18n } = useTranslation();
  return (
    <>
      {error ? <ErrorAlert error={error} /> : null}
      {loading && <Skeleton active />}
      {!loading && !apps.length && <Empty description={empty} />}
      <Row gutter={[16, 16]}>
        {apps.map((a) => (
          <Col key={a.id} xs={24} sm={12} lg={8} xl={6}>
            <Link to={href(a)} data-testid={testId(a)}>
              <Card hoverable size="small" style={{ height: '100%' }} title={<Space>{icon}{appName(a, i18n.language)}</Space>}
                extra={a.publisher === 'kaiwu' ? <Tag color="blue">{t('market.builtin')}</Tag> : null}>
                {children(a)}
              </Card>
            </Link>
          </Col>
        ))}
      </Row>
    </>
  );
}
