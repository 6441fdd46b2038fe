import { describe, expect, it } from 'vitest';
import type { Membership, Tenant } from '../api/types';
import { breadcrumbs, sectionOf, tenantChoices, tenantGate } from './tenantNav';

const member = (id: string, name: string): Membership => ({ tenant_id: id, tenant_name: name, tenant_slug: name.toLowerCase(), role: 'owner' });
const tenant = (id: string, name: string): Tenant => ({ id, name, slug: name.toLowerCase(), created_at: '2026-01-01T00:00:00Z' });

describe('tenantChoices', () => {
  it('lists memberships first, then the other tenants once', () => {
    expect(tenantChoices([member('b', 'Beta')], [tenant('a', 'Alpha'), tenant('b', 'Beta')])).toEqual([{ id: 'b', name: 'Beta' }, { id: 'a', name: 'Alpha' }]);
    expect(tenantChoices([], null)).toEqual([]);
  });
});

describe('tenantGate', () => {
  const choices = [{ id: 'a', name: 'Alpha' }];
  it('opens pages without a tenant and tenants of the list', () => {
    expect(tenantGate(undefined, [], 'loading', false)).toBe('open');
    expect(tenantGate('a', choices, 'loading', false)).toBe('open');
  });
  it('checks an unknown tenant again before saying no', () => {
    expect(tenantGate('x', choices, 'loading', false)).toBe('checking');
    expect(tenantGate('x', choices, 'ready', false)).toBe('checking');
    expect(tenantGate('x', choices, 'ready', true)).toBe('no-access');
  });
  it('leaves it to the pages when the list could not be loaded', () => {
    expect(tenantGate('x', choices, 'failed', true)).toBe('open');
  });
});

describe('sectionOf', () => {
  it('keeps a known section, licenses otherwise', () => {
    expect(sectionOf('/t/a/audit')).toBe('audit');
    expect(sectionOf('/t/a/licenses/l1')).toBe('licenses');
    expect(sectionOf('/staff')).toBe('licenses');
  });
});

describe('breadcrumbs', () => {
  const t = { id: 'a', name: 'Alpha' };
  it('names the tenant and the section; the page itself is no link', () => {
    expect(breadcrumbs('/t/a/audit', t)).toEqual([{ label: 'Alpha', to: '/t/a/licenses' }, { label: 'Audit log' }]);
  });
  it('ends with the item of a detail page, staff start at all tenants', () => {
    expect(breadcrumbs('/t/a/licenses/l1', t, { staff: true, leaf: 'CAD' })).toEqual([
      { label: 'All tenants', to: '/staff' }, { label: 'Alpha', to: '/t/a/licenses' }, { label: 'Licenses', to: '/t/a/licenses' }, { label: 'CAD' },
    ]);
    expect(breadcrumbs('/t/a/licenses/l1', t).at(-1)).toEqual({ label: 'Details' });
  });
  it('is empty for another tenant or a page outside tenants', () => {
    expect(breadcrumbs('/t/b/licenses', t)).toEqual([]);
    expect(breadcrumbs('/account', t)).toEqual([]);
  });
});
