// The live feed's connection state as a small badge (open, reconnecting, polling instead).
import { Badge, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';
import type { FeedState } from '../api/live';

const STATUS = { open: 'processing', connecting: 'default', reconnecting: 'warning', unavailable: 'error' } as const;

export function LiveState({ state }: { state: FeedState }) {
  const { t } = useTranslation();
  return (
    <Tooltip title={t(`live.hint.${state}`)}>
      <Badge status={STATUS[state]} text={t(`live.${state}`)} data-testid="live-state" data-state={state} />
    </Tooltip>
  );
}
