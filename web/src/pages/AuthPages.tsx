// Pages for people who are not signed in: sign-in (password, second factor, single sign-on),
// first-run setup, invitation acceptance and password reset. Sign-up is in SignupPages.
import { useEffect, useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../api/client';
import { auth, invitations } from '../api/endpoints';
import type { InvitationLookup, SsoProvider } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { AuthCard, useFinishSignIn } from '../components/AuthCard';
import { useMailConfigured } from '../components/MailBanner';
import { SecondFactorPrompt } from '../components/SecondFactorPrompt';
import { SsoButtons } from '../components/SsoButtons';
import { TotpEnrolment } from '../components/TotpEnrolment';
import { ErrorNotice, Notice } from '../components/ui';
import { ssoErrorSentence } from '../lib/sso';

const MIN_PASSWORD = 10;
const MAX_PASSWORD = 200;

/** Why a new password is not acceptable, or null. */
export function passwordProblem(pw: string, repeat: string): string | null {
  if ([...pw].length < MIN_PASSWORD) return `Use at least ${MIN_PASSWORD} characters.`;
  if ([...pw].length > MAX_PASSWORD) return `Use at most ${MAX_PASSWORD} characters.`;
  if (pw !== repeat) return 'The two passwords differ.';
  return null;
}

/** A safe place to go after sign-in: a dashboard path only, never another site. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/** Where the sign-in page is: the password, the second factor, or a forced TOTP enrolment. */
type LoginStage = { kind: 'password' } | { kind: 'code'; challenge: string } | { kind: 'enrol'; challenge: string };

const STAGE_TITLE: Record<LoginStage['kind'], string> = {
  password: 'Sign in',
  code: 'Enter your code',
  enrol: 'Set up a second factor',
};

/** The challenge a `401 second_factor_…` answer carries, or null. */
function challengeOf(err: ApiError): string | null {
  const c = err.details.challenge;
  return typeof c === 'string' && c ? c : null;
}

/** Sign-in: e-mail and password (then a second factor when asked), or a single sign-on provider. */
export function LoginPage() {
  const { user } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const finish = useFinishSignIn();
  const next = params.get('next');
  const ssoError = params.get('sso_error');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [stage, setStage] = useState<LoginStage>({ kind: 'password' });
  const [providers, setProviders] = useState<SsoProvider[]>([]);
  const [signupOpen, setSignupOpen] = useState(false);
  const [ssoErrorShown, setSsoErrorShown] = useState(true);

  useEffect(() => {
    auth.setupStatus().then((s) => {
      if (s.setup_required) navigate('/setup', { replace: true });
      setSignupOpen(s.signup === 'open');
    }, () => {});
    auth.providers().then((r) => setProviders(r.items), () => setProviders([]));
  }, [navigate]);

  if (user) return <Navigate to={safeNext(next)} replace />;

  const to = safeNext(next);
  const backToPassword = (why?: string) => {
    setStage({ kind: 'password' });
    setError(why ? new Error(why) : null);
  };
  const expired = () => backToPassword('The sign-in took longer than 5 minutes. Enter your password again.');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSsoErrorShown(false);
    try {
      finish(await auth.login(email.trim(), password), to);
    } catch (err) {
      const challenge = err instanceof ApiError ? challengeOf(err) : null;
      if (err instanceof ApiError && err.code === 'invalid_credentials') setError(new Error('Wrong e-mail or password.'));
      else if (err instanceof ApiError && err.code === 'sso_required') {
        setError(new Error(providers.length > 0
          ? 'Your organisation requires single sign-on. Sign in with its provider below.'
          : 'Your organisation requires single sign-on, but this server offers no provider right now. Ask your administrator.'));
      } else if (err instanceof ApiError && err.code === 'second_factor_required' && challenge) {
        setPassword('');
        setStage({ kind: 'code', challenge });
      } else if (err instanceof ApiError && err.code === 'second_factor_enrolment_required' && challenge) {
        setPassword('');
        setStage({ kind: 'enrol', challenge });
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const footer = (
    <>
      {signupOpen && <><Link to="/signup">Create an account</Link> · </>}
      <Link to="/forgot-password">Forgot your password?</Link> · <Link to="/setup">First-run setup</Link>
    </>
  );

  if (stage.kind === 'code') {
    return (
      <AuthCard title={STAGE_TITLE.code}>
        <SecondFactorPrompt challenge={stage.challenge} onSignedIn={(s) => finish(s, to)} onExpired={expired} onCancel={() => backToPassword()} />
      </AuthCard>
    );
  }
  if (stage.kind === 'enrol') {
    return (
      <AuthCard title={STAGE_TITLE.enrol}>
        <TotpEnrolment
          challenge={stage.challenge}
          intro={<p>This server requires staff accounts to use a second factor. Set up an authenticator app on your phone to finish signing in.</p>}
          onDone={async (r) => {
            try {
              finish(r.csrf_token ? { user: r.user, csrf_token: r.csrf_token } : await auth.me(), to);
            } catch {
              backToPassword('Two-factor sign-in is on. Sign in again with your password and a code.');
            }
          }}
          onExpired={expired}
          onCancel={() => backToPassword()}
        />
      </AuthCard>
    );
  }

  return (
    <AuthCard title={STAGE_TITLE.password} footer={footer}>
      {ssoError && ssoErrorShown && (
        <div className="notice notice-error" role="alert" data-testid="sso-error">{ssoErrorSentence(ssoError)}</div>
      )}
      <form onSubmit={submit} className="form">
        <label>E-mail<input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} /></label>
        <label>Password<input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></label>
        <ErrorNotice error={error} />
        <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <SsoButtons providers={providers} next={next} />
    </AuthCard>
  );
}

export function SetupPage() {
  const finish = useFinishSignIn();
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

/** What the acceptance page says about a link that no longer works, by its state. */
export const INVITATION_UNUSABLE: Record<Exclude<InvitationLookup['state'], 'pending'>, string> = {
  accepted: 'This invitation was used already. Sign in instead, or ask for a new invitation.',
  expired: 'This invitation expired: its link worked for 7 days. Ask whoever invited you for a new one.',
  revoked: 'This invitation was revoked and its link no longer works. Ask whoever invited you for a new one.',
  replaced: 'A newer invitation replaced this one, so this link no longer works. Open the link of the newest invitation mail.',
};

export function AcceptInvitePage() {
  const [params] = useSearchParams();
  const finish = useFinishSignIn();
  const token = params.get('token') ?? '';
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [existing, setExisting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // What the link is for and whether it works, asked before the form is filled.
  const [lookup, setLookup] = useState<InvitationLookup | 'unknown' | null>(null);
  const [lookupError, setLookupError] = useState<unknown>(null);
  useEffect(() => {
    if (!token) return;
    invitations.lookup(token).then(setLookup, (err) => {
      if (err instanceof ApiError && err.status === 404) setLookup('unknown');
      else setLookupError(err);
    });
  }, [token]);

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
      else if (err instanceof ApiError && (err.code === 'token_expired' || err.status === 404)) setError(new Error('This invitation is used, revoked, expired or unknown. Ask for a new one.'));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!token) return <AuthCard title="Accept invitation"><Notice kind="warn">This link has no invitation token. Open the link from your e-mail again.</Notice></AuthCard>;
  const footer = <Link to="/login">Sign in instead</Link>;
  if (lookup === 'unknown') {
    return <AuthCard title="Accept invitation" footer={footer}><Notice kind="warn"><span data-testid="invitation-unusable">This invitation link is unknown: check that it was copied whole, or ask for a new invitation.</span></Notice></AuthCard>;
  }
  if (lookup && lookup.state !== 'pending') {
    return (
      <AuthCard title="Accept invitation" footer={footer}>
        <p className="muted small" data-testid="invitation-for">For {lookup.email} to join {lookup.tenant_name} as {lookup.role}.</p>
        <Notice kind="warn"><span data-testid="invitation-unusable" data-state={lookup.state}>{INVITATION_UNUSABLE[lookup.state]}</span></Notice>
      </AuthCard>
    );
  }
  if (lookup === null && !lookupError) {
    return <AuthCard title="Accept invitation" footer={footer}><p className="muted" data-testid="invitation-checking">Checking the invitation…</p></AuthCard>;
  }
  return (
    <AuthCard title="Accept invitation" footer={footer}>
      {lookup ? (
        <p data-testid="invitation-for">Join <strong>{lookup.tenant_name}</strong> as <strong>{lookup.role}</strong>. The invitation is for <strong>{lookup.email}</strong>.</p>
      ) : <ErrorNotice error={lookupError} />}
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
  const mailConfigured = useMailConfigured();
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
        mailConfigured === false ? (
          <Notice kind="warn"><span data-testid="mail-not-sent">If an account uses {email}, a reset link is queued but not sent: this server has no mail server configured. Ask the server&apos;s operator to configure mail, or to reset your password.</span></Notice>
        ) : <Notice>If an account uses {email}, a reset link is on its way. It works for one hour.</Notice>
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
  const finish = useFinishSignIn();
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
