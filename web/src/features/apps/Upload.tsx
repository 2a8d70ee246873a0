// /market/upload — developers: register a publisher key, pick a package (`kaiwu app pack -k`),
// validate it first (each problem points at its JSON pointer or file:line, highlighted in the
// file), then upload it for review.
import { Alert, App as AntApp, Button, Card, Col, Collapse, Descriptions, Form, Input, List, Row, Space, Tag, Typography, theme as antTheme } from 'antd';
import { CloudUploadOutlined, FileSearchOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { call } from '../../api/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PermissionList } from './AppDetail';
import { appName, lineOfPointer, splitProblems, uploadPackage, validatePackage, type AppVersion, type Problem, type PublisherKey, type Validation } from './api';

// The package's files when it is JSON of the kaiwu-app/1 shape (for showing where a problem is).
export function packageFiles(text: string): Record<string, string> {
  try {
    const v = JSON.parse(text) as { files?: Record<string, unknown> };
    if (!v || typeof v.files !== 'object' || !v.files) return {};
    return Object.fromEntries(Object.entries(v.files).filter(([, c]) => typeof c === 'string')) as Record<string, string>;
  } catch {
    return {};
  }
}

// FileReader rather than Blob.text(): older engines (and jsdom) lack the latter.
export function readText(f: Blob): Promise<string> {
  return new Promise((ok, fail) => {
    const r = new FileReader();
    r.onload = () => ok(String(r.result));
    r.onerror = () => fail(r.error ?? new Error('cannot read the file'));
    r.readAsText(f);
  });
}

export function problemLine(p: Problem, files: Record<string, string>): number | null {
  if (p.line) return p.line;
  if (p.file && p.pointer && files[p.file] !== undefined) return lineOfPointer(files[p.file], p.pointer);
  return null;
}

function SourceView({ text, line }: { text: string; line: number | null }) {
  const { token } = antTheme.useToken();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => { ref.current?.querySelector('[data-hit="1"]')?.scrollIntoView?.({ block: 'center' }); }, [line, text]);
  const lines = text.split('\n');
  return (
    <div ref={ref} style={{ maxHeight: 360, overflow: 'auto', fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: 12,
      border: `1px solid ${token.colorBorderSecondary}`, borderRadius: 6, background: token.colorFillQuaternary }} data-testid="source-view">
      {lines.map((l, i) => {
        const hit = line === i + 1;
        return (
          <div key={i} data-hit={hit ? '1' : undefined} data-testid={hit ? 'problem-line' : undefined}
            style={{ display: 'flex', whiteSpace: 'pre', background: hit ? token.colorErrorBg : undefined, borderLeft: `3px solid ${hit ? token.colorError : 'transparent'}` }}>
            <span style={{ width: 40, textAlign: 'right', paddingRight: 8, color: token.colorTextQuaternary, userSelect: 'none', flex: 'none' }}>{i + 1}</span>
            <span>{l}</span>
          </div>
        );
      })}
    </div>
  );
}

function PublisherKeyForm({ publisher }: { publisher: string }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ publisher: string; publicKey: string }>();
  useEffect(() => { if (publisher && !form.getFieldValue('publisher')) form.setFieldsValue({ publisher }); }, [publisher, form]);
  const add = useMutation({
    mutationFn: (v: { publisher: string; publicKey: string }) =>
      call<PublisherKey>('POST', `/api/v1/apps/publishers/${encodeURIComponent(v.publisher)}/keys`, { publicKey: v.publicKey }),
  });
  return (
    <Form form={form} layout="vertical" onFinish={(v) => add.mutate(v)}>
      <Typography.Paragraph type="secondary">{t('upload.keyHint')}</Typography.Paragraph>
      {add.error && <ErrorAlert error={add.error} />}
      {add.data && <Alert type="success" showIcon style={{ marginBottom: 12 }} data-testid="key-registered"
        message={t('upload.keyRegistered', { publisher: add.data.publisher })} description={<Typography.Text code>{add.data.fingerprint}</Typography.Text>} />}
      <Form.Item name="publisher" label={t('market.publisher')} rules={[{ required: true, whitespace: true }]}><Input data-testid="key-publisher" /></Form.Item>
      <Form.Item name="publicKey" label={t('upload.publicKey')} rules={[{ required: true, whitespace: true }]}>
        <Input.TextArea rows={4} placeholder="-----BEGIN PUBLIC KEY-----" data-testid="key-pem" style={{ fontFamily: 'monospace' }} />
      </Form.Item>
      <Button htmlType="submit" loading={add.isPending} data-testid="key-submit">{t('upload.registerKey')}</Button>
    </Form>
  );
}

export function UploadPage() {
  const { t, i18n } = useTranslation();
  const { message } = AntApp.useApp();
  const [name, setName] = useState('');
  const [text, setText] = useState<string | null>(null);
  const [selected, setSelected] = useState(0);
  const [uploaded, setUploaded] = useState<AppVersion | null>(null);
  const validate = useMutation({ mutationFn: validatePackage });
  const upload = useMutation({
    mutationFn: uploadPackage,
    onSuccess: (v) => { setUploaded(v); message.success(t('upload.uploaded')); },
  });
  const files = useMemo(() => (text ? packageFiles(text) : {}), [text]);
  const result: Validation | undefined = validate.data;
  const problems = useMemo(() => splitProblems(result?.errors ?? []), [result]);
  const current = problems[selected];
  const currentLine = current ? problemLine(current, files) : null;

  const pick = async (f: File | undefined) => {
    if (!f) return;
    const content = await readText(f);
    setName(f.name);
    setText(content);
    setSelected(0);
    setUploaded(null);
    upload.reset();
    validate.mutate(content);
  };

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="upload-page">
      <Typography.Title level={3} style={{ margin: 0 }}>{t('upload.title')}</Typography.Title>
      <Collapse size="small" items={[{ key: 'k', label: t('upload.keyTitle'), children: <PublisherKeyForm publisher={result?.manifest?.publisher ?? ''} /> }]} />
      <Card size="small" title={t('upload.packageTitle')}>
        <Typography.Paragraph type="secondary">{t('upload.hint')}</Typography.Paragraph>
        <Space wrap>
          <label>
            <input type="file" accept=".json,application/json" style={{ display: 'none' }} data-testid="package-file"
              onChange={(e) => { void pick(e.target.files?.[0]); e.target.value = ''; }} />
            <span className="ant-btn ant-btn-default" style={{ display: 'inline-flex', alignItems: 'center', gap: 6, padding: '4px 15px', cursor: 'pointer' }} role="button">
              <FileSearchOutlined />{t('upload.pick')}
            </span>
          </label>
          {name && <Typography.Text code data-testid="package-name">{name}</Typography.Text>}
        </Space>
      </Card>
      {validate.error && <ErrorAlert error={validate.error} />}
      {validate.isPending && <Alert type="info" message={t('upload.validating')} />}
      {result && !result.valid && (
        <Card size="small" title={<Typography.Text type="danger">{t('upload.invalid', { count: problems.length })}</Typography.Text>} data-testid="validation-errors">
          <Row gutter={16}>
            <Col xs={24} lg={10}>
              <List size="small" dataSource={problems} renderItem={(p, i) => (
                <List.Item onClick={() => setSelected(i)} style={{ cursor: 'pointer', background: i === selected ? 'rgba(255,77,79,0.08)' : undefined }} data-testid="validation-error">
                  <Space direction="vertical" size={2}>
                    <Space wrap size={4}>
                      {p.file && <Tag color="red" data-testid="error-location">{p.file}{p.pointer ? ` ${p.pointer}` : ''}{p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}</Tag>}
                    </Space>
                    <Typography.Text>{p.message}</Typography.Text>
                  </Space>
                </List.Item>
              )} />
            </Col>
            <Col xs={24} lg={14}>
              {current?.file && files[current.file] !== undefined
                ? <Space direction="vertical" style={{ width: '100%' }}><Typography.Text strong>{current.file}{currentLine ? `:${currentLine}` : ''}</Typography.Text>
                  <SourceView text={files[current.file]} line={currentLine} /></Space>
                : <Typography.Text type="secondary">{t('upload.noSource')}</Typography.Text>}
            </Col>
          </Row>
        </Card>
      )}
      {result?.valid && result.manifest && (
        <Card size="small" title={<Space><Tag color="green">{t('upload.valid')}</Tag>{appName({ manifest: result.manifest }, i18n.language)} {result.manifest.version}</Space>} data-testid="validation-ok">
          <Descriptions size="small" column={{ xs: 1, md: 3 }} items={[
            { key: 'id', label: 'ID', children: <Typography.Text code>{result.manifest.id}</Typography.Text> },
            { key: 'd', label: t('market.domain'), children: t(`market.domains.${result.manifest.domain}`) },
            { key: 'p', label: t('market.publisher'), children: result.manifest.publisher },
            { key: 'dg', label: 'SHA-256', children: <Typography.Text code style={{ fontSize: 12 }}>{result.digest}</Typography.Text>, span: 3 },
          ]} />
          <Typography.Title level={5}>{t('market.permissions')}</Typography.Title>
          <PermissionList permissions={result.manifest.permissions ?? []} />
          {upload.error && <ErrorAlert error={upload.error} />}
          {uploaded
            ? <Alert type="success" showIcon data-testid="upload-done" message={t('upload.pendingReview', { id: uploaded.appId, version: uploaded.version })}
                description={<Link to={`/market/${uploaded.appId}`}>{t('market.detail')}</Link>} />
            : <Button type="primary" icon={<CloudUploadOutlined />} loading={upload.isPending} onClick={() => text && upload.mutate(text)} data-testid="upload-submit">{t('upload.submit')}</Button>}
        </Card>
      )}
    </Space>
  );
}
