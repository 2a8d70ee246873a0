import { App, Button, Card, Form, Input, Result, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { registerDeveloper, resendVerification, type Registered } from './api';

interface Values { email: string; name: string; organisation?: string; password: string; confirm: string }

export function PublicShell({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', padding: 16,
      background: 'linear-gradient(135deg, #0b2a5b 0%, #1668dc 55%, #4096ff 100%)' }}>
      <Card style={{ width: 460, maxWidth: '100%', boxShadow: '0 12px 40px rgba(0,0,0,0.25)' }}
        title={<span style={{ display: 'flex', alignItems: 'center', gap: 10 }}><img src="/favicon.svg" alt="" width={28} height={28} />{title}</span>}>
        {children}
      </Card>
    </div>
  );
}

export function RegisterPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Registered | null>(null);

  const submit = async (v: Values) => {
    setBusy(true);
    setError(null);
    try {
      setDone(await registerDeveloper({ email: v.email.trim(), name: v.name.trim(), password: v.password, organisation: v.organisation?.trim() || undefined }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const resend = async () => {
    if (!done) return;
    setError(null);
    try {
      await resendVerification(done.email);
      void message.success(t('devportal.resent'));
    } catch (e) {
      setError(e);
    }
  };

  if (done) {
    const hours = Math.max(1, Math.round((done.tokenExpiresAt - Date.now()) / 3_600_000));
    return (
      <PublicShell title={t('devportal.registerTitle')}>
        <div data-testid="register-done"><Result status="success" title={t('devportal.registeredTitle')}
          subTitle={t('devportal.registeredText', { email: done.email, hours })}
          extra={[<Button key="resend" onClick={resend} data-testid="register-resend">{t('devportal.resend')}</Button>,
            <Link key="login" to="/login"><Button type="primary">{t('devportal.goLogin')}</Button></Link>]} /></div>
        {error !== null && <ErrorAlert error={error} />}
      </PublicShell>
    );
  }
  return (
    <PublicShell title={t('devportal.registerTitle')}>
      <Typography.Paragraph type="secondary">{t('devportal.registerIntro')}</Typography.Paragraph>
      {error !== null && <ErrorAlert error={error} />}
      <Form<Values> layout="vertical" onFinish={submit} requiredMark={false} data-testid="register-form">
        <Form.Item name="email" label={t('devportal.email')}
          rules={[{ required: true, message: t('devportal.emailRequired') }, { type: 'email', message: t('devportal.emailInvalid') }]}>
          <Input autoComplete="email" autoFocus />
        </Form.Item>
        <Form.Item name="name" label={t('devportal.name')} rules={[{ required: true, whitespace: true, message: t('devportal.nameRequired') }]}>
          <Input autoComplete="name" maxLength={128} />
        </Form.Item>
        <Form.Item name="organisation" label={t('devportal.organisation')}>
          <Input autoComplete="organization" maxLength={128} />
        </Form.Item>
        <Form.Item name="password" label={t('devportal.password')} extra={t('devportal.passwordHint')}
          rules={[{ required: true, min: 10, message: t('devportal.passwordRequired') }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item name="confirm" label={t('devportal.confirm')} dependencies={['password']}
          rules={[{ required: true, message: t('devportal.confirmMismatch') },
            ({ getFieldValue }) => ({ validator: (_, v) => (!v || v === getFieldValue('password') ? Promise.resolve() : Promise.reject(new Error(t('devportal.confirmMismatch')))) })]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy} data-testid="register-submit">{t('devportal.submit')}</Button>
      </Form>
      <div style={{ marginTop: 16, textAlign: 'center' }}><Link to="/login">{t('devportal.haveAccount')}</Link></div>
    </PublicShell>
  );
}
