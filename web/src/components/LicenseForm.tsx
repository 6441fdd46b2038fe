// Create or edit a license.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import type { License, LicenseInput } from '../api/types';
import { borrowHint, EMPTY_LICENSE_FORM, formFromLicense, licenseBody, type LicenseFormValues } from '../lib/licenseForm';
import { ErrorNotice } from './ui';

export function LicenseForm({ original, onSubmit, onCancel, submitLabel }: {
  original?: License;
  onSubmit: (body: LicenseInput) => Promise<void>;
  onCancel: () => void;
  submitLabel: string;
}) {
  const [v, setV] = useState<LicenseFormValues>(original ? formFromLicense(original) : EMPTY_LICENSE_FORM);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof LicenseFormValues) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
    setV({ ...v, [k]: e.target.type === 'checkbox' ? (e.target as HTMLInputElement).checked : e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { body, errors: errs } = licenseBody(v, original);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    if (original && Object.keys(body).length === 0) { onCancel(); return; }
    setBusy(true);
    setError(null);
    try {
      await onSubmit(body);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_error') setErrors(err.fieldErrors);
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (k: keyof LicenseFormValues) => errors[k] && <span className="field-error">{errors[k]}</span>;
  return (
    <form className="form form-grid" onSubmit={submit} aria-label={submitLabel}>
      <label>Name<input name="name" value={v.name} onChange={set('name')} placeholder="Acme CAD – site license" maxLength={200} />{field('name')}</label>
      <label>Seats<input name="seats_total" inputMode="numeric" required value={v.seats_total} onChange={set('seats_total')} />{field('seats_total')}</label>
      <label>Expires (empty: never)<input name="expires_at" type="datetime-local" value={v.expires_at} onChange={set('expires_at')} />{field('expires_at')}</label>
      <label>Heartbeat TTL (seconds)<input name="heartbeat_ttl_seconds" inputMode="numeric" required value={v.heartbeat_ttl_seconds} onChange={set('heartbeat_ttl_seconds')} />{field('heartbeat_ttl_seconds')}</label>
      <label>Longest offline borrow (hours, 0: off)<input name="max_borrow_hours" inputMode="numeric" required value={v.max_borrow_hours} onChange={set('max_borrow_hours')} aria-describedby="borrow-hint" />{field('max_borrow_hours')}
        <span id="borrow-hint" className="small muted">{borrowHint(v.max_borrow_hours)}</span></label>
      <label className="span-2">Entitlements (comma separated)<input name="entitlements" value={v.entitlements} onChange={set('entitlements')} placeholder="export, render" />{field('entitlements')}</label>
      <label className="span-2">Metadata (JSON object)<textarea name="metadata" rows={3} value={v.metadata} onChange={set('metadata')} spellCheck={false} />{field('metadata')}</label>
      <label className="check"><input name="is_active" type="checkbox" checked={v.is_active} onChange={set('is_active')} /> Active (unchecked: suspended)</label>
      <div className="span-2"><ErrorNotice error={error} /></div>
      <div className="row span-2">
        <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Saving…' : submitLabel}</button>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
