// Pages for people who are not signed in: sign-in, first-run setup, invitation acceptance
// and password reset.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../api/client';
import { auth } from '../api/endpoints';
import type { SessionInfo } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { ThemeToggle } from '../components/Layout';
import { ErrorNotice, Notice } from '../components/ui';

const MIN_PASSWORD = 10;
const MAX_PASSWORD = 200;

/** Why a new password is not acceptable, or null. */
export function passwordProblem(pw: string, repeat: string): string | null {
  if ([...pw].length < MIN_PASSWORD) return `Use at least ${MIN_PASSWORD} characters.`;
  if ([...pw].length > MAX_PASSWORD) return `Use at most ${MAX_PASSWORD} characters.`;
  if (pw !== repeat) return 'The two passwords differ.';
  return null;
}

function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="auth-page">
      <div className="auth-card card">
        <div className="brand auth-brand"><span className="brand-mark" aria-hidden>✓</span> CODITECT License Server</div>
        <h1>{title}</h1>
        {children}
        {footer && <div className="auth-footer small">{footer}</div>}
      </div>
      <ThemeToggle />
    </div>
  );
}

/** A safe place to go after sign-in: a dashboard path only, never another site. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function useFinish() {
  const { signedIn } = useAuth();
  const navigate = useNavigate();
  return (s: SessionInfo, to: string) => { signedIn(s); navigate(to, { replace: true }); };
}

export function LoginPage() {
  const { user } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const finish = useFinish();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    auth.setupStatus().then((s) => { if (s.setup_required) navigate('/setup', { replace: true }); }, () => {});
  }, [navigate]);

  if (user) return <Navigate to={safeNext(params.get('next'))} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      finish(await auth.login(email.trim(), password), safeNext(params.get('next')));
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'invalid_credentials' ? new Error('Wrong e-mail or password.') : err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Sign in" footer={<><Link to="/forgot-password">Forgot your password?</Link> · <Link to="/setup">First-run setup</Link></>}>
      <form onSubmit={submit} className="form">
        <label>E-mail<input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} /></label>
        <label>Password<input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></label>
        <ErrorNotice error={error} />
        <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </AuthCard>
  );
}

export function SetupPage() {
  const finish = useFinish();
  const [form, setForm] = useState({ bootstrap_token: '', name: '', email: '', password: '', repeat: '' });
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });

  useEffect(() => {
    auth.setupStatus().then((s) => setDone(!s.setup_required), () => {});
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = passwordProblem(form.password, form.repeat);
    if (problem) { setError(new Error(problem)); return; }
    setBusy(true);
    setError(null);
    try {
      const { repeat: _r, ...body } = form;
      finish(await auth.setup({ ...body, email: body.email.trim(), bootstrap_token: body.bootstrap_token.trim() }), '/staff');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(new Error('That bootstrap token is not right. It is CODITECT_BOOTSTRAP_TOKEN, or the content of <data dir>/bootstrap-token.'));
      else if (err instanceof ApiError && err.code === 'conflict') { setDone(true); setError(null); }
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthCard title="First-run setup" footer={<Link to="/login">Back to sign-in</Link>}>
      {done ? (
        <Notice kind="info">This server is already set up. <Link to="/login">Sign in</Link> instead.</Notice>
      ) : (
        <form onSubmit={submit} className="form">
          <p className="muted small">Create the first staff account. Prove you run this server with its bootstrap token (<code>CODITECT_BOOTSTRAP_TOKEN</code>, or the file <code>bootstrap-token</code> in the data directory).</p>
          <label>Bootstrap token<input type="password" required autoComplete="off" value={form.bootstrap_token} onChange={set('bootstrap_token')} /></label>
          <label>Your name<input required autoComplete="name" value={form.name} onChange={set('name')} /></label>
          <label>E-mail<input type="email" required autoComplete="username" value={form.email} onChange={set('email')} /></label>
          <label>Password<input type="password" required autoComplete="new-password" value={form.password} onChange={set('password')} /></label>
          <label>Repeat password<input type="password" required autoComplete="new-password" value={form.repeat} onChange={set('repeat')} /></label>
          <ErrorNotice error={error} />
          <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Creating…' : 'Create staff account'}</button>
        </form>
      )}
    </AuthCard>
  );
}

export function AcceptInvitePage() {
  const [params] = useSearchParams();
  const finish = useFinish();
  const token = params.get('token') ?? '';
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [existing, setExisting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = existing ? null : passwordProblem(password, repeat);
    if (problem) { setError(new Error(problem)); return; }
    setBusy(true);
    setError(null);
    try {
      finish(await auth.acceptInvitation(token, name.trim() || 'Member', password), '/');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'invalid_credentials') setError(new Error('An account with this e-mail exists: enter its password.'));
      else if (err instanceof ApiError && (err.code === 'token_expired' || err.status === 404)) setError(new Error('This invitation is used, expired or unknown. Ask for a new one.'));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!token) return <AuthCard title="Accept invitation"><Notice kind="warn">This link has no invitation token. Open the link from your e-mail again.</Notice></AuthCard>;
  return (
    <AuthCard title="Accept invitation" footer={<Link to="/login">Sign in instead</Link>}>
      <form onSubmit={submit} className="form">
        <label className="check"><input type="checkbox" checked={existing} onChange={(e) => setExisting(e.target.checked)} /> I already have an account on this server</label>
        {!existing && <label>Your name<input required autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} /></label>}
        <label>{existing ? 'Your password' : 'Choose a password'}<input type="password" required autoComplete={existing ? 'current-password' : 'new-password'} value={password} onChange={(e) => setPassword(e.target.value)} /></label>
        {!existing && <label>Repeat password<input type="password" required autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} /></label>}
        <ErrorNotice error={error} />
        <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Joining…' : 'Join'}</button>
      </form>
    </AuthCard>
  );
}

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await auth.requestReset(email.trim());
      setSent(true);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <AuthCard title="Reset your password" footer={<Link to="/login">Back to sign-in</Link>}>
      {sent ? (
        <Notice>If an account uses {email}, a reset link is on its way. It works for one hour.</Notice>
      ) : (
        <form onSubmit={submit} className="form">
          <label>E-mail<input type="email" required autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} /></label>
          <ErrorNotice error={error} />
          <button type="submit" className="btn btn-primary">Send reset link</button>
        </form>
      )}
    </AuthCard>
  );
}

export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const finish = useFinish();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = passwordProblem(password, repeat);
    if (problem) { setError(new Error(problem)); return; }
    setError(null);
    try {
      finish(await auth.confirmReset(token, password), '/');
    } catch (err) {
      if (err instanceof ApiError && (err.code === 'token_expired' || err.status === 404)) setError(new Error('This reset link is used, expired or unknown. Ask for a new one.'));
      else setError(err);
    }
  };
  if (!token) return <AuthCard title="Choose a new password"><Notice kind="warn">This link has no reset token. <Link to="/forgot-password">Ask for a new link.</Link></Notice></AuthCard>;
  return (
    <AuthCard title="Choose a new password" footer={<Link to="/login">Back to sign-in</Link>}>
      <form onSubmit={submit} className="form">
        <label>New password<input type="password" required autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} /></label>
        <label>Repeat password<input type="password" required autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} /></label>
        <ErrorNotice error={error} />
        <button type="submit" className="btn btn-primary">Set password and sign in</button>
      </form>
    </AuthCard>
  );
}
