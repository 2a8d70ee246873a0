import { Collapse, Empty, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useDocs, type DocOperation } from './api';

const METHOD_COLOR: Record<string, string> = { get: 'blue', post: 'green', patch: 'orange', put: 'orange', delete: 'red' };

// The API reference from the server's OpenAPI document, one panel per tag.
export function DocsPage() {
  const { t } = useTranslation();
  const docs = useDocs();
  const columns = [
    { title: t('devportal.method'), dataIndex: 'method', width: 90,
      render: (m: string) => <Tag color={METHOD_COLOR[m] ?? 'default'}>{m.toUpperCase()}</Tag> },
    { title: t('devportal.path'), dataIndex: 'path', render: (p: string) => <Typography.Text code>{p}</Typography.Text> },
    { title: t('devportal.summary'), dataIndex: 'summary' },
    { title: t('devportal.access'), key: 'access', width: 200,
      render: (_: unknown, o: DocOperation) => (o.public ? <Tag color="green">{t('devportal.public')}</Tag>
        : (o.roles ?? []).length ? (o.roles ?? []).map((r) => <Tag key={r}>{t(`roles.${r}`)}</Tag>) : <Tag>{t('devportal.signedIn')}</Tag>) },
  ];
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="docs-page">
      <Typography.Title level={3} style={{ margin: 0 }}>{t('devportal.docsTitle')}</Typography.Title>
      <Typography.Paragraph type="secondary">
        {t('devportal.docsIntro')} <a href="/api/v1/openapi.json" target="_blank" rel="noreferrer">{t('devportal.openapi')}</a>
      </Typography.Paragraph>
      {docs.error && <ErrorAlert error={docs.error} onRetry={() => void docs.refetch()} />}
      {docs.data && docs.data.tags.length === 0 && <Empty />}
      {docs.data && (
        <Collapse defaultActiveKey={['developers']} items={docs.data.tags.map((tag) => ({
          key: tag.name,
          label: <Space><Typography.Text strong>{tag.name}</Typography.Text>
            <Typography.Text type="secondary">{t('devportal.operations', { count: tag.operations.length })}</Typography.Text></Space>,
          children: <Table rowKey={(o) => `${o.method} ${o.path}`} size="small" pagination={false} columns={columns} dataSource={tag.operations} />,
        }))} />
      )}
    </Space>
  );
}
