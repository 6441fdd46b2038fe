import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { License, Product, Subscription } from '../api/types';
import { fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

const SUB: Subscription = { provider: 'stripe', id: 'sub_9', customer_id: 'cus_9', status: 'active', current_period_end: '2030-05-01T12:00:00Z', cancel_at_period_end: false };
const PRODUCT: Product = {
  id: 'prod-1', slug: 'cad-pro', name: 'CAD Pro', seats_per_unit: 2, heartbeat_ttl_seconds: 360, entitlements: [], trial_days: 0, trial_seats: 1,
  grace_days: 7, stripe_price_ids: ['price_1'], metered: false, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
};
const lic = (id: string, p: Partial<License> = {}): License => ({
  id, tenant_id: TENANT, name: `License ${id}`, license_key: null, key_hint: id.toUpperCase(), seats_total: 6, seats_used: 0, expires_at: null,
  heartbeat_ttl_seconds: 360, entitlements: [], metadata: {}, is_active: true, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
  product_id: null, subscription: null, ...p,
});

function server(role: Parameters<typeof userWith>[0], licenses: License[]) {
  const base = `/api/v1/tenants/${TENANT}`;
  const routes: Parameters<typeof fakeServer>[0] = {
    'GET /api/v1/auth/me': () => ({ body: { user: userWith(role), csrf_token: 'c' } }),
    [`GET ${base}/licenses`]: (req) => ({ body: { items: licenses.filter((l) => !req.query.get('product_id') || l.product_id === req.query.get('product_id')), next_cursor: null } }),
    'GET /api/v1/products': () => ({ body: { items: [PRODUCT], next_cursor: null } }),
    'GET /api/v1/products/prod-1': () => ({ body: PRODUCT }),
    [`GET ${base}/analytics`]: () => ({ body: { bucket: 'hour', from: '', to: '', series: [], peak: 0, average: 0, denials_total: 0 } }),
  };
  for (const l of licenses) {
    routes[`GET ${base}/licenses/${l.id}`] = () => ({ body: l });
    routes[`GET ${base}/licenses/${l.id}/sessions`] = () => ({ body: { items: [], next_cursor: null } });
  }
  return fakeServer(routes);
}

describe('billing on the license detail page', () => {
  it('shows product, subscription status, period end, cancellation and the Stripe customer link (staff)', async () => {
    server('staff', [lic('l1', { product_id: 'prod-1', subscription: { ...SUB, cancel_at_period_end: true } })]);
    renderAt(`/t/${TENANT}/licenses/l1`);
    const card = await screen.findByTestId('license-billing');
    await waitFor(() => expect(within(card).getByTestId('license-product').textContent).toBe('CAD Pro (cad-pro)'));
    expect(within(card).getByRole('link', { name: /CAD Pro/ }).getAttribute('href')).toBe('/products/prod-1');
    expect(within(card).getByTestId('subscription-status').dataset.status).toBe('active');
    expect(within(card).getByTestId('period-end').textContent).toMatch(/2030/);
    expect(within(card).getByTestId('cancels-at-period-end').textContent).toBe('cancels at period end');
    const stripe = within(card).getByTestId('stripe-customer');
    expect(stripe.getAttribute('href')).toBe('https://dashboard.stripe.com/customers/cus_9');
    expect(stripe.getAttribute('rel')).toContain('noopener');
    expect(within(card).getByRole('link', { name: 'sub_9' }).getAttribute('href')).toBe(`/t/${TENANT}/licenses?subscription=sub_9`);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toContain('cancelling');
  });

  it('gives a tenant admin the facts without staff links', async () => {
    server('admin', [lic('l1', { product_id: 'prod-1', subscription: { ...SUB, status: 'past_due' } })]);
    renderAt(`/t/${TENANT}/licenses/l1`);
    const card = await screen.findByTestId('license-billing');
    await waitFor(() => expect(within(card).getByTestId('license-product').textContent).toBe('CAD Pro (cad-pro)'));
    expect(within(card).queryByRole('link', { name: /CAD Pro/ })).toBeNull();
    expect(within(card).queryByTestId('stripe-customer')).toBeNull();
    expect(within(card).getByText('cus_9')).toBeTruthy();
    expect(within(card).getByTestId('subscription-status').textContent).toBe('past due');
  });

  it('has no billing card for a license made by hand', async () => {
    server('staff', [lic('l1')]);
    renderAt(`/t/${TENANT}/licenses/l1`);
    await screen.findByText('No client holds a seat right now.');
    expect(screen.queryByTestId('license-billing')).toBeNull();
  });
});

describe('billing on the licenses list', () => {
  it('badges trialling, past due, cancelling and canceled licenses, and filters by product on the server', async () => {
    const { calls } = server('staff', [
      lic('t1', { metadata: { trial: true } }),
      lic('t2', { product_id: 'prod-1', subscription: { ...SUB, status: 'trialing' } }),
      lic('pd', { product_id: 'prod-1', subscription: { ...SUB, status: 'unpaid' } }),
      lic('cc', { product_id: 'prod-1', subscription: { ...SUB, cancel_at_period_end: true } }),
      lic('xx', { product_id: 'prod-1', subscription: { ...SUB, status: 'canceled' } }),
      lic('hand'),
    ]);
    renderAt(`/t/${TENANT}/licenses?sort=name&dir=asc`);
    const table = await screen.findByTestId('licenses-table');
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(7));
    const badgeOf = (name: string) => within(table).getByText(`License ${name}`).closest('tr')!.querySelector('[data-billing]')?.getAttribute('data-billing') ?? null;
    expect(['t1', 't2', 'pd', 'cc', 'xx', 'hand'].map(badgeOf)).toEqual(['trialing', 'trialing', 'past_due', 'cancelling', 'canceled', null]);

    const select = await screen.findByLabelText('Product');
    (select as HTMLSelectElement).value = 'prod-1';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(5));
    // The filter goes to the server (a live refresh may also be in flight, so not "the last call").
    await waitFor(() => expect(calls.some((c) => c.path.endsWith('/licenses') && c.query.get('product_id') === 'prod-1')).toBe(true));
  });
});
