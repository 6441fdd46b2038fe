// The audit page's vocabulary: which actions and resource kinds exist, what an entry is
// about in words (the license's name, the session's license and machine) with a link to
// it, and how the page's filters become the server's query.
import type { AuditEntry } from '../api/types';

/** Every action the server records, as `resource.verb`. */
export const AUDIT_ACTIONS = [
  'tenant.create', 'tenant.update', 'token.create', 'token.revoke', 'license.create', 'license.update',
  'license.key_reissue', 'session.force_release', 'session.expire', 'invitation.create', 'invitation.revoke',
  'member.add', 'member.update', 'member.remove',
] as const;

/** The resource kinds of the audit log. */
export const AUDIT_RESOURCES = ['license', 'session', 'token', 'member', 'invitation', 'tenant'] as const;

/** What the page's filter controls hold (the URL's search parameters). */
export interface AuditFilterValues {
  actor: string;
  resource: string;
  resource_id: string;
  action: string;
  /** `YYYY-MM-DD` (local day, inclusive) or ''. */
  from: string;
  /** `YYYY-MM-DD` (local day, inclusive) or ''. */
  to: string;
}

/** The filter values of a URL's search parameters. */
export function auditFiltersFrom(params: URLSearchParams): AuditFilterValues {
  const g = (k: string) => params.get(k) ?? '';
  return { actor: g('actor'), resource: g('resource'), resource_id: g('resource_id'), action: g('action'), from: g('from'), to: g('to') };
}

/** Local midnight of a `YYYY-MM-DD` day, as RFC 3339; `days` later with `days`. */
function dayStart(day: string, days = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * A range of local days (`YYYY-MM-DD`, both inclusive, either may be '') as the server's
 * `from` (inclusive) and `to` (exclusive: the next day's midnight).
 */
export function dayRangeQuery(fromDay: string, toDay: string): { from?: string; to?: string } {
  return { from: fromDay ? dayStart(fromDay) : undefined, to: toDay ? dayStart(toDay, 1) : undefined };
}

/** The server's query for the filters (days as in `dayRangeQuery`); empty values are left out. */
export function auditQuery(f: AuditFilterValues): Record<string, string | undefined> {
  const v = (s: string) => s.trim() || undefined;
  return {
    actor: v(f.actor), resource: v(f.resource), resource_id: v(f.resource_id), action: v(f.action),
    ...dayRangeQuery(f.from, f.to),
  };
}

/** Whether the range is backwards (the server would refuse it). */
export function auditRangeError(f: AuditFilterValues): string | null {
  return f.from && f.to && f.to < f.from ? 'The end date is before the start date.' : null;
}

/** A field of an entry's after (or before) state. */
function field(e: AuditEntry, key: string): unknown {
  for (const side of [e.after, e.before]) {
    if (side && typeof side === 'object' && key in side) return (side as Record<string, unknown>)[key];
  }
  return undefined;
}

/** What an entry is about: words, and a dashboard link when there is a page for it. */
export interface AuditTarget {
  label: string;
  href: string | null;
  /** The license the entry concerns (itself, or the session's). */
  licenseId: string | null;
}

/**
 * Names the entry's resource: a license by its name (from the entry, else `licenseName`),
 * a session by its license and machine (linking to that license), people and tokens by
 * their e-mail or name (linking to the people page).
 */
export function auditTarget(e: AuditEntry, tenantId: string, licenseName: (id: string) => string | undefined): AuditTarget {
  const base = `/t/${tenantId}`;
  const str = (k: string) => { const v = field(e, k); return typeof v === 'string' && v ? v : undefined; };
  const short = (id: string | null) => (id ? `…${id.slice(-8)}` : '?');
  if (e.resource === 'license' && e.resource_id) {
    const name = str('name') ?? licenseName(e.resource_id) ?? (str('key_hint') ? `…${str('key_hint')}` : short(e.resource_id));
    return { label: `License ${name}`, href: `${base}/licenses/${e.resource_id}`, licenseId: e.resource_id };
  }
  if (e.resource === 'session') {
    const lid = str('license_id') ?? null;
    const lic = lid ? licenseName(lid) ?? short(lid) : '?';
    const who = str('user_email') ?? str('hardware_id') ?? short(e.resource_id);
    const machine = str('hardware_id') && str('user_email') ? ` on ${str('hardware_id')}` : '';
    return { label: `Session of ${who}${machine} · license ${lic}`, href: lid ? `${base}/licenses/${lid}` : null, licenseId: lid };
  }
  if (e.resource === 'member' || e.resource === 'invitation') {
    return { label: `${e.resource === 'member' ? 'Member' : 'Invitation'} ${str('email') ?? short(e.resource_id)}`, href: `${base}/people`, licenseId: null };
  }
  if (e.resource === 'token') return { label: `Token ${str('name') ?? short(e.resource_id)}`, href: `${base}/people`, licenseId: null };
  if (e.resource === 'tenant') return { label: `Tenant ${str('name') ?? short(e.resource_id)}`, href: null, licenseId: null };
  return { label: `${e.resource} ${short(e.resource_id)}`, href: null, licenseId: null };
}
