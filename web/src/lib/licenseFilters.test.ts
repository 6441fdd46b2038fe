import { describe, expect, it } from 'vitest';
import type { License } from '../api/types';
import { clientFilter, DEFAULT_FILTERS, filtersToParams, paginate, parseFilters, searchMatch, serverQuery, sortLicenses, type LicenseFilters } from './licenseFilters';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
let n = 0;
function lic(p: Partial<License>): License {
  n++;
  return {
    id: `id-${n}`, tenant_id: 't', name: `License ${n}`, license_key: null, key_hint: `k${n}xx`, seats_total: 5, seats_used: 0,
    expires_at: null, heartbeat_ttl_seconds: 360, entitlements: [], metadata: {}, is_active: true,
    created_at: new Date(NOW - (100 - n) * DAY).toISOString(), updated_at: new Date(NOW).toISOString(), ...p,
  };
}
const f = (p: Partial<LicenseFilters>): LicenseFilters => ({ ...DEFAULT_FILTERS, ...p });

describe('URL round trip', () => {
  it('keeps every non-default filter and drops defaults', () => {
    const filters = f({ q: 'cad', status: 'suspended', expiry: '30d', sort: 'name', dir: 'asc', page: 3, pageSize: 50 });
    expect(parseFilters(filtersToParams(filters))).toEqual(filters);
    expect(filtersToParams(DEFAULT_FILTERS).toString()).toBe('');
  });
  it('falls back to defaults for bad values', () => {
    expect(parseFilters(new URLSearchParams('status=bogus&sort=evil&page=-2&size=7&dir=up'))).toEqual(DEFAULT_FILTERS);
  });
});

describe('serverQuery', () => {
  it('sends search, status and an expiry bound', () => {
    expect(serverQuery(f({ q: '  acme ', status: 'valid', expiry: '7d' }), NOW)).toEqual({
      q: 'acme', state: 'valid', expires_before: new Date(NOW + 7 * DAY).toISOString(),
    });
    expect(serverQuery(f({ expiry: 'never' }), NOW)).toEqual({});
  });
});

describe('clientFilter', () => {
  const soon = lic({ name: 'Soon', expires_at: new Date(NOW + 3 * DAY).toISOString() });
  const later = lic({ name: 'Later', expires_at: new Date(NOW + 60 * DAY).toISOString() });
  const past = lic({ name: 'Past', expires_at: new Date(NOW - DAY).toISOString() });
  const forever = lic({ name: 'Forever' });
  const paused = lic({ name: 'Paused', is_active: false });
  const all = [soon, later, past, forever, paused];

  it('expiry windows hold only licenses not yet expired that expire inside the window', () => {
    expect(clientFilter(all, f({ expiry: '7d' }), NOW).map((l) => l.name)).toEqual(['Soon']);
    expect(clientFilter(all, f({ expiry: '90d' }), NOW).map((l) => l.name)).toEqual(['Soon', 'Later']);
  });
  it('"never" keeps licenses without expiry', () => {
    expect(clientFilter(all, f({ expiry: 'never' }), NOW).map((l) => l.name)).toEqual(['Forever', 'Paused']);
  });
  it('status uses the contract rules (suspended wins over expired)', () => {
    const both = lic({ name: 'Both', is_active: false, expires_at: new Date(NOW - DAY).toISOString() });
    expect(clientFilter([...all, both], f({ status: 'expired' }), NOW).map((l) => l.name)).toEqual(['Past']);
    expect(clientFilter([...all, both], f({ status: 'suspended' }), NOW).map((l) => l.name)).toEqual(['Paused', 'Both']);
  });
  it('leaves the text search to the server, which matches what the page cannot see', () => {
    // A pasted key or hardware id appears in no field the page has: the server's answer stands.
    expect(clientFilter(all, f({ q: 'HW-9f3a-77' }), NOW)).toEqual(all);
  });
});

describe('archived filter', () => {
  it('round-trips through the URL, goes to the server, and is left out by default', () => {
    for (const archived of ['include', 'only'] as const) {
      const filters = f({ archived });
      expect(parseFilters(filtersToParams(filters))).toEqual(filters);
      expect(serverQuery(filters, NOW).archived).toBe(archived);
    }
    expect(serverQuery(f({}), NOW).archived).toBeUndefined();
    expect(parseFilters(new URLSearchParams('archived=everything')).archived).toBe('');
  });
});

describe('searchMatch', () => {
  const l = lic({ name: 'Acme CAD', key_hint: 'Q7RT', metadata: { customer: 'Initech Ltd', po: 44017 } });
  it('names what matched when the page can see it', () => {
    expect(searchMatch(l, 'acme')).toBeNull();
    expect(searchMatch(l, 'q7r')).toBe('key ending');
    expect(searchMatch(l, 'initech')).toBe('metadata customer: Initech Ltd');
    expect(searchMatch(l, '4401')).toBe('metadata po: 44017');
  });
  it('tells a full key, an e-mail and a hardware id apart when it cannot', () => {
    expect(searchMatch(l, 'ABCD-EFGH-IJKL-Q7RT')).toBe('its full license key');
    expect(searchMatch(l, 'ana@acme.test')).toBe("a session's user e-mail ana@acme.test");
    expect(searchMatch(l, 'HW-9f3a-77')).toBe("a session's hardware id HW-9f3a-77");
    expect(searchMatch(l, '  ')).toBeNull();
  });
});

describe('sortLicenses', () => {
  const a = lic({ name: 'beta', seats_used: 3, expires_at: new Date(NOW + 5 * DAY).toISOString() });
  const b = lic({ name: 'Alpha', seats_used: 9 });
  const c = lic({ name: 'gamma', seats_used: 3, expires_at: new Date(NOW + 1 * DAY).toISOString() });
  it('sorts by name case-insensitively in both directions', () => {
    expect(sortLicenses([a, b, c], 'name', 'asc', NOW).map((l) => l.name)).toEqual(['Alpha', 'beta', 'gamma']);
    expect(sortLicenses([a, b, c], 'name', 'desc', NOW).map((l) => l.name)).toEqual(['gamma', 'beta', 'Alpha']);
  });
  it('keeps creation order on ties', () => {
    expect(sortLicenses([a, b, c], 'seats_used', 'asc', NOW).map((l) => l.name)).toEqual(['beta', 'gamma', 'Alpha']);
  });
  it('puts licenses that never expire last in both directions', () => {
    expect(sortLicenses([b, a, c], 'expires_at', 'asc', NOW).map((l) => l.name)).toEqual(['gamma', 'beta', 'Alpha']);
    expect(sortLicenses([b, a, c], 'expires_at', 'desc', NOW).map((l) => l.name)).toEqual(['beta', 'gamma', 'Alpha']);
  });
  it('is strictly newest first for licenses made in the same millisecond, by their time-ordered id', () => {
    const at = new Date(NOW).toISOString();
    const ids = ['0190aaaa-0000-7000-8000-000000000001', '0190aaaa-0000-7000-8000-000000000002', '0190aaaa-0000-7000-8000-000000000003'];
    const [x, y, z] = ids.map((id, i) => lic({ id, name: `same ms ${i}`, created_at: at }));
    for (const order of [[x, y, z], [z, x, y], [y, z, x]]) {
      expect(sortLicenses(order, 'created_at', 'desc', NOW).map((l) => l.id)).toEqual([z.id, y.id, x.id]);
      expect(sortLicenses(order, 'created_at', 'asc', NOW).map((l) => l.id)).toEqual([x.id, y.id, z.id]);
    }
  });
  it('does not change its input', () => {
    const input = [a, b, c];
    sortLicenses(input, 'name', 'asc', NOW);
    expect(input).toEqual([a, b, c]);
  });
});

describe('paginate', () => {
  const list = Array.from({ length: 23 }, (_, i) => i);
  it('slices pages and clamps the page number', () => {
    expect(paginate(list, 3, 10)).toEqual({ items: [20, 21, 22], page: 3, pages: 3 });
    expect(paginate(list, 9, 10).page).toBe(3);
    expect(paginate(list, 0, 10).items[0]).toBe(0);
    expect(paginate([], 1, 10)).toEqual({ items: [], page: 1, pages: 1 });
  });
});

describe('product and subscription filters', () => {
  const sub = { provider: 'stripe' as const, id: 'sub_A', customer_id: 'cus_1', status: 'active' as const, current_period_end: null, cancel_at_period_end: false };
  const fromStripe = lic({ name: 'Stripe', product_id: 'prod-1', subscription: sub });
  const otherProduct = lic({ name: 'Other', product_id: 'prod-2', subscription: { ...sub, id: 'sub_B' } });
  const byHand = lic({ name: 'Hand', product_id: null, subscription: null });
  const older = lic({ name: 'Old server' }); // no product_id / subscription fields at all

  it('round-trip through the URL and go to the server as product_id and subscription_id', () => {
    const filters = f({ product: '0190aaaa-0000-7000-8000-000000000009', subscription: 'sub_1Pq2' });
    expect(parseFilters(filtersToParams(filters))).toEqual(filters);
    expect(serverQuery(filters, NOW)).toEqual({ product_id: '0190aaaa-0000-7000-8000-000000000009', subscription_id: 'sub_1Pq2' });
  });

  it('ignore values that cannot be ids', () => {
    const parsed = parseFilters(new URLSearchParams('product=a%20b&subscription=sub%3Cx%3E'));
    expect([parsed.product, parsed.subscription]).toEqual(['', '']);
  });

  it('are re-applied to what the server answered', () => {
    const all = [fromStripe, otherProduct, byHand, older];
    expect(clientFilter(all, f({ product: 'prod-1' }), NOW).map((l) => l.name)).toEqual(['Stripe']);
    expect(clientFilter(all, f({ subscription: 'sub_B' }), NOW).map((l) => l.name)).toEqual(['Other']);
    expect(clientFilter(all, f({}), NOW)).toHaveLength(4);
  });
});
