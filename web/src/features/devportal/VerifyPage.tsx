import { Button, Form, Input, Result, Spin } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { resendVerification, verifyToken, type Verified } from './api';
import { PublicShell } from './RegisterPage';

// The landing page of the verification e-mail's link: /verify?token=…
export function VerifyPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [state, setState] = useState<{ ok?: Verified; error?: unknown }>({});
  const [resent, setResent] = useState(false);
  const started = useRef(false); // verify once, also under StrictMode's double effects

  useEffect(() => {
    if (!token || started.current) return;
    started.current = true;
    verifyToken(token).then((ok) => setState({ ok }), (error: unknown) => setState({ error }));
  }, [token]);

  const resend = async (v: { email: string }) => {
    try {
      await resendVerification(v.email.trim());
      setResent(true);
    } catch (error) {
      setState((s) => ({ ...s, error }));
    }
  };

  let body: React.ReactNode;
  if (!token) body = <Result status="warning" title={t('devportal.verifyFailed')} subTitle={t('devportal.noToken')} />;
  else if (state.ok)
    body = <div data-testid="verify-ok"><Result status="success" title={t('devportal.verifiedTitle')}
      subTitle={t('devportal.verifiedText', { username: state.ok.username })}
      extra={<Link to="/login"><Button type="primary" data-testid="verify-login">{t('devportal.goLogin')}</Button></Link>} /></div>;
  else if (state.error === undefined) body = <div style={{ textAlign: 'center', padding: 32 }}><Spin tip={t('devportal.verifying')}><div /></Spin></div>;
  else
    body = (
      <>
        <div data-testid="verify-failed"><Result status="error" title={t('devportal.verifyFailed')} /></div>
        <ErrorAlert error={state.error} />
        {resent ? <Result status="info" title={t('devportal.resent')} /> : (
          <Form layout="inline" onFinish={resend} style={{ marginTop: 16 }}>
            <Form.Item name="email" rules={[{ required: true, type: 'email', message: t('devportal.emailInvalid') }]}>
              <Input placeholder={t('devportal.email')} />
            </Form.Item>
            <Button htmlType="submit">{t('devportal.resend')}</Button>
          </Form>
        )}
      </>
    );
  return <PublicShell title={t('devportal.verifyTitle')}>{body}</PublicShell>;
}
