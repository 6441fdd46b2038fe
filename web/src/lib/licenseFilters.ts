// The licenses page's filters, sort and pagination. Text search, status, product and
// subscription filters go to the server (`q`, `state`, `expires_before`, `product_id`,
// `subscription_id`); the expiry windows' lower bound, "never expires",
// sorting and paging run on the listing the server returned. Filters live in the URL so a
// filtered view can be bookmarked and shared.
import type { LicenseQuery } from '../api/endpoints';
import type { License } from '../api/types';
import { licenseStatus } from './format';

export type StatusFilter = '' | 'valid' | 'suspended' | 'expired';
export type ExpiryFilter = '' | '7d' | '30d' | '90d' | 'never';
export type SortKey = 'created_at' | 'name' | 'seats_used' | 'seats_total' | 'expires_at' | 'status';
export type SortDir = 'asc' | 'desc';
export type ArchivedFilter = '' | 'include' | 'only';

export interface LicenseFilters {
  q: string;
  status: StatusFilter;
  expiry: ExpiryFilter;
  sort: SortKey;
  dir: SortDir;
  page: number;
  pageSize: number;
  /** A product id: only licenses of that product. */
  product: string;
  /** A Stripe subscription id (`sub_…`): only the licenses it pays for. */
  subscription: string;
  /** Archived licenses: left out (''), shown too, or shown alone. */
  archived: ArchivedFilter;
}

export const DEFAULT_FILTERS: LicenseFilters = { q: '', status: '', expiry: '', sort: 'created_at', dir: 'desc', page: 1, pageSize: 25, product: '', subscription: '', archived: '' };
export const PAGE_SIZES = [10, 25, 50, 100];

const STATUSES: StatusFilter[] = ['', 'valid', 'suspended', 'expired'];
const EXPIRIES: ExpiryFilter[] = ['', '7d', '30d', '90d', 'never'];
const ARCHIVED: ArchivedFilter[] = ['', 'include', 'only'];
const SORTS: SortKey[] = ['created_at', 'name', 'seats_used', 'seats_total', 'expires_at', 'status'];
const DAY = 86_400_000;
const PRODUCT_ID = /^[0-9A-Za-z-]{1,64}$/;
const SUBSCRIPTION_ID = /^[0-9A-Za-z_]{1,255}$/;

/** Reads filters from the page URL; unknown or bad values fall back to the defaults. */
export function parseFilters(params: URLSearchParams): LicenseFilters {
  const pick = <T extends string>(v: string | null, allowed: T[], d: T): T => (allowed.includes(v as T) ? (v as T) : d);
  const page = Number.parseInt(params.get('page') ?? '', 10);
  const size = Number.parseInt(params.get('size') ?? '', 10);
  return {
    q: (params.get('q') ?? '').slice(0, 200),
    status: pick(params.get('status'), STATUSES, ''),
    expiry: pick(params.get('expiry'), EXPIRIES, ''),
    sort: pick(params.get('sort'), SORTS, DEFAULT_FILTERS.sort),
    dir: params.get('dir') === 'asc' ? 'asc' : params.get('dir') === 'desc' ? 'desc' : DEFAULT_FILTERS.dir,
    page: page > 0 ? page : 1,
    pageSize: PAGE_SIZES.includes(size) ? size : DEFAULT_FILTERS.pageSize,
    product: PRODUCT_ID.test(params.get('product') ?? '') ? params.get('product')! : '',
    subscription: SUBSCRIPTION_ID.test(params.get('subscription') ?? '') ? params.get('subscription')! : '',
    archived: pick(params.get('archived'), ARCHIVED, ''),
  };
}

/** Writes filters to URL parameters, leaving defaults out. */
export function filtersToParams(f: LicenseFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.q) p.set('q', f.q);
  if (f.status) p.set('status', f.status);
  if (f.expiry) p.set('expiry', f.expiry);
  if (f.sort !== DEFAULT_FILTERS.sort) p.set('sort', f.sort);
  if (f.dir !== DEFAULT_FILTERS.dir) p.set('dir', f.dir);
  if (f.page !== 1) p.set('page', String(f.page));
  if (f.pageSize !== DEFAULT_FILTERS.pageSize) p.set('size', String(f.pageSize));
  if (f.product) p.set('product', f.product);
  if (f.subscription) p.set('subscription', f.subscription);
  if (f.archived) p.set('archived', f.archived);
  return p;
}

/** The server query for the filters (`expires_before` from the expiry window). */
export function serverQuery(f: LicenseFilters, now = Date.now()): LicenseQuery {
  const q: LicenseQuery = {};
  if (f.q.trim()) q.q = f.q.trim();
  if (f.status) q.state = f.status;
  const days = f.expiry === '7d' ? 7 : f.expiry === '30d' ? 30 : f.expiry === '90d' ? 90 : 0;
  if (days) q.expires_before = new Date(now + days * DAY).toISOString();
  if (f.product) q.product_id = f.product;
  if (f.subscription) q.subscription_id = f.subscription;
  if (f.archived) q.archived = f.archived;
  return q;
}

/**
 * The filters the server cannot apply: an expiry window means "not yet expired, expires
 * before the bound"; `never` means no expiry. Also re-applies the server's status, product
 * and subscription filters, so a stale answer never shows a row that does not match. The
 * text search is the server's alone: it matches what the page cannot see (the full key by
 * its hash, sessions' hardware ids and e-mails).
 */
export function clientFilter(list: License[], f: LicenseFilters, now = Date.now()): License[] {
  const days = f.expiry === '7d' ? 7 : f.expiry === '30d' ? 30 : f.expiry === '90d' ? 90 : 0;
  return list.filter((l) => {
    if (f.status && licenseStatus(l, now) !== f.status) return false;
    if (f.product && l.product_id !== f.product) return false;
    if (f.subscription && l.subscription?.id !== f.subscription) return false;
    if (f.expiry === 'never') return l.expires_at === null;
    if (days) {
      if (!l.expires_at) return false;
      const at = Date.parse(l.expires_at);
      return at > now && at < now + days * DAY;
    }
    return true;
  });
}

const STATUS_ORDER = { valid: 0, expired: 1, suspended: 2 };

/** Sorts a copy of the list; ties keep creation order. Licenses without expiry sort last ascending. */
export function sortLicenses(list: License[], key: SortKey, dir: SortDir, now = Date.now()): License[] {
  const sign = dir === 'asc' ? 1 : -1;
  const value = (l: License): number | string => {
    switch (key) {
      case 'name': return (l.name ?? '').toLowerCase();
      case 'seats_used': return l.seats_used;
      case 'seats_total': return l.seats_total;
      case 'expires_at': return l.expires_at ? Date.parse(l.expires_at) : Number.POSITIVE_INFINITY;
      case 'status': return STATUS_ORDER[licenseStatus(l, now)];
      default: return Date.parse(l.created_at);
    }
  };
  return list
    .map((l, i) => ({ l, i, v: value(l) }))
    .sort((a, b) => {
      if (key === 'expires_at') {
        const ai = a.v === Number.POSITIVE_INFINITY;
        const bi = b.v === Number.POSITIVE_INFINITY;
        if (ai !== bi) return ai ? 1 : -1; // "never" is last whichever the direction
      }
      if (a.v < b.v) return -sign;
      if (a.v > b.v) return sign;
      // Ties (licenses made in the same millisecond, equal names…) go by id, which the
      // server makes time-ordered: newest first stays newest first, and a reload never
      // reshuffles rows.
      if (key === 'created_at') return a.l.id < b.l.id ? -sign : a.l.id > b.l.id ? sign : 0;
      return a.l.id < b.l.id ? -1 : a.l.id > b.l.id ? 1 : a.i - b.i;
    })
    .map((x) => x.l);
}

/** One page of a list; the page number is clamped to the pages that exist. */
export function paginate<T>(list: T[], page: number, size: number): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(list.length / size));
  const p = Math.min(Math.max(1, page), pages);
  return { items: list.slice((p - 1) * size, p * size), page: p, pages };
}

/**
 * Why the server's search found a license, for the row's "matched" note: what the page can
 * see (name, key ending, a metadata value) is named exactly; otherwise the match was on
 * what it cannot see, told apart by the text's shape (an e-mail, a full key ending in the
 * key's hint, else a session's hardware id). Null when there is no search.
 */
export function searchMatch(l: License, q: string): string | null {
  const text = q.trim();
  if (!text) return null;
  const lower = text.toLowerCase();
  if ((l.name ?? '').toLowerCase().includes(lower)) return null; // the name shows it already
  if (l.key_hint.toLowerCase().includes(lower)) return 'key ending';
  for (const [k, v] of Object.entries(l.metadata ?? {})) {
    if (String(v).toLowerCase().includes(lower)) return `metadata ${k}: ${String(v)}`;
  }
  if (text.includes('@')) return `a session's user e-mail ${text}`;
  if (text.length >= 8 && text.toUpperCase().endsWith(l.key_hint.toUpperCase())) return 'its full license key';
  return `a session's hardware id ${text}`;
}
