import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { License } from '../api/types';
import { fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

function lic(i: number, p: Partial<License> = {}): License {
  return {
    id: `l${i}`, tenant_id: TENANT, name: `License ${String(i).padStart(2, '0')}`, license_key: null, key_hint: `H${i}`,
    seats_total: 10, seats_used: i % 10, expires_at: null, heartbeat_ttl_seconds: 360, entitlements: [], metadata: {},
    is_active: true, created_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), updated_at: '2026-01-01T00:00:00Z', ...p,
  };
}

function server(role: Parameters<typeof userWith>[0], items: License[]) {
  return fakeServer({
    'GET /api/v1/auth/me': () => ({ body: { user: userWith(role), csrf_token: 'csrf-abc' } }),
    [`GET /api/v1/tenants/${TENANT}/licenses`]: (req) => {
      const q = req.query.get('q')?.toLowerCase();
      return { body: { items: items.filter((l) => !q || l.name!.toLowerCase().includes(q)), next_cursor: null } };
    },
    [`POST /api/v1/tenants/${TENANT}/licenses/bulk`]: (req) => ({ body: { updated: (req.body as { ids: string[] }).ids.length } }),
  });
}

const rows = () => within(screen.getByTestId('licenses-table')).getAllByRole('row').slice(1) as HTMLTableRowElement[];

describe('LicensesPage', () => {
  it('pages through the licenses, newest first by default', async () => {
    server('admin', Array.from({ length: 30 }, (_, i) => lic(i + 1)));
    renderAt(`/t/${TENANT}/licenses`);
    await waitFor(() => expect(rows()).toHaveLength(25));
    expect(rows()[0].textContent).toContain('License 30');
    expect(screen.getByText('Page 1 of 2')).toBeTruthy();
    fireEvent.click(screen.getByText('Next ›'));
    await waitFor(() => expect(rows()).toHaveLength(5));
    expect(rows()[4].textContent).toContain('License 01');
  });

  it('sorts by a column when its header is clicked, then reverses', async () => {
    server('admin', [lic(1, { name: 'beta' }), lic(2, { name: 'Alpha' }), lic(3, { name: 'gamma' })]);
    renderAt(`/t/${TENANT}/licenses`);
    await waitFor(() => expect(rows()).toHaveLength(3));
    fireEvent.click(screen.getByRole('button', { name: 'Name' }));
    await waitFor(() => expect(rows().map((r) => r.cells[1].textContent)).toEqual(['Alpha', 'beta', 'gamma']));
    fireEvent.click(screen.getByRole('button', { name: /Name/ }));
    await waitFor(() => expect(rows().map((r) => r.cells[1].textContent)).toEqual(['gamma', 'beta', 'Alpha']));
  });

  it('sends the search to the server (debounced) and the status filter', async () => {
    const { calls } = server('admin', [lic(1, { name: 'Acme CAD' }), lic(2, { name: 'Other' })]);
    renderAt(`/t/${TENANT}/licenses`);
    await waitFor(() => expect(rows()).toHaveLength(2));
    fireEvent.change(screen.getByLabelText('Search licenses'), { target: { value: 'cad' } });
    await waitFor(() => expect(rows()).toHaveLength(1), { timeout: 2000 });
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'suspended' } });
    await waitFor(() => expect(calls.some((c) => c.query.get('state') === 'suspended' && c.query.get('q') === 'cad')).toBe(true));
  });

  it('suspends the selected licenses in one bulk call carrying the CSRF token', async () => {
    const { calls } = server('owner', [lic(1), lic(2), lic(3)]);
    renderAt(`/t/${TENANT}/licenses`);
    await waitFor(() => expect(rows()).toHaveLength(3));
    fireEvent.click(screen.getByLabelText('Select License 01'));
    fireEvent.click(screen.getByLabelText('Select License 03'));
    fireEvent.click(within(screen.getByRole('region', { name: 'Bulk actions' })).getByText('Suspend'));
    // Suspending many licenses asks first.
    fireEvent.click(await screen.findByRole('button', { name: 'Suspend 2' }));
    await waitFor(() => expect(screen.getByText(/Suspended 2 licenses/)).toBeTruthy());
    const bulk = calls.find((c) => c.method === 'POST')!;
    expect(bulk.body).toEqual({ ids: ['l1', 'l3'], is_active: false });
    expect(bulk.headers['x-csrf-token']).toBe('csrf-abc');
  });

  it('offers no selection, bulk actions or creation to a viewer', async () => {
    server('viewer', [lic(1)]);
    renderAt(`/t/${TENANT}/licenses`);
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.queryByLabelText('Select License 01')).toBeNull();
    expect(screen.queryByText('New license')).toBeNull();
    expect(screen.getByTestId('role').textContent).toContain('viewer');
  });
});
