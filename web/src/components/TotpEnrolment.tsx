// Turning on a second factor: ask the server for a secret, show it as a QR code and as
// text, confirm it with a first code, then show the recovery codes once. Used on the
// account page (with the session) and during a sign-in that must enrol first (with its
// challenge).
import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { totp } from '../api/endpoints';
import type { TotpConfirmed, TotpSetup } from '../api/types';
import { isExpired, isWrongCode, normalizeTotp, totpCodeProblem, wrongCodeMessage } from '../lib/secondFactor';
import { QrCode } from './QrCode';
import { RecoveryCodes } from './RecoveryCodes';
import { CopyButton, ErrorNotice } from './ui';

/**
 * The enrolment steps. `onDone` gets the confirmation (which carries `csrf_token` when a
 * challenge was used): after the person said they saved the recovery codes, or at once with
 * `showCodes={false}` (the caller shows them). `onExpired` runs when the server no longer
 * knows the challenge or the session.
 */
export function TotpEnrolment({ challenge, intro, showCodes = true, onDone, onExpired, onCancel }: {
  challenge?: string;
  intro?: ReactNode;
  showCodes?: boolean;
  onDone: (r: TotpConfirmed) => void;
  onExpired?: () => void;
  onCancel?: () => void;
}) {
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [confirmed, setConfirmed] = useState<TotpConfirmed | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const fail = (err: unknown) => {
    if (isExpired(err) && onExpired) { onExpired(); return; }
    if (err instanceof ApiError && err.code === 'conflict') setError(new Error('Two-factor sign-in is already on for this account.'));
    else setError(err);
  };

  const start = async () => {
    setBusy(true);
    setError(null);
    try { setSetup(await totp.setup(challenge)); } catch (err) { fail(err); } finally { setBusy(false); }
  };

  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    const problem = totpCodeProblem(code);
    if (problem) { setError(new Error(problem)); return; }
    setBusy(true);
    setError(null);
    try {
      const r = await totp.confirm(normalizeTotp(code), challenge);
      if (showCodes) setConfirmed(r);
      else onDone(r);
    } catch (err) {
      if (isWrongCode(err)) setError(new Error(wrongCodeMessage()));
      else fail(err);
    } finally {
      setBusy(false);
    }
  };

  if (confirmed) {
    return (
      <div className="totp-enrolment">
        <p>Two-factor sign-in is on. From now on, signing in asks for a code from your app.</p>
        <RecoveryCodes codes={confirmed.recovery_codes} onSaved={() => onDone(confirmed)} />
      </div>
    );
  }

  if (!setup) {
    return (
      <div className="totp-enrolment">
        {intro}
        <ErrorNotice error={error} />
        <div className="row">
          <button type="button" className="btn btn-primary" disabled={busy} onClick={start}>{busy ? 'Preparing…' : 'Set up an authenticator app'}</button>
          {onCancel && <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>}
        </div>
      </div>
    );
  }

  return (
    <form className="form totp-enrolment" onSubmit={confirm} aria-label="Confirm authenticator">
      <p className="small">1. Scan this code with an authenticator app (any app for TOTP codes).</p>
      <div className="qr-frame"><QrCode text={setup.otpauth_uri} label="QR code for your authenticator app" /></div>
      <div className="small">Cannot scan it? Enter this key by hand (time-based, 6 digits):</div>
      <div className="key-row"><code className="key" data-testid="totp-secret">{setup.secret}</code><CopyButton text={setup.secret} label="Copy key" /></div>
      <label>2. Enter the code the app shows
        <input id="totp-enrol-code" inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} placeholder="123456" />
      </label>
      <ErrorNotice error={error} />
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Checking…' : 'Turn on'}</button>
        {onCancel && <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
