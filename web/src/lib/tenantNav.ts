// Where a signed-in person is among tenants: the tenants they can open, whether the tenant of
// the address is one of them, the sections of a tenant and the breadcrumb of a page.
import type { Membership, Tenant } from '../api/types';

export interface TenantChoice { id: string; name: string }

/** Sections of a tenant, in the order of the navigation; `write`: only for owners, admins and staff. */
export const TENANT_SECTIONS: { path: string; label: string; write?: boolean }[] = [
  { path: 'licenses', label: 'Licenses' },
  { path: 'analytics', label: 'Analytics' },
  { path: 'usage', label: 'Usage' },
  { path: 'webhooks', label: 'Webhooks', write: true },
  { path: 'audit', label: 'Audit log' },
  { path: 'people', label: 'Users & tokens' },
  { path: 'trusted-issuers', label: 'Trusted issuers', write: true },
];

/** The tenants a person can open: their memberships first, then (for staff) every other tenant. */
export function tenantChoices(memberships: Membership[], all: Tenant[] | null): TenantChoice[] {
  const mine = memberships.map((m) => ({ id: m.tenant_id, name: m.tenant_name }));
  const seen = new Set(mine.map((m) => m.id));
  return [...mine, ...(all ?? []).filter((t) => !seen.has(t.id)).map((t) => ({ id: t.id, name: t.name }))];
}

/** How far the list of tenants is known: staff wait for the list of all tenants. */
export type ListState = 'loading' | 'ready' | 'failed';

/** What the frame shows for the tenant of the address. */
export type TenantGate = 'open' | 'checking' | 'no-access';

/**
 * `open` when the address names no tenant or one the person can open (or the list could not
 * be loaded: the pages then say what the server says); `checking` while the list loads or is
 * asked for again (the tenant may be new); `no-access` once a fresh list still lacks it.
 */
export function tenantGate(tenantId: string | undefined, choices: TenantChoice[], list: ListState, rechecked: boolean): TenantGate {
  if (!tenantId || choices.some((c) => c.id === tenantId)) return 'open';
  if (list === 'failed') return 'open';
  if (list === 'loading' || !rechecked) return 'checking';
  return 'no-access';
}

/** The section of a tenant page (`/t/:id/<section>/…`), licenses when none. */
export function sectionOf(pathname: string): string {
  const section = pathname.split('/')[3] ?? '';
  return TENANT_SECTIONS.some((s) => s.path === section) ? section : 'licenses';
}

export interface Crumb { label: string; to?: string }

/**
 * The breadcrumb of a tenant page: (all tenants, for staff) › tenant › section › `leaf`
 * (the item a detail page shows). The last crumb is the page itself and has no link.
 */
export function breadcrumbs(pathname: string, tenant: TenantChoice, { staff = false, leaf }: { staff?: boolean; leaf?: string | null } = {}): Crumb[] {
  const parts = pathname.split('/').filter(Boolean);
  if (parts[0] !== 't' || parts[1] !== tenant.id) return [];
  const base = `/t/${tenant.id}`;
  const section = TENANT_SECTIONS.find((s) => s.path === parts[2]);
  const crumbs: Crumb[] = staff ? [{ label: 'All tenants', to: '/staff' }] : [];
  crumbs.push({ label: tenant.name, to: `${base}/licenses` });
  if (section) {
    crumbs.push({ label: section.label, to: `${base}/${section.path}` });
    if (parts.length > 3) crumbs.push({ label: leaf || 'Details' });
  }
  const last = crumbs[crumbs.length - 1];
  crumbs[crumbs.length - 1] = { label: last.label };
  return crumbs;
}
