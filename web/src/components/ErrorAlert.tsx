import { Alert, Button, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

// An API error shown in full: message, code and HTTP status, never swallowed.
export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  const message = api ? (api.code === 'network' ? `${t('error.network')}: ${api.message}` : api.message) : String((error as Error)?.message ?? error);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      message={t('error.title')}
      description={
        <Space direction="vertical" size={2}>
          <Typography.Text data-testid="error-message">{message}</Typography.Text>
          {api && api.code !== 'network' && (
            <Typography.Text type="secondary" data-testid="error-code">
              {t('error.code')}: <Typography.Text code>{api.code}</Typography.Text> · {t('error.status')}: {api.status}
            </Typography.Text>
          )}
        </Space>
      }
      action={onRetry && <Button size="small" onClick={onRetry}>{t('common.retry')}</Button>}
      style={{ marginBottom: 16 }}
    />
  );
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.code === 'network' ? error.message : `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
