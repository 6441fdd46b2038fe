import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

const L1 = '0190aaaa-0000-7000-8000-0000000000a1';
const L2 = '0190aaaa-0000-7000-8000-0000000000a2';
const P = '0190aaaa-0000-7000-8000-0000000000f1';
const lic = (id: string, name: string, product_id: string | null) => ({
  id, tenant_id: TENANT, name, key_hint: 'ABCD', seats_total: 5, seats_used: 0, expires_at: null, heartbeat_ttl_seconds: 60,
  entitlements: [], metadata: {}, is_active: true, status: 'valid', created_at: '2026-11-01T00:00:00Z', updated_at: '2026-11-01T00:00:00Z',
  product_id, subscription: null,
});

function server() {
  return fakeServer({
    'GET /api/v1/auth/me': () => ({ body: { user: userWith('admin'), csrf_token: 'c' } }),
    [`GET /api/v1/tenants/${TENANT}/licenses`]: () => ({ body: { items: [lic(L1, 'CAD seats', P), lic(L2, 'Viewer', null)], next_cursor: null } }),
    'GET /api/v1/products': () => ({ body: { items: [{ id: P, name: 'CAD Pro' }], next_cursor: null } }),
    [`GET /api/v1/tenants/${TENANT}/usage`]: (req) => ({
      body: {
        from: req.query.get('from'), to: req.query.get('to'),
        items: [
          { license_id: L1, product_id: P, start: req.query.get('from'), end: req.query.get('from'), seat_hours: 1.5, peak_seats: 2, sessions: 2, denials: 1 },
          { license_id: L2, product_id: null, start: req.query.get('from'), end: req.query.get('from'), seat_hours: 0.25, peak_seats: 1, sessions: 1, denials: 0 },
          { license_id: L1, product_id: P, start: req.query.get('to'), end: req.query.get('to'), seat_hours: 2, peak_seats: 3, sessions: 3, denials: 0 },
        ],
      },
    }),
  });
}

describe('UsagePage', () => {
  it('asks for hourly usage of the last day and totals it per license and product', async () => {
    const { calls } = server();
    renderAt(`/t/${TENANT}/usage`);
    await waitFor(() => expect(screen.getByTestId('stat-seat-hours').textContent).toBe('3.75'));
    const q = calls.find((c) => c.path.endsWith('/usage'))!.query;
    expect(q.get('granularity')).toBe('hour');
    expect(Date.parse(q.get('to')!) - Date.parse(q.get('from')!)).toBeLessThanOrEqual(24 * 3_600_000);
    const rows = within(screen.getByTestId('usage-licenses')).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-key'))).toEqual([L1, L2]);
    expect(within(rows[0]).getByTestId('seat-hours').textContent).toBe('3.50');
    expect(within(rows[0]).getByText('CAD seats')).toBeTruthy();
    const products = within(screen.getByTestId('usage-products')).getAllByRole('row').slice(1);
    expect(products).toHaveLength(1);
    expect(within(products[0]).getByText('CAD Pro')).toBeTruthy();
    expect(screen.getByTestId('stat-peak').textContent).toBe('3');
    expect(screen.getByTestId('stat-denials').textContent).toBe('1');
  });

  it('asks monthly for the last twelve months', async () => {
    const { calls } = server();
    renderAt(`/t/${TENANT}/usage?range=12m`);
    await waitFor(() => expect(calls.some((c) => c.path.endsWith('/usage'))).toBe(true));
    expect(calls.find((c) => c.path.endsWith('/usage'))!.query.get('granularity')).toBe('month');
  });
});
