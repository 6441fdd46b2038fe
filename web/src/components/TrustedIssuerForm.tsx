// The form that trusts a new JWT issuer for a tenant: issuer, JWKS URL, audience, the claim
// with the role, and the mapping of its values to token roles. The server's refusals (a
// `409` for an issuer and audience trusted already, a `422` per field) show beside the fields.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import type { TokenRole, TrustedIssuerInput } from '../api/types';
import { serverFieldErrors } from '../lib/productForm';
import { DEFAULT_CLAIM_VALUE, EMPTY_TRUSTED_ISSUER_FORM, trustedIssuerBody, type RoleRow, type TrustedIssuerFormValues } from '../lib/trustedIssuerForm';
import { ErrorNotice } from './ui';

const FIELDS = ['issuer', 'jwks_url', 'audience', 'role_claim', 'roles'];

/** Field messages from a server error; a taken issuer gets a sentence that says what to do. */
function fieldErrorsOf(err: unknown): Record<string, string> {
  const fields = serverFieldErrors(err);
  if (err instanceof ApiError && err.code === 'conflict' && fields.issuer) {
    fields.issuer = 'This issuer is already trusted with this audience (by this tenant or another one): use another audience.';
  }
  return fields;
}

/** Adds a trusted issuer through `onSubmit`; the form clears itself on success. */
export function TrustedIssuerForm({ onSubmit, onCancel }: { onSubmit: (body: TrustedIssuerInput) => Promise<void>; onCancel?: () => void }) {
  const [v, setV] = useState<TrustedIssuerFormValues>(EMPTY_TRUSTED_ISSUER_FORM);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: Exclude<keyof TrustedIssuerFormValues, 'rows'>) => (e: React.ChangeEvent<HTMLInputElement>) => setV({ ...v, [k]: e.target.value });
  const setRow = (i: number, row: Partial<RoleRow>) => setV({ ...v, rows: v.rows.map((r, j) => (j === i ? { ...r, ...row } : r)) });
  const addRow = () => {
    // New values go above the `*` row, which reads best last.
    const at = v.rows.findIndex((r) => r.value === DEFAULT_CLAIM_VALUE);
    const rows = [...v.rows];
    rows.splice(at < 0 ? rows.length : at, 0, { value: '', role: 'admin' });
    setV({ ...v, rows });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { body, errors: errs } = trustedIssuerBody(v);
    setErrors(errs);
    setError(null);
    if (!body) return;
    setBusy(true);
    try {
      await onSubmit(body);
      setV(EMPTY_TRUSTED_ISSUER_FORM);
    } catch (err) {
      setErrors(fieldErrorsOf(err));
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (k: string) => errors[k] && <span className="field-error" data-testid={`error-${k}`}>{errors[k]}</span>;
  const shownInFields = FIELDS.some((k) => errors[k]);
  return (
    <form className="form form-grid" onSubmit={submit} aria-label="Add trusted issuer" noValidate>
      <label><span>Issuer (<code>iss</code>)</span><input name="issuer" required value={v.issuer} onChange={set('issuer')} placeholder="https://token.actions.githubusercontent.com" />{field('issuer')}</label>
      <label><span>Audience (<code>aud</code>)</span><input name="audience" required value={v.audience} onChange={set('audience')} placeholder="coditect-licensing" />{field('audience')}</label>
      <label className="span-2">JWKS URL<input name="jwks_url" type="url" required value={v.jwks_url} onChange={set('jwks_url')} placeholder="https://token.actions.githubusercontent.com/.well-known/jwks" />{field('jwks_url')}</label>
      <label>Role claim<input name="role_claim" required value={v.role_claim} onChange={set('role_claim')} placeholder="roles" />{field('role_claim')}</label>
      <fieldset className="span-2 role-rows">
        <legend>Roles: claim value → role</legend>
        <p className="muted small"><code>*</code> matches any other value, and tokens without the claim. Without a <code>*</code> row, those tokens get no role.</p>
        {v.rows.map((row, i) => (
          <div className="row" key={i} data-testid="role-row">
            <input aria-label={`Claim value ${i + 1}`} value={row.value} onChange={(e) => setRow(i, { value: e.target.value })} placeholder="licensing-admin" />
            <span aria-hidden>→</span>
            <select aria-label={`Role ${i + 1}`} value={row.role} onChange={(e) => setRow(i, { role: e.target.value as TokenRole })}>
              <option value="admin">admin</option>
              <option value="read_only">read_only</option>
            </select>
            <button type="button" className="btn btn-ghost btn-small" aria-label={`Remove row ${i + 1}`} onClick={() => setV({ ...v, rows: v.rows.filter((_, j) => j !== i) })}>✕</button>
          </div>
        ))}
        <div><button type="button" className="btn btn-small" onClick={addRow}>Add a claim value</button></div>
        {field('roles')}
      </fieldset>
      {!shownInFields && <div className="span-2"><ErrorNotice error={error} /></div>}
      <div className="row span-2">
        <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Adding…' : 'Add issuer'}</button>
        {onCancel && <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
