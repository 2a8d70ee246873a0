// The title row of the park pages: "<name> · <page>", the UTC range, extra controls and the
// days switch (7 / 30 / 90).
import { Segmented, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export function ParkPageHeader({ title, name, range, days, onDays, children }: {
  title: string; name?: string; range?: { from: string; to: string }; days: number; onDays: (n: number) => void; children?: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
      <Space direction="vertical" size={0}>
        <Typography.Title level={3} style={{ margin: 0 }}>{name ? `${name} · ${title}` : title}</Typography.Title>
        {range && <Typography.Text type="secondary">{t('park.range', range)}</Typography.Text>}
      </Space>
      <Space wrap>
        {children}
        <Segmented value={days} onChange={(v) => onDays(Number(v))} data-testid="park-days"
          options={[7, 30, 90].map((n) => ({ value: n, label: t('park.daysN', { n }) }))} />
      </Space>
    </Space>
  );
}
