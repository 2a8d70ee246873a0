import { Select } from 'antd';
import { useTranslation } from 'react-i18next';
import { useParks } from './api';

// "All enterprises in my scope" or one park.
export function ParkSelect({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const { t } = useTranslation();
  const parks = useParks();
  return (
    <Select style={{ minWidth: 240 }} value={value} onChange={onChange} data-testid="analysis-park" aria-label={t('analysis.park')}
      options={[{ value: '', label: t('analysis.allParks') }, ...(parks.data ?? []).map((p) => ({ value: p.id, label: p.name }))]} />
  );
}
