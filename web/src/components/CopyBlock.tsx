import { Button, message } from 'antd';
import { CopyOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';

// A shell snippet or secret in a monospace block with a copy button.
export function CopyBlock({ text, testId }: { text: string; testId?: string }) {
  const { t } = useTranslation();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      void message.success(t('common.copied'));
    } catch {
      /* clipboard unavailable (http): the text is selectable */
    }
  };
  return (
    <div style={{ position: 'relative' }}>
      <pre
        data-testid={testId}
        style={{
          margin: 0, padding: '10px 44px 10px 12px', borderRadius: 6, background: 'rgba(127,127,127,0.12)',
          whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: 12.5, fontFamily: 'ui-monospace, Menlo, Consolas, monospace',
        }}
      >
        {text}
      </pre>
      <Button aria-label={t('common.copy')} size="small" type="text" icon={<CopyOutlined />} onClick={copy}
        style={{ position: 'absolute', top: 6, right: 6 }} />
    </div>
  );
}
