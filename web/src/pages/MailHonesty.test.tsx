// Mail honesty in the dashboard (issue 15 point 1): the staff banner, the acceptance page that
// looks a link up before the form, the invitations list with resend and revoke, the outbox.
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { InvitationItem } from '../api/types';
import { forgetMailStatus } from '../components/MailBanner';
import { apiError, fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

const base = `/api/v1/tenants/${TENANT}`;
const status = (configured: boolean) => ({ body: { setup_required: false, signup: 'off', mail: { configured } } });
const signedOut = () => apiError(401, 'unauthorized');

beforeEach(() => forgetMailStatus());

describe('mail banner', () => {
  it('tells staff on every page that mail is not configured', async () => {
    fakeServer({
      'GET /api/v1/auth/me': () => ({ body: { user: userWith('staff'), csrf_token: 'c' } }),
      'GET /api/v1/auth/status': () => status(false),
      'GET /api/v1/tenants': () => ({ body: { items: [], next_cursor: null } }),
      'GET /api/v1/products': () => ({ body: { items: [], next_cursor: null } }),
    });
    renderAt('/products');
    expect((await screen.findByTestId('mail-banner')).textContent).toMatch(/Mail is not configured/);
  });

  it('is not shown when mail is configured, nor to people who are not staff', async () => {
    for (const [role, configured] of [['staff', true], ['admin', false]] as const) {
      forgetMailStatus();
      const { calls } = fakeServer({
        'GET /api/v1/auth/me': () => ({ body: { user: userWith(role), csrf_token: 'c' } }),
        'GET /api/v1/auth/status': () => status(configured),
        'GET /api/v1/tenants': () => ({ body: { items: [], next_cursor: null } }),
        'GET /api/v1/products': () => ({ body: { items: [], next_cursor: null } }),
      });
      const view = renderAt('/account');
      await waitFor(() => expect(calls.some((c) => c.path === '/api/v1/auth/status')).toBe(true));
      await new Promise((r) => setTimeout(r, 50));
      expect(screen.queryByTestId('mail-banner')).toBeNull();
      view.unmount();
    }
  });
});

describe('invitation acceptance page', () => {
  it('says which tenant, role and e-mail before the form, posting the token in the body', async () => {
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': signedOut,
      'POST /api/v1/invitations/lookup': () => ({ body: { tenant_name: 'Acme', role: 'admin', email: 'ann@example.com', state: 'pending' } }),
    });
    renderAt('/accept-invitation?token=tok-1');
    expect((await screen.findByTestId('invitation-for')).textContent).toBe('Join Acme as admin. The invitation is for ann@example.com.');
    expect(screen.getByRole('button', { name: 'Join' })).toBeTruthy();
    const lookup = calls.find((c) => c.path === '/api/v1/invitations/lookup')!;
    expect([lookup.body, lookup.query.toString()]).toEqual([{ token: 'tok-1' }, '']);
  });

  it.each([
    ['revoked', /was revoked/],
    ['replaced', /newer invitation replaced this one/],
    ['accepted', /was used already/],
    ['expired', /expired/],
  ])('refuses a %s link without showing the form', async (state, sentence) => {
    fakeServer({
      'GET /api/v1/auth/me': signedOut,
      'POST /api/v1/invitations/lookup': () => ({ body: { tenant_name: 'Acme', role: 'viewer', email: 'ann@example.com', state } }),
    });
    renderAt('/accept-invitation?token=tok-1');
    expect((await screen.findByTestId('invitation-unusable')).textContent).toMatch(sentence);
    expect(screen.queryByRole('button', { name: 'Join' })).toBeNull();
  });

  it('calls an unknown token unknown', async () => {
    fakeServer({ 'GET /api/v1/auth/me': signedOut, 'POST /api/v1/invitations/lookup': () => apiError(404, 'not_found') });
    renderAt('/accept-invitation?token=nope');
    expect((await screen.findByTestId('invitation-unusable')).textContent).toMatch(/unknown/);
  });
});

describe('password reset without mail', () => {
  it('says the link is queued but not sent', async () => {
    fakeServer({
      'GET /api/v1/auth/me': signedOut,
      'GET /api/v1/auth/status': () => status(false),
      'POST /api/v1/auth/password-reset': () => ({ status: 202, body: { queued: true } }),
    });
    renderAt('/forgot-password');
    await waitFor(() => expect(screen.getByLabelText('E-mail')).toBeTruthy());
    await new Promise((r) => setTimeout(r, 20));
    fireEvent.change(screen.getByLabelText('E-mail'), { target: { value: 'ann@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send reset link' }));
    expect((await screen.findByTestId('mail-not-sent')).textContent).toMatch(/queued but not sent/);
  });
});

describe('sign-up without mail', () => {
  it('says the confirmation link is queued but not sent, not "check your inbox"', async () => {
    fakeServer({
      'GET /api/v1/auth/me': signedOut,
      'GET /api/v1/auth/status': () => ({ body: { setup_required: false, signup: 'open', mail: { configured: false } } }),
      'GET /api/v1/auth/providers': () => ({ body: { items: [] } }),
      'POST /api/v1/auth/signup': () => ({ status: 202, body: { queued: true } }),
    });
    renderAt('/signup');
    await screen.findByRole('heading', { name: 'Create an account' });
    fireEvent.change(screen.getByLabelText('E-mail'), { target: { value: 'new@example.com' } });
    fireEvent.change(screen.getByLabelText('Your name'), { target: { value: 'Nia' } });
    fireEvent.change(screen.getByLabelText('Organisation'), { target: { value: 'Nia Labs' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long enough pw' } });
    fireEvent.change(screen.getByLabelText('Repeat password'), { target: { value: 'long enough pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect((await screen.findByTestId('mail-not-sent')).textContent).toMatch(/queued but not sent/);
    expect(screen.queryByRole('heading', { name: 'Check your inbox' })).toBeNull();
  });
});

describe('invitations on the People page', () => {
  it('lists them with their state, resends (showing the new link once) and revokes', async () => {
    const items: InvitationItem[] = [
      { id: 'i2', email: 'ann@example.com', role: 'viewer', state: 'pending', created_at: '2026-01-02T00:00:00Z', expires_at: '2026-01-09T00:00:00Z', accepted_at: null, revoked_at: null },
      { id: 'i1', email: 'ann@example.com', role: 'viewer', state: 'replaced', created_at: '2026-01-01T00:00:00Z', expires_at: '2026-01-08T00:00:00Z', accepted_at: null, revoked_at: '2026-01-02T00:00:00Z' },
    ];
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': () => ({ body: { user: userWith('admin'), csrf_token: 'csrf-1' } }),
      'GET /api/v1/auth/status': () => status(true),
      [`GET ${base}/users`]: () => ({ body: { items: [], next_cursor: null } }),
      [`GET ${base}/tokens`]: () => ({ body: { items: [], next_cursor: null } }),
      [`GET ${base}/sso`]: () => ({ body: { sso_required: false } }),
      'GET /api/v1/auth/providers': () => ({ body: { items: [] } }),
      [`GET ${base}/invitations`]: () => ({ body: { items, next_cursor: null } }),
      [`POST ${base}/invitations/i2/resend`]: () => ({ status: 201, body: { id: 'i3', email: 'ann@example.com', role: 'viewer', expires_at: '2026-01-10T00:00:00Z', accept_url: 'http://x/dashboard/accept-invitation?token=new', mail_configured: true } }),
      [`DELETE ${base}/invitations/i2`]: () => ({ body: { ...items[0], state: 'revoked' } }),
    });
    renderAt(`/t/${TENANT}/people`);
    const table = await screen.findByTestId('invitations-table');
    await waitFor(() => expect(table.querySelectorAll('tr[data-state]').length).toBe(2));
    expect([...table.querySelectorAll('tr[data-state]')].map((r) => r.getAttribute('data-state'))).toEqual(['pending', 'replaced']);
    // A replaced invitation offers neither action.
    const replacedRow = table.querySelector('tr[data-state="replaced"]') as HTMLElement;
    expect(within(replacedRow).queryByRole('button')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Resend the invitation of ann@example.com' }));
    expect((await screen.findByTestId('accept-url')).textContent).toBe('http://x/dashboard/accept-invitation?token=new');
    expect(screen.getByTestId('issued-invitation').textContent).toMatch(/viewer invitation for ann@example.com is queued and goes out by mail/);
    expect(calls.find((c) => c.path.endsWith('/resend'))!.headers['x-csrf-token']).toBe('csrf-1');

    const pendingRow = table.querySelector('tr[data-state="pending"]') as HTMLElement;
    fireEvent.click(within(pendingRow).getByRole('button', { name: 'Revoke' }));
    fireEvent.click(await within(pendingRow).findByRole('button', { name: 'Revoke now' }));
    await screen.findByText('The invitation of ann@example.com is revoked: its link no longer works.');
    expect(calls.some((c) => c.method === 'DELETE' && c.path === `${base}/invitations/i2`)).toBe(true);
  });
});

describe('outbox page', () => {
  it('shows states, totals and errors, filters by state and retries a failed mail', async () => {
    const failed = { id: 'm1', kind: 'invitation', recipient: 'gone@example.com', subject: 'You are invited', state: 'failed', attempts: 1, last_error: '550 no such user', created_at: '2026-01-01T00:00:00Z', next_attempt_at: null, sent_at: null, failed_at: '2026-01-01T00:00:01Z' };
    const queued = { ...failed, id: 'm2', recipient: 'q@example.com', state: 'queued', attempts: 0, last_error: null, next_attempt_at: '2026-01-01T00:00:00Z', failed_at: null };
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': () => ({ body: { user: userWith('staff'), csrf_token: 'c' } }),
      'GET /api/v1/auth/status': () => status(true),
      'GET /api/v1/tenants': () => ({ body: { items: [], next_cursor: null } }),
      'GET /api/v1/outbox': (req) => ({ body: { items: req.query.get('state') === 'failed' ? [failed] : [queued, failed], next_cursor: null, totals: { queued: 1, sent: 0, failed: 1 }, mail_configured: true } }),
      'POST /api/v1/outbox/m1/retry': () => ({ body: { ...failed, state: 'queued', failed_at: null } }),
    });
    renderAt('/outbox');
    const table = await screen.findByTestId('outbox-table');
    await waitFor(() => expect(table.querySelectorAll('tr[data-state]').length).toBe(2));
    expect(screen.getByTestId('outbox-totals').textContent).toMatch(/Queued 1.*Sent 0.*Failed 1/);
    expect(table.textContent).toContain('550 no such user');
    expect(within(table.querySelector('tr[data-state="queued"]') as HTMLElement).queryByRole('button', { name: 'Retry' })).toBeNull();
    fireEvent.change(screen.getByLabelText('Mail state'), { target: { value: 'failed' } });
    await waitFor(() => expect(calls.some((c) => c.path === '/api/v1/outbox' && c.query.get('state') === 'failed')).toBe(true));
    await waitFor(() => expect(table.querySelectorAll('tr[data-state]').length).toBe(1));
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await screen.findByText('The mail to gone@example.com is queued again and is tried at once.');
    expect(calls.some((c) => c.method === 'POST' && c.path === '/api/v1/outbox/m1/retry')).toBe(true);
  });
});
