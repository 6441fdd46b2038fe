import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ApiToken, Member } from '../api/types';
import { fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

const base = `/api/v1/tenants/${TENANT}`;

function server(role: Parameters<typeof userWith>[0]) {
  let ssoRequired = false;
  const members: Member[] = [{ id: 'u1', email: 'ana@example.com', name: 'Ana', role: 'owner', created_at: '2026-01-01T00:00:00Z' }, { id: 'u2', email: 'bo@example.com', name: 'Bo', role: 'viewer', created_at: '2026-01-01T00:00:00Z' }];
  const tokens: ApiToken[] = [];
  return fakeServer({
    'GET /api/v1/auth/me': () => ({ body: { user: userWith(role), csrf_token: 'csrf-1' } }),
    [`GET ${base}/users`]: () => ({ body: { items: members, next_cursor: null } }),
    [`GET ${base}/tokens`]: () => ({ body: { items: tokens, next_cursor: null } }),
    [`GET ${base}/sso`]: () => ({ body: { sso_required: ssoRequired } }),
    [`PUT ${base}/sso`]: (req) => { ssoRequired = (req.body as { sso_required: boolean }).sso_required; return { body: { sso_required: ssoRequired } }; },
    'GET /api/v1/auth/providers': () => ({ body: { items: [{ id: 'google', name: 'Google' }] } }),
    [`POST ${base}/invitations`]: (req) => ({ status: 201, body: { id: 'i1', ...(req.body as object), expires_at: '2026-02-01T00:00:00Z', accept_url: 'http://x/dashboard/accept-invitation?token=tk1', mail_configured: false } }),
    [`GET ${base}/invitations`]: () => ({ body: { items: [], next_cursor: null } }),
    [`PATCH ${base}/users/u2`]: (req) => { members[1] = { ...members[1], role: (req.body as { role: Member['role'] }).role }; return { body: members[1] }; },
    [`POST ${base}/tokens`]: (req) => {
      const t = { id: 't1', name: (req.body as { name: string }).name, role: (req.body as { role: ApiToken['role'] }).role, created_at: '2026-01-01T00:00:00Z', revoked_at: null };
      tokens.push(t);
      return { status: 201, body: { ...t, token: 'cdt_secret_value' } };
    },
  });
}

describe('PeoplePage', () => {
  it('invites, changes a role and creates a token whose secret is shown once', async () => {
    const { calls } = server('admin');
    renderAt(`/t/${TENANT}/people`);
    await waitFor(() => screen.getByText('bo@example.com'));

    fireEvent.change(screen.getByLabelText('E-mail to invite'), { target: { value: ' new@example.com ' } });
    fireEvent.change(screen.getByLabelText('Role of the invitee'), { target: { value: 'admin' } });
    fireEvent.click(screen.getByRole('button', { name: 'Invite' }));
    // No mail server: the page says the mail is queued, not sent, and shows the link once.
    await waitFor(() => screen.getByText(/admin invitation for new@example.com is queued but not sent/));
    expect(screen.getByTestId('accept-url').textContent).toBe('http://x/dashboard/accept-invitation?token=tk1');
    expect(calls.find((c) => c.method === 'POST' && c.path.endsWith('/invitations'))!.body).toEqual({ email: 'new@example.com', role: 'admin' });

    fireEvent.change(screen.getByLabelText('Role of bo@example.com'), { target: { value: 'admin' } });
    // A role change asks first.
    fireEvent.click(await screen.findByRole('button', { name: 'Change role' }));
    await waitFor(() => screen.getByText('bo@example.com is now admin.'));
    const patch = calls.find((c) => c.method === 'PATCH')!;
    expect(patch.headers['x-csrf-token']).toBe('csrf-1');

    fireEvent.change(screen.getByLabelText('Token name'), { target: { value: 'ci' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    await waitFor(() => expect(within(screen.getByTestId('new-token')).getByText('cdt_secret_value')).toBeTruthy());
    expect(calls.find((c) => c.method === 'POST' && c.path.endsWith('/tokens'))!.body).toEqual({ name: 'ci', role: 'read_only' });
    fireEvent.click(screen.getByText('I stored it'));
    expect(screen.queryByText('cdt_secret_value')).toBeNull();
  });

  it('shows a viewer the people and tokens without any control', async () => {
    server('viewer');
    renderAt(`/t/${TENANT}/people`);
    await waitFor(() => screen.getByText('bo@example.com'));
    expect(screen.queryByLabelText('E-mail to invite')).toBeNull();
    expect(screen.queryByLabelText('Role of bo@example.com')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Remove' })).toBeNull();
    expect(screen.queryByLabelText('Token name')).toBeNull();
  });

  it('lets an owner require single sign-on for members', async () => {
    const { calls } = server('owner');
    renderAt(`/t/${TENANT}/people`);
    const toggle = await screen.findByRole('switch', { name: 'Require single sign-on for members' }) as HTMLInputElement;
    await waitFor(() => expect(toggle.disabled).toBe(false));
    expect(toggle.checked).toBe(false);
    fireEvent.click(toggle);
    await waitFor(() => expect(toggle.checked).toBe(true));
    const put = calls.find((c) => c.method === 'PUT')!;
    expect(put.path).toBe(`${base}/sso`);
    expect(put.body).toEqual({ sso_required: true });
    expect(put.headers['x-csrf-token']).toBe('csrf-1');
    expect(screen.getByText(/their passwords are refused/)).toBeTruthy();
  });

  it.each(['admin', 'viewer'] as const)('shows an %s the single sign-on switch read-only', async (role) => {
    const { calls } = server(role);
    renderAt(`/t/${TENANT}/people`);
    await screen.findByText(/Members may sign in with their password/);
    const toggle = screen.getByRole('switch', { name: 'Require single sign-on for members' }) as HTMLInputElement;
    expect(toggle.disabled).toBe(true);
    expect(screen.getByText(/Only an owner of this tenant, or staff, can change this/)).toBeTruthy();
    fireEvent.click(toggle);
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it('lets staff change the switch of any tenant', async () => {
    server('staff');
    renderAt(`/t/${TENANT}/people`);
    const toggle = await screen.findByRole('switch', { name: 'Require single sign-on for members' }) as HTMLInputElement;
    await waitFor(() => expect(toggle.disabled).toBe(false));
  });
});
