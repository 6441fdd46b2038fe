// The second step of a password sign-in for someone with TOTP on: a code from their app,
// or one of their recovery codes, sent with the challenge the password step returned.
import { useState, type FormEvent } from 'react';
import { auth } from '../api/endpoints';
import type { SessionInfo } from '../api/types';
import { isExpired, isWrongCode, normalizeTotp, totpCodeProblem, wrongCodeMessage } from '../lib/secondFactor';
import { ErrorNotice } from './ui';

/** Asks for the code; `onSignedIn` gets the sign-in answer, `onExpired` runs when the challenge ran out. */
export function SecondFactorPrompt({ challenge, onSignedIn, onExpired, onCancel }: {
  challenge: string;
  onSignedIn: (s: SessionInfo) => void;
  onExpired: () => void;
  onCancel: () => void;
}) {
  const [recovery, setRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [recoveryCode, setRecoveryCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = recovery ? (recoveryCode.trim() ? null : 'Enter one of your recovery codes.') : totpCodeProblem(code);
    if (problem) { setError(new Error(problem)); return; }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await auth.secondFactor(recovery
        ? { challenge, recovery_code: recoveryCode.trim() }
        : { challenge, code: normalizeTotp(code) }));
    } catch (err) {
      if (isWrongCode(err)) setError(new Error(wrongCodeMessage(recovery)));
      else if (isExpired(err)) onExpired();
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="form" aria-label="Second factor">
      <p className="muted small">Your account is protected by a second factor.</p>
      {recovery ? (
        <label>Recovery code
          <input id="recovery-code" autoComplete="off" spellCheck={false} required placeholder="xxxxx-xxxxx" value={recoveryCode} onChange={(e) => setRecoveryCode(e.target.value)} />
        </label>
      ) : (
        <label>Code from your authenticator app
          <input id="totp-code" inputMode="numeric" autoComplete="one-time-code" maxLength={7} required placeholder="123456" value={code} onChange={(e) => setCode(e.target.value)} />
        </label>
      )}
      <ErrorNotice error={error} />
      <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Checking…' : 'Verify'}</button>
      <div className="row small">
        <button type="button" className="btn btn-ghost btn-small" data-testid="recovery-toggle" onClick={() => { setRecovery((r) => !r); setError(null); }}>
          {recovery ? 'Use a code from the app instead' : 'Use a recovery code'}
        </button>
        <button type="button" className="btn btn-ghost btn-small" onClick={onCancel}>Back to sign-in</button>
      </div>
    </form>
  );
}
