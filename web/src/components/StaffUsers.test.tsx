import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AccountAuditEntry, StaffUser } from '../api/types';
import { fakeServer } from '../test/fakeServer';
import { renderAt, userWith } from '../test/renderApp';

function server() {
  const users: StaffUser[] = [
    { ...userWith('staff'), deactivated_at: null },
    { id: 'u2', email: 'bo@example.com', name: 'Bo', is_staff: false, totp_enabled: false, memberships: [], deactivated_at: null },
  ];
  const log: AccountAuditEntry[] = [];
  const entry = (userId: string, action: AccountAuditEntry['action']) => log.unshift({
    id: `e${log.length}`, user_id: userId, action, actor: { type: 'user', id: 'u1', name: 'ana@example.com' },
    before: null, after: null, created_at: '2026-01-01T00:00:00Z',
  });
  const fake = fakeServer({
    'GET /api/v1/auth/me': () => ({ body: { user: userWith('staff'), csrf_token: 'csrf-1' } }),
    'GET /api/v1/tenants': () => ({ body: { items: [], next_cursor: null } }),
    'GET /api/v1/analytics/tenants': () => ({ body: { items: [] } }),
    'GET /api/v1/users': () => ({ body: { items: users, next_cursor: null } }),
    'GET /api/v1/users/audit': () => ({ body: { items: log } }),
    'POST /api/v1/users/u2/promote': () => { users[1] = { ...users[1], is_staff: true }; entry('u2', 'user.promote'); return { body: users[1] }; },
    'POST /api/v1/users/u2/deactivate': () => { users[1] = { ...users[1], deactivated_at: '2026-01-02T00:00:00Z' }; entry('u2', 'user.deactivate'); return { body: users[1] }; },
    'POST /api/v1/users/u1/demote': () => ({
      status: 409,
      body: { error: { code: 'conflict', message: 'there must always be at least one active staff account: make another user staff first', details: { field: 'staff' }, request_id: 'r1' } },
    }),
  });
  return fake;
}

describe('StaffUsers', () => {
  it('promotes and deactivates only after confirming, and shows the new state', async () => {
    const { calls } = server();
    renderAt('/staff');
    const row = await screen.findByTestId('user-bo@example.com');
    fireEvent.click(within(row).getByRole('button', { name: 'Make staff: bo@example.com' }));
    // Nothing is sent until the dialog is confirmed; Cancel sends nothing.
    const dialog = await screen.findByRole('alertdialog');
    expect(dialog.textContent).toContain('Make bo@example.com staff?');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    fireEvent.click(within(row).getByRole('button', { name: 'Make staff: bo@example.com' }));
    fireEvent.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Make staff' }));
    await screen.findByText('bo@example.com is now staff.');
    const promote = calls.find((c) => c.method === 'POST' && c.path.endsWith('/promote'))!;
    expect(promote.headers['x-csrf-token']).toBe('csrf-1');
    await waitFor(() => expect(within(screen.getByTestId('user-bo@example.com')).getByText('staff')).toBeTruthy());
    expect(screen.getByTestId('account-log').textContent).toContain('bo@example.com made staff by ana@example.com');

    fireEvent.click(within(screen.getByTestId('user-bo@example.com')).getByRole('button', { name: 'Deactivate: bo@example.com' }));
    fireEvent.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Deactivate' }));
    await screen.findByText('bo@example.com is deactivated and signed out.');
    const after = await screen.findByTestId('user-bo@example.com');
    await waitFor(() => expect(within(after).getByText('deactivated')).toBeTruthy());
    expect(within(after).getByRole('button', { name: 'Reactivate: bo@example.com' })).toBeTruthy();
  });

  it("shows the server's refusal to demote the last staff account", async () => {
    server();
    renderAt('/staff');
    const row = await screen.findByTestId('user-ana@example.com');
    fireEvent.click(within(row).getByRole('button', { name: 'Remove staff: ana@example.com' }));
    fireEvent.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Remove staff' }));
    await screen.findByText(/at least one active staff account/);
  });
});
