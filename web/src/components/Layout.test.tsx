import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

const OTHER = '0190aaaa-0000-7000-8000-0000000000ff';

describe('Layout: tenant context', () => {
  it('names the tenant in the header and the breadcrumb', async () => {
    fakeServer({
      'GET /api/v1/auth/me': () => ({ body: { user: userWith('admin'), csrf_token: 'c' } }),
      [`GET /api/v1/tenants/${TENANT}/licenses`]: () => ({ body: { items: [], next_cursor: null } }),
    });
    renderAt(`/t/${TENANT}/licenses`);
    await waitFor(() => expect(screen.getByTestId('header-tenant').textContent).toBe('Acme'));
    const crumbs = screen.getByRole('navigation', { name: 'Breadcrumb' });
    expect(within(crumbs).getByRole('link', { name: 'Acme' }).getAttribute('href')).toBe(`/t/${TENANT}/licenses`);
    expect(within(crumbs).getByText('Licenses').getAttribute('aria-current')).toBe('page');
  });

  it('shows the no-access page for a tenant the person is not a member of, after asking once more', async () => {
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': () => ({ body: { user: userWith('owner'), csrf_token: 'c' } }),
    });
    renderAt(`/t/${OTHER}/licenses`);
    await screen.findByRole('heading', { name: "You don't have access to this tenant" });
    expect(screen.getByRole('link', { name: 'Back to your tenants' }).getAttribute('href')).toBe('/');
    expect(calls.filter((c) => c.path === '/api/v1/auth/me')).toHaveLength(2);
    expect(calls.some((c) => c.path.startsWith(`/api/v1/tenants/${OTHER}`))).toBe(false);
    expect(screen.queryByTestId('header-tenant')).toBeNull();
  });

  it('staff: a tenant missing from the list is looked up again, then refused', async () => {
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': () => ({ body: { user: userWith('staff'), csrf_token: 'c' } }),
      'GET /api/v1/tenants': () => ({ body: { items: [{ id: TENANT, name: 'Acme', slug: 'acme', created_at: '2026-01-01T00:00:00Z' }], next_cursor: null } }),
    });
    renderAt(`/t/${OTHER}/audit`);
    await screen.findByRole('heading', { name: "You don't have access to this tenant" });
    expect(calls.filter((c) => c.path === '/api/v1/tenants')).toHaveLength(2);
    expect(screen.getByRole('link', { name: 'Back to all tenants' }).getAttribute('href')).toBe('/staff');
    expect(screen.getByRole('combobox', { name: 'Tenant' })).toBeTruthy();
  });
});
