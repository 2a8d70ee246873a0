import { Alert, Button, Card, Dropdown, Form, Input, Typography } from 'antd';
import { GlobalOutlined, LockOutlined, UserOutlined } from '@ant-design/icons';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useLocation } from 'react-router-dom';
import { useSession } from '../auth/session';
import { ErrorAlert } from '../components/ErrorAlert';
import { LANGUAGES } from '../i18n';

export function LoginPage() {
  const { t, i18n } = useTranslation();
  const { session, login, signOutReason } = useSession();
  const location = useLocation();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (session) {
    const from = (location.state as { from?: string } | null)?.from;
    return <Navigate to={from && from !== '/login' ? from : '/'} replace />;
  }
  const submit = async (v: { username: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      await login(v.username, v.password);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', padding: 16,
      background: 'linear-gradient(135deg, #0b2a5b 0%, #1668dc 55%, #4096ff 100%)' }}>
      <Card style={{ width: 380, maxWidth: '100%', boxShadow: '0 12px 40px rgba(0,0,0,0.25)' }}
        extra={<Dropdown menu={{ items: LANGUAGES.map((l) => ({ key: l.code, label: l.label })), onClick: (e) => void i18n.changeLanguage(e.key) }}>
          <Button type="text" size="small" icon={<GlobalOutlined />} data-testid="login-lang">{LANGUAGES.find((l) => l.code === i18n.language)?.label}</Button>
        </Dropdown>}
        title={<span style={{ display: 'flex', alignItems: 'center', gap: 10 }}><img src="/favicon.svg" alt="" width={28} height={28} />{t('app.fullName')}</span>}>
        <Typography.Paragraph type="secondary">{t('app.tagline')}</Typography.Paragraph>
        {signOutReason === 'expired' && <Alert type="warning" showIcon message={t('login.expired')} style={{ marginBottom: 16 }} data-testid="session-expired" />}
        {error !== null && <ErrorAlert error={error} />}
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item name="username" label={t('login.username')} rules={[{ required: true, message: t('login.usernameRequired') }]}>
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">{t('login.submit')}</Button>
        </Form>
        <div style={{ marginTop: 16, textAlign: 'center' }}><Link to="/register" data-testid="login-register">{t('devportal.registerLink')}</Link></div>
      </Card>
    </div>
  );
}
