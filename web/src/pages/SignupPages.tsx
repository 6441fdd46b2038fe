// Self-service sign-up (when the server runs with CODITECT_SIGNUP=open): the form that
// queues a verification mail, and the page its link opens, which creates the account and
// the organisation's tenant and signs in.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError } from '../api/client';
import { auth } from '../api/endpoints';
import type { SsoProvider } from '../api/types';
import { AuthCard, useFinishSignIn } from '../components/AuthCard';
import { useMailConfigured } from '../components/MailBanner';
import { SsoButtons } from '../components/SsoButtons';
import { ErrorNotice, Notice, Spinner } from '../components/ui';
import { passwordProblem } from './AuthPages';

/** The sign-up form; the answer is always "check your inbox" (the server never says whether an address has an account). */
export function SignupPage() {
  const [form, setForm] = useState({ email: '', name: '', organisation: '', password: '', repeat: '' });
  const [signup, setSignup] = useState<'open' | 'off' | null>(null);
  const [providers, setProviders] = useState<SsoProvider[]>([]);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const mailConfigured = useMailConfigured();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });

  useEffect(() => {
    auth.setupStatus().then((s) => setSignup(s.signup ?? 'off'), () => setSignup(null));
    auth.providers().then((r) => setProviders(r.items), () => setProviders([]));
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = passwordProblem(form.password, form.repeat);
    if (problem) { setError(new Error(problem)); return; }
    setBusy(true);
    setError(null);
    try {
      const email = form.email.trim();
      await auth.signup({ email, name: form.name.trim(), password: form.password, organisation: form.organisation.trim() });
      setSentTo(email);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setSignup('off');
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const footer = <>Already have an account? <Link to="/login">Sign in</Link></>;
  if (sentTo && mailConfigured === false) {
    return (
      <AuthCard title="Mail not sent" footer={footer}>
        <Notice kind="warn"><span data-testid="mail-not-sent">A confirmation link for <strong>{sentTo}</strong> is queued but not sent: this server has no mail server configured. Ask the server&apos;s operator to configure mail.</span></Notice>
      </AuthCard>
    );
  }
  if (sentTo) {
    return (
      <AuthCard title="Check your inbox" footer={footer}>
        <Notice>We sent a link to <strong>{sentTo}</strong>. Open it within 24 hours to finish creating your account.</Notice>
        <p className="muted small">No mail after a few minutes? Look in your spam folder, or <button type="button" className="btn btn-ghost btn-small" onClick={() => setSentTo(null)}>try again</button>. If the address already has an account, the mail says so instead.</p>
      </AuthCard>
    );
  }
  if (signup === 'off') {
    return (
      <AuthCard title="Create an account" footer={footer}>
        <Notice kind="info">Sign-up is off on this server. Ask an owner of your organisation for an invitation.</Notice>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Create an account" footer={footer}>
      <form onSubmit={submit} className="form" aria-label="Sign up">
        <label>E-mail<input type="email" required autoComplete="email" value={form.email} onChange={set('email')} /></label>
        <label>Your name<input required autoComplete="name" value={form.name} onChange={set('name')} /></label>
        <label>Organisation<input required autoComplete="organization" value={form.organisation} onChange={set('organisation')} placeholder="Acme Ltd" /></label>
        <label>Password<input type="password" required autoComplete="new-password" value={form.password} onChange={set('password')} /></label>
        <label>Repeat password<input type="password" required autoComplete="new-password" value={form.repeat} onChange={set('repeat')} /></label>
        <ErrorNotice error={error} />
        <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Sending…' : 'Create account'}</button>
      </form>
      <SsoButtons providers={providers} next={null} verb="Sign up with" />
    </AuthCard>
  );
}

/** A sentence for a refused verification link. */
function verifyProblem(err: unknown): string | null {
  if (!(err instanceof ApiError)) return null;
  if (err.code === 'token_expired' || err.status === 410) return 'This link was used already or has expired (links work for 24 hours). Sign up again to get a new one.';
  if (err.status === 404) return 'This link is not known to this server. Check that you opened the whole link from the mail, or sign up again.';
  if (err.status === 409) return 'An account with this e-mail address exists already. Sign in instead, or reset your password.';
  return null;
}

/** Opened from the verification mail: posts its token once, then signs in and opens the dashboard. */
export function VerifySignupPage() {
  const [params] = useSearchParams();
  const finish = useFinishSignIn();
  const token = params.get('token') ?? '';
  const [error, setError] = useState<unknown>(null);
  const sent = useRef(false);

  useEffect(() => {
    // Once only: a second post of a one-time token would be refused (React runs effects twice in development).
    if (!token || sent.current) return;
    sent.current = true;
    auth.verifySignup(token).then((s) => finish(s, '/'), (err) => {
      const problem = verifyProblem(err);
      setError(problem ? new Error(problem) : err);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [token]);

  const footer = <><Link to="/login">Sign in</Link> · <Link to="/signup">Sign up</Link></>;
  if (!token) return <AuthCard title="Confirm your e-mail" footer={footer}><Notice kind="warn">This link has no token. Open the link from your e-mail again.</Notice></AuthCard>;
  return (
    <AuthCard title="Confirm your e-mail" footer={error ? footer : undefined}>
      {error ? <ErrorNotice error={error} /> : <Spinner label="Creating your account…" />}
    </AuthCard>
  );
}
