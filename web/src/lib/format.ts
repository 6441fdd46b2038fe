// Display helpers for times, numbers and statuses.
import type { License } from '../api/types';

/** `valid`, `suspended` (wins) or `expired`, as the contract decides them. */
export function licenseStatus(l: Pick<License, 'is_active' | 'expires_at'>, now = Date.now()): 'valid' | 'suspended' | 'expired' {
  if (!l.is_active) return 'suspended';
  if (l.expires_at && Date.parse(l.expires_at) <= now) return 'expired';
  return 'valid';
}

/** A short local date and time, or a dash. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A local date, or `never`. */
export function formatDate(iso: string | null | undefined, none = 'never'): string {
  if (!iso) return none;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** The page's locale: the browser's language, or the runtime's default outside a browser. */
export function pageLocale(): string | undefined {
  return typeof navigator !== 'undefined' && navigator.language ? navigator.language : undefined;
}

const RELATIVE_UNITS: [number, Intl.RelativeTimeFormatUnit][] = [
  [86_400_000 * 365, 'year'],
  [86_400_000 * 30, 'month'],
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1000, 'second'],
];

/**
 * "in 3 days", "5 minutes ago" (or "il y a 5 minutes"): how far a time is from now, in the
 * page's locale (`Intl.RelativeTimeFormat` with `navigator.language`), in the largest whole unit.
 */
export function relativeTime(iso: string | null | undefined, now = Date.now(), locale = pageLocale()): string {
  if (!iso) return '—';
  const diff = Date.parse(iso) - now;
  if (Number.isNaN(diff)) return iso;
  let fmt: Intl.RelativeTimeFormat;
  try {
    fmt = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  } catch {
    fmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  }
  const abs = Math.abs(diff);
  for (const [ms, unit] of RELATIVE_UNITS) {
    if (abs >= ms) return fmt.format(Math.sign(diff) * Math.floor(abs / ms), unit);
  }
  return fmt.format(0, 'second');
}

/** A number with at most `digits` decimals, trailing zeros dropped. */
export function formatNumber(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '—';
  return Number(n.toFixed(digits)).toLocaleString(undefined, { maximumFractionDigits: digits });
}

/** Turns a `datetime-local` input value into RFC 3339 UTC, or null when empty. */
export function localInputToIso(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Turns an RFC 3339 time into a `datetime-local` input value in local time. */
export function isoToLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
