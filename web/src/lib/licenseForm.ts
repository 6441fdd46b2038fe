// The license form's values and their conversion to the API's create/patch bodies.
import type { License, LicenseInput } from '../api/types';
import { isoToLocalInput, localInputToIso } from './format';
import { jsonEqual } from './diff';

/** What the form edits, as the inputs hold it (strings). */
export interface LicenseFormValues {
  name: string;
  seats_total: string;
  expires_at: string; // datetime-local, '' for never
  heartbeat_ttl_seconds: string;
  entitlements: string; // comma or newline separated
  metadata: string; // JSON object text
  is_active: boolean;
  max_borrow_hours: string; // '0': borrowing off
}

/** The longest borrow the contract allows on a license (90 days), in hours. */
export const MAX_BORROW_HOURS = 2160;

export const EMPTY_LICENSE_FORM: LicenseFormValues = {
  name: '', seats_total: '5', expires_at: '', heartbeat_ttl_seconds: '360', entitlements: '', metadata: '{}', is_active: true, max_borrow_hours: '0',
};

/** The form values showing an existing license. */
export function formFromLicense(l: License): LicenseFormValues {
  return {
    name: l.name ?? '',
    seats_total: String(l.seats_total),
    expires_at: isoToLocalInput(l.expires_at),
    heartbeat_ttl_seconds: String(l.heartbeat_ttl_seconds),
    entitlements: l.entitlements.join(', '),
    metadata: JSON.stringify(l.metadata ?? {}, null, 2),
    is_active: l.is_active,
    max_borrow_hours: String(l.max_borrow_hours ?? 0),
  };
}

/** Splits the entitlements text on commas and new lines, dropping blanks and repeats. */
export function parseEntitlements(text: string): string[] {
  return [...new Set(text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean))];
}

function wholeNumber(text: string, min: number, max: number, label: string, errors: Record<string, string>, key: string): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) { errors[key] = `${label} must be a whole number.`; return undefined; }
  const n = Number(t);
  if (n < min || n > max) { errors[key] = `${label} must be between ${min} and ${max}.`; return undefined; }
  return n;
}

/**
 * Checks the form and builds the body: for a new license every field; for an edit only the
 * fields that differ from `original` (an empty body means nothing changed).
 */
export function licenseBody(v: LicenseFormValues, original?: License): { body: LicenseInput; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const seats = wholeNumber(v.seats_total, 1, 1_000_000, 'Seats', errors, 'seats_total');
  const ttl = wholeNumber(v.heartbeat_ttl_seconds, 1, 604_800, 'Heartbeat TTL', errors, 'heartbeat_ttl_seconds');
  const borrow = wholeNumber(v.max_borrow_hours, 0, MAX_BORROW_HOURS, 'Longest borrow', errors, 'max_borrow_hours');
  let expires: string | null = null;
  if (v.expires_at) {
    expires = localInputToIso(v.expires_at);
    if (!expires) errors.expires_at = 'Not a valid date and time.';
  }
  let metadata: Record<string, unknown> = {};
  try {
    const m: unknown = JSON.parse(v.metadata.trim() || '{}');
    if (typeof m !== 'object' || m === null || Array.isArray(m)) errors.metadata = 'Metadata must be a JSON object, like {"plan": "pro"}.';
    else metadata = m as Record<string, unknown>;
  } catch {
    errors.metadata = 'Metadata is not valid JSON.';
  }
  const name = v.name.trim() || null;
  const entitlements = parseEntitlements(v.entitlements);
  const full: LicenseInput = { name, seats_total: seats, expires_at: expires, heartbeat_ttl_seconds: ttl, entitlements, metadata, is_active: v.is_active, max_borrow_hours: borrow };
  if (!original) return { body: full, errors };

  const body: LicenseInput = {};
  if (name !== (original.name ?? null)) body.name = name;
  if (seats !== undefined && seats !== original.seats_total) body.seats_total = seats;
  if (ttl !== undefined && ttl !== original.heartbeat_ttl_seconds) body.heartbeat_ttl_seconds = ttl;
  // Compare at minute precision: the input cannot show seconds.
  const origLocal = isoToLocalInput(original.expires_at);
  if (v.expires_at !== origLocal) body.expires_at = expires;
  if (!jsonEqual(entitlements, original.entitlements)) body.entitlements = entitlements;
  if (!errors.metadata && !jsonEqual(metadata, original.metadata ?? {})) body.metadata = metadata;
  if (v.is_active !== original.is_active) body.is_active = v.is_active;
  if (borrow !== undefined && borrow !== (original.max_borrow_hours ?? 0)) body.max_borrow_hours = borrow;
  return { body, errors };
}

/** What the borrow field means in words: off, or how long a client may work offline. */
export function borrowHint(text: string): string {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return `Whole hours from 0 to ${MAX_BORROW_HOURS}.`;
  const h = Number(t);
  if (h === 0) return 'Borrowing is off: clients must stay online.';
  if (h > MAX_BORROW_HOURS) return `At most ${MAX_BORROW_HOURS} hours (90 days).`;
  const days = h >= 48 ? ` (${Math.round((h / 24) * 10) / 10} days)` : '';
  return `A client may take a seat offline for up to ${h} hour${h === 1 ? '' : 's'}${days}.`;
}
