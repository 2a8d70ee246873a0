// A JSON text editor: monospace, with the syntax error's line and column under it (clicking it
// puts the cursor there).
import { Alert, Input, Typography } from 'antd';
import type { TextAreaRef } from 'antd/es/input/TextArea';
import { useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { parseJson } from '../ruleChain';

export function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  let off = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
  return Math.min(text.length, off + column - 1);
}

export function JsonEditor({ value, onChange, rows = 22, testId }: { value: string; onChange: (v: string) => void; rows?: number; testId?: string }) {
  const { t } = useTranslation();
  const ref = useRef<TextAreaRef>(null);
  const problem = useMemo(() => (value.trim() ? parseJson(value).problem : null), [value]);
  const jump = () => {
    const el = ref.current?.resizableTextArea?.textArea;
    if (!el || !problem) return;
    const at = offsetOf(value, problem.line, problem.column);
    el.focus();
    el.setSelectionRange(at, Math.min(value.length, at + 1));
  };
  return (
    <>
      <Input.TextArea ref={ref} value={value} onChange={(e) => onChange(e.target.value)} rows={rows} spellCheck={false}
        status={problem ? 'error' : undefined} data-testid={testId}
        style={{ fontFamily: 'ui-monospace, Menlo, Consolas, monospace', fontSize: 12.5, lineHeight: 1.5 }} />
      {problem && (
        <Alert type="error" showIcon style={{ marginTop: 8, cursor: 'pointer' }} onClick={jump} data-testid="json-error"
          message={<Typography.Text>{t('ruleChains.jsonError', { ...problem })}</Typography.Text>} />
      )}
    </>
  );
}
