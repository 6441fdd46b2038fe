import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Product } from '../api/types';
import { apiError, fakeServer } from '../test/fakeServer';
import { renderAt, userWith } from '../test/renderApp';

const product = (i: number, p: Partial<Product> = {}): Product => ({
  id: `p${i}`, slug: `prod-${i}`, name: `Product ${i}`, seats_per_unit: 1, heartbeat_ttl_seconds: 360, entitlements: [],
  trial_days: 0, trial_seats: 1, grace_days: 7, stripe_price_ids: [`price_${i}`], metered: false,
  created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', ...p,
});
const me = (role: Parameters<typeof userWith>[0]) => () => ({ body: { user: userWith(role), csrf_token: 'csrf-p' } });
const rows = () => within(screen.getByTestId('products-table')).getAllByRole('row').slice(1);

describe('ProductsPage', () => {
  it('pages through the products with next_cursor, and back', async () => {
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': me('staff'),
      'GET /api/v1/products': (req) => req.query.get('cursor') === 'c2'
        ? { body: { items: [product(3)], next_cursor: null } }
        : { body: { items: [product(1), product(2, { trial_days: 14, trial_seats: 2 })], next_cursor: 'c2' } },
    });
    renderAt('/products');
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows()[1].textContent).toContain('14 d · 2 seats');
    fireEvent.click(screen.getByText('Next ›'));
    await waitFor(() => expect(rows()[0].textContent).toContain('Product 3'));
    expect(screen.getByText('Page 2')).toBeTruthy();
    expect((screen.getByText('Next ›') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByText('‹ Previous'));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(calls.filter((c) => c.path === '/api/v1/products').map((c) => c.query.get('cursor'))).toEqual([null, 'c2', null]);
  });

  it('creates a product with the typed values and the CSRF token', async () => {
    const items: Product[] = [];
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': me('staff'),
      'GET /api/v1/products': () => ({ body: { items: [...items], next_cursor: null } }),
      'POST /api/v1/products': (req) => { const p = product(9, req.body as Partial<Product>); items.push(p); return { status: 201, body: p }; },
    });
    renderAt('/products');
    await waitFor(() => expect(screen.getByText(/No products yet/)).toBeTruthy());
    fireEvent.click(screen.getByText('New product'));
    const form = screen.getByRole('form', { name: 'Create product' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'CAD Pro' } });
    expect((within(form).getByLabelText('Slug') as HTMLInputElement).value).toBe('cad-pro');
    fireEvent.change(within(form).getByLabelText('Seats per unit'), { target: { value: '2' } });
    fireEvent.change(within(form).getByLabelText(/Stripe price ids/), { target: { value: 'price_a\nprice_b' } });
    fireEvent.click(within(form).getByLabelText(/Metered/));
    fireEvent.click(within(form).getByText('Create product'));
    await waitFor(() => expect(screen.getByText('Created product CAD Pro (cad-pro).')).toBeTruthy());
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.headers['x-csrf-token']).toBe('csrf-p');
    expect(post.body).toEqual({
      slug: 'cad-pro', name: 'CAD Pro', seats_per_unit: 2, heartbeat_ttl_seconds: 360, entitlements: [], trial_days: 0,
      trial_seats: 1, grace_days: 7, stripe_price_ids: ['price_a', 'price_b'], metered: true,
    });
    await waitFor(() => expect(rows()[0].textContent).toContain('CAD Pro'));
  });

  it('shows the server refusing a taken price id, and sends nothing for a form that fails its checks', async () => {
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': me('staff'),
      'GET /api/v1/products': () => ({ body: { items: [], next_cursor: null } }),
      'POST /api/v1/products': () => apiError(409, 'conflict', { field: 'stripe_price_ids' }),
    });
    renderAt('/products');
    fireEvent.click(await screen.findByText('New product'));
    const form = screen.getByRole('form', { name: 'Create product' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'X' } });
    fireEvent.change(within(form).getByLabelText('Grace days'), { target: { value: '91' } });
    fireEvent.click(within(form).getByText('Create product'));
    expect(within(form).getByText('Grace days must be between 0 and 90.')).toBeTruthy();
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    fireEvent.change(within(form).getByLabelText(/^Grace days/), { target: { value: '7' } });
    fireEvent.change(within(form).getByLabelText(/Stripe price ids/), { target: { value: 'price_taken' } });
    fireEvent.click(within(form).getByText('Create product'));
    const alert = await within(form).findByRole('alert');
    expect(alert.textContent).toContain('conflict happened');
    expect(alert.textContent).toContain('(conflict · request req-1)');
    expect(within(form).getAllByText('conflict happened').length).toBe(2); // beside the field and in the notice
  });

  it('sends only the changed fields when a product is edited', async () => {
    let current = product(1, { entitlements: ['export'] });
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': me('staff'),
      'GET /api/v1/products/p1': () => ({ body: current }),
      'PATCH /api/v1/products/p1': (req) => { current = { ...current, ...(req.body as Partial<Product>), updated_at: '2026-02-01T00:00:00Z' }; return { body: current }; },
    });
    renderAt('/products/p1');
    fireEvent.click(await screen.findByText('Edit'));
    const form = screen.getByRole('form', { name: 'Save changes' });
    fireEvent.change(within(form).getByLabelText('Trial days (0: no self-service trials)'), { target: { value: '14' } });
    fireEvent.change(within(form).getByLabelText('Entitlements (comma separated)'), { target: { value: 'export, render' } });
    fireEvent.click(within(form).getByText('Save changes'));
    await waitFor(() => expect(screen.getByText(/^Saved\./)).toBeTruthy());
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ trial_days: 14, entitlements: ['export', 'render'] });
    expect(within(screen.getByTestId('product-facts')).getByText('14 days, 1 seat')).toBeTruthy();
  });

  it('is for staff only: a tenant admin is sent home without the page asking for products', async () => {
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': me('admin'),
      'GET /api/v1/tenants/0190aaaa-0000-7000-8000-000000000001/licenses': () => ({ body: { items: [], next_cursor: null } }),
    });
    renderAt('/products');
    await waitFor(() => expect(screen.getByText('No licenses yet.')).toBeTruthy());
    expect(screen.queryByRole('link', { name: 'Products' })).toBeNull();
    expect(calls.some((c) => c.path === '/api/v1/products' && c.query.get('limit') === '50')).toBe(false);
  });
});
