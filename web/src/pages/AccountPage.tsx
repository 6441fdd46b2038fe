// The signed-in person's own account: who they are and their second factor (turn TOTP
// on, get a new set of recovery codes, turn it off).
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { totp } from '../api/endpoints';
import { useAuth } from '../auth/AuthContext';
import { RecoveryCodes } from '../components/RecoveryCodes';
import { TotpEnrolment } from '../components/TotpEnrolment';
import { Badge, ErrorNotice, Notice, PageHeader } from '../components/ui';
import { isExpired, isWrongCode, normalizeTotp, totpCodeProblem, wrongCodeMessage } from '../lib/secondFactor';

/** Account security: the TOTP state and what can be done with it. */
export function AccountPage() {
  const { user, updateUser, refresh } = useAuth();
  const [notice, setNotice] = useState<string | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  if (!user) return null;

  return (
    <div>
      <PageHeader title="Account security" subtitle={<>{user.name} · {user.email}{user.is_staff && <> · <Badge tone="info">staff</Badge></>}</>} />
      <section className="card" aria-label="Two-factor sign-in">
        <div className="card-head">
          <h2>Two-factor sign-in</h2>
          {user.totp_enabled ? <Badge tone="ok">on</Badge> : <Badge tone="muted">off</Badge>}
        </div>
        {notice && <Notice>{notice}</Notice>}
        {codes && <RecoveryCodes codes={codes} onSaved={() => setCodes(null)} />}
        {!user.totp_enabled ? (
          <TotpEnrolment
            intro={<p className="muted">With a second factor, signing in with your password also asks for a 6-digit code from an authenticator app on your phone.</p>}
            showCodes={false}
            onDone={(r) => {
              setCodes(r.recovery_codes);
              updateUser({ ...r.user, totp_enabled: true });
              setNotice('Two-factor sign-in is on. From now on, signing in also asks for a code from your app.');
            }}
            onExpired={() => void refresh()}
          />
        ) : (
          <div className="grid-2">
            <CodeForm
              title="New recovery codes"
              help="Makes a new set of 10 codes; the old ones stop working."
              submitLabel="Make new codes"
              onSubmit={async (code) => { setNotice(null); setCodes((await totp.newRecoveryCodes(code)).recovery_codes); }}
              onExpired={() => void refresh()}
            />
            <CodeForm
              title="Turn off"
              help="Signing in then needs only your password."
              submitLabel="Turn off two-factor sign-in"
              danger
              forbidden="Staff accounts must use a second factor on this server (CODITECT_STAFF_REQUIRE_TOTP), so it cannot be turned off."
              onSubmit={async (code) => {
                await totp.disable(code);
                setCodes(null);
                updateUser({ ...user, totp_enabled: false });
                setNotice('Two-factor sign-in is off.');
              }}
              onExpired={() => void refresh()}
            />
          </div>
        )}
      </section>
    </div>
  );
}

/** A form that asks for a current TOTP code before a change; shows a wrong code and a `403` clearly. */
function CodeForm({ title, help, submitLabel, danger, forbidden, onSubmit, onExpired }: {
  title: string;
  help: string;
  submitLabel: string;
  danger?: boolean;
  forbidden?: string;
  onSubmit: (code: string) => Promise<void>;
  onExpired: () => void;
}) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = totpCodeProblem(code);
    if (problem) { setError(new Error(problem)); return; }
    setBusy(true);
    setError(null);
    try {
      await onSubmit(normalizeTotp(code));
      setCode('');
    } catch (err) {
      if (isWrongCode(err)) setError(new Error(wrongCodeMessage()));
      else if (isExpired(err)) onExpired();
      else if (forbidden && err instanceof ApiError && err.status === 403 && err.code === 'forbidden') setError(new Error(forbidden));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form code-form" onSubmit={submit} aria-label={title}>
      <h3 className="small">{title}</h3>
      <p className="muted small">{help}</p>
      <label>Code from your authenticator app
        <input inputMode="numeric" autoComplete="one-time-code" maxLength={7} required placeholder="123456" value={code} onChange={(e) => setCode(e.target.value)} />
      </label>
      <ErrorNotice error={error} />
      <div><button type="submit" className={danger ? 'btn btn-danger' : 'btn'} disabled={busy}>{submitLabel}</button></div>
    </form>
  );
}
