// JSON editor for a thing model with live validation (the same rules the server applies).
import { Alert, Button, Input, Space } from 'antd';
import { useTranslation } from 'react-i18next';
import { checkThingModel, EXAMPLE_THING_MODEL } from '../thingModel';

export function ThingModelEditor({ value, onChange }: { value?: string; onChange?: (v: string) => void }) {
  const { t } = useTranslation();
  const text = value ?? '';
  const check = text.trim() ? checkThingModel(text) : null;
  const format = () => {
    try {
      onChange?.(JSON.stringify(JSON.parse(text), null, 2));
    } catch {
      /* the error is already shown */
    }
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space>
        <Button size="small" onClick={format} disabled={!check?.ok}>{t('profiles.format')}</Button>
        <Button size="small" onClick={() => onChange?.(JSON.stringify(EXAMPLE_THING_MODEL, null, 2))}>{t('profiles.template')}</Button>
      </Space>
      <Input.TextArea value={text} onChange={(e) => onChange?.(e.target.value)} rows={14} spellCheck={false}
        data-testid="thing-model-editor" style={{ fontFamily: 'ui-monospace, Menlo, Consolas, monospace', fontSize: 12.5 }} />
      {check && (check.ok
        ? <Alert type="success" showIcon data-testid="thing-model-status"
            message={t('profiles.validHint', { props: check.counts!.properties, events: check.counts!.events, services: check.counts!.services })} />
        : <Alert type="error" showIcon data-testid="thing-model-status" message={check.error} />)}
    </Space>
  );
}
