// The product form's values, their checks (the billing contract's ranges) and their
// conversion to the API's bodies: every field for POST, only the changed ones for PATCH.
import { ApiError } from '../api/client';
import type { Product, ProductInput } from '../api/types';
import { jsonEqual } from './diff';
import { parseEntitlements } from './licenseForm';
import { isSlug, SLUG_HINT } from './slug';

/** What the product form edits, as its inputs hold it (strings, lists as text). */
export interface ProductFormValues {
  slug: string;
  name: string;
  seats_per_unit: string;
  heartbeat_ttl_seconds: string;
  entitlements: string; // comma or newline separated
  trial_days: string;
  trial_seats: string;
  grace_days: string;
  stripe_price_ids: string; // comma or newline separated
  metered: boolean;
}

/** A new product's form, filled with the server's defaults. */
export const EMPTY_PRODUCT_FORM: ProductFormValues = {
  slug: '', name: '', seats_per_unit: '1', heartbeat_ttl_seconds: '360', entitlements: '', trial_days: '0',
  trial_seats: '1', grace_days: '7', stripe_price_ids: '', metered: false,
};

/** The form values showing an existing product, for editing it. */
export function formFromProduct(p: Product): ProductFormValues {
  return {
    slug: p.slug,
    name: p.name,
    seats_per_unit: String(p.seats_per_unit),
    heartbeat_ttl_seconds: String(p.heartbeat_ttl_seconds),
    entitlements: p.entitlements.join(', '),
    trial_days: String(p.trial_days),
    trial_seats: String(p.trial_seats),
    grace_days: String(p.grace_days),
    stripe_price_ids: p.stripe_price_ids.join(', '),
    metered: p.metered,
  };
}

/** Splits a comma- or line-separated list, dropping blanks and repeats (price ids, entitlements). */
export const parseList = parseEntitlements;

const STRIPE_ID = /^[A-Za-z0-9_]{1,255}$/;

type NumberField = 'seats_per_unit' | 'heartbeat_ttl_seconds' | 'trial_days' | 'trial_seats' | 'grace_days';
/** Ranges of the numeric fields, from the billing contract (heartbeat TTL from the core contract). */
export const PRODUCT_RANGES: Record<NumberField, [number, number, string]> = {
  seats_per_unit: [1, 100_000, 'Seats per unit'],
  heartbeat_ttl_seconds: [1, 604_800, 'Heartbeat TTL'],
  trial_days: [0, 365, 'Trial days'],
  trial_seats: [1, 1000, 'Trial seats'],
  grace_days: [0, 90, 'Grace days'],
};

/**
 * Checks the form and builds the body: for a new product every field; for an edit only
 * the fields that differ from `original` (an empty body means nothing changed). `errors`
 * maps field name to a message; when it is not empty the body must not be sent.
 */
export function productBody(v: ProductFormValues, original?: Product): { body: ProductInput; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const slug = v.slug.trim();
  if (!isSlug(slug)) errors.slug = SLUG_HINT;
  const name = v.name.trim();
  if (!name) errors.name = 'Name is required.';
  else if (name.length > 200) errors.name = 'Name must be at most 200 characters.';
  const num = {} as Record<NumberField, number | undefined>;
  for (const [key, [min, max, label]] of Object.entries(PRODUCT_RANGES) as [NumberField, [number, number, string]][]) {
    const t = v[key].trim();
    if (!/^\d+$/.test(t)) errors[key] = `${label} must be a whole number.`;
    else if (Number(t) < min || Number(t) > max) errors[key] = `${label} must be between ${min} and ${max}.`;
    else num[key] = Number(t);
  }
  const entitlements = parseList(v.entitlements);
  const prices = parseList(v.stripe_price_ids);
  const bad = prices.find((p) => !STRIPE_ID.test(p));
  if (bad !== undefined) errors.stripe_price_ids = `"${bad}" is not a Stripe price id (like price_1Pq…).`;

  const full: ProductInput = {
    slug, name, seats_per_unit: num.seats_per_unit, heartbeat_ttl_seconds: num.heartbeat_ttl_seconds, entitlements,
    trial_days: num.trial_days, trial_seats: num.trial_seats, grace_days: num.grace_days, stripe_price_ids: prices, metered: v.metered,
  };
  if (!original) return { body: full, errors };

  const body: ProductInput = {};
  if (slug !== original.slug) body.slug = slug;
  if (name !== original.name) body.name = name;
  for (const key of Object.keys(PRODUCT_RANGES) as NumberField[]) {
    if (num[key] !== undefined && num[key] !== original[key]) body[key] = num[key];
  }
  if (!jsonEqual(entitlements, original.entitlements)) body.entitlements = entitlements;
  if (!jsonEqual(prices, original.stripe_price_ids)) body.stripe_price_ids = prices;
  if (v.metered !== original.metered) body.metered = v.metered;
  return { body, errors };
}

/**
 * Per-field messages from a server error, to show beside the inputs: a `422` lists them in
 * `details.fields`; a `409 conflict` may name its field in `details.field` (a taken slug or
 * price id). Any other error gives none (the form shows it as a whole).
 */
export function serverFieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError)) return {};
  if (err.code === 'validation_error' || err.code === 'validation_failed') return err.fieldErrors;
  const field = err.details.field;
  if (err.code === 'conflict' && typeof field === 'string') return { [field]: err.message };
  return {};
}
