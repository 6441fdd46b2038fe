// Create or edit a product (staff): the form, its checks, and the server's answer beside
// the fields it names (a taken slug or price id, a value out of range).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Product, ProductInput } from '../api/types';
import { EMPTY_PRODUCT_FORM, formFromProduct, productBody, serverFieldErrors, type ProductFormValues } from '../lib/productForm';
import { SLUG_HINT, SLUG_PATTERN, slugify } from '../lib/slug';
import { ErrorNotice } from './ui';

/** The product form; `original` makes it an edit that sends only what changed. */
export function ProductForm({ original, onSubmit, onCancel, submitLabel }: {
  original?: Product;
  onSubmit: (body: ProductInput) => Promise<void>;
  onCancel: () => void;
  submitLabel: string;
}) {
  const [v, setV] = useState<ProductFormValues>(original ? formFromProduct(original) : EMPTY_PRODUCT_FORM);
  const [slugTouched, setSlugTouched] = useState(Boolean(original));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const slugInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // The browser checks the pattern (as on the tenant form); the message says what a slug is.
    const el = slugInput.current;
    if (!el) return;
    el.setCustomValidity('');
    if (el.validity.patternMismatch) el.setCustomValidity(SLUG_HINT);
  }, [v.slug]);
  const set = (k: keyof ProductFormValues) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    const value = e.target.type === 'checkbox' ? (e.target as HTMLInputElement).checked : e.target.value;
    if (k === 'slug') setSlugTouched(true);
    setV((old) => ({ ...old, [k]: value, ...(k === 'name' && !slugTouched ? { slug: slugify(String(value)) } : {}) }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { body, errors: errs } = productBody(v, original);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    if (original && Object.keys(body).length === 0) { onCancel(); return; }
    setBusy(true);
    setError(null);
    try {
      await onSubmit(body);
    } catch (err) {
      setErrors(serverFieldErrors(err));
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (k: string) => errors[k] && <span className="field-error">{errors[k]}</span>;
  const num = (k: keyof ProductFormValues, label: string) => (
    <label>{label}<input name={k} inputMode="numeric" required value={String(v[k])} onChange={set(k)} />{field(k)}</label>
  );
  return (
    <form className="form form-grid" onSubmit={submit} aria-label={submitLabel} noValidate>
      <label>Name<input name="name" required value={v.name} onChange={set('name')} placeholder="CAD Pro" maxLength={200} />{field('name')}</label>
      <label>Slug<input ref={slugInput} name="slug" required value={v.slug} onChange={set('slug')} placeholder="cad-pro" maxLength={63} pattern={SLUG_PATTERN} title={SLUG_HINT} />{field('slug')}</label>
      {num('seats_per_unit', 'Seats per unit')}
      {num('heartbeat_ttl_seconds', 'Heartbeat TTL (seconds)')}
      {num('trial_days', 'Trial days (0: no self-service trials)')}
      {num('trial_seats', 'Trial seats')}
      {num('grace_days', 'Grace days')}
      <label className="check"><input name="metered" type="checkbox" checked={v.metered} onChange={set('metered')} /> Metered (report seat-hours to Stripe)</label>
      <label className="span-2">Entitlements (comma separated)<input name="entitlements" value={v.entitlements} onChange={set('entitlements')} placeholder="export, render" />{field('entitlements')}</label>
      <label className="span-2">Stripe price ids (comma or line separated)<textarea name="stripe_price_ids" rows={2} value={v.stripe_price_ids} onChange={set('stripe_price_ids')} placeholder="price_1Pq…" spellCheck={false} />{field('stripe_price_ids')}</label>
      <p className="span-2 small muted">A subscription item buys seats per unit × quantity. Changing a product changes no existing license.</p>
      <div className="span-2"><ErrorNotice error={error} /></div>
      <div className="row span-2">
        <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Saving…' : submitLabel}</button>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
