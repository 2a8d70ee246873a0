import { Card, Result, Tag } from 'antd';
import { useTranslation } from 'react-i18next';

// Alarms and rule chains: clearly marked as not yet available until their APIs ship.
export function PlaceholderPage({ title, text }: { title: string; text: string }) {
  const { t } = useTranslation();
  return (
    <Card>
      <Result status="info" title={<>{t(title)} <Tag>{t('common.notAvailable')}</Tag></>} subTitle={t(text)} />
    </Card>
  );
}
