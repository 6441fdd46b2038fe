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

/** "in 3 days", "5 min ago": how far a time is from now. */
export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [86_400_000 * 365, 'year'],
    [86_400_000 * 30, 'month'],
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [ms, name] of units) {
    if (abs >= ms) {
      const n = Math.floor(abs / ms);
      const label = name === 's' || name === 'min' ? `${n} ${name}` : `${n} ${name}${n === 1 ? '' : 's'}`;
      return diff >= 0 ? `in ${label}` : `${label} ago`;
    }
  }
  return 'now';
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
