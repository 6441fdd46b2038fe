import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { getCsrfToken } from '../api/client';
import { apiError, fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

const base = (signup: 'open' | 'off') => ({
  'GET /api/v1/auth/me': () => apiError(401, 'unauthorized'),
  'GET /api/v1/auth/status': () => ({ body: { setup_required: false, signup } }),
  'GET /api/v1/auth/providers': () => ({ body: { items: [] } }),
});

describe('sign-up', () => {
  it('sends e-mail, name, password and organisation, then says to check the inbox', async () => {
    const { calls } = fakeServer({ ...base('open'), 'POST /api/v1/auth/signup': () => ({ status: 202, body: { queued: true } }) });
    renderAt('/signup');
    await screen.findByRole('heading', { name: 'Create an account' });
    fireEvent.change(screen.getByLabelText('E-mail'), { target: { value: ' new@example.com ' } });
    fireEvent.change(screen.getByLabelText('Your name'), { target: { value: 'Nia' } });
    fireEvent.change(screen.getByLabelText('Organisation'), { target: { value: 'Nia Labs' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long enough pw' } });
    fireEvent.change(screen.getByLabelText('Repeat password'), { target: { value: 'long enough pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    await screen.findByRole('heading', { name: 'Check your inbox' });
    expect(screen.getByText('new@example.com')).toBeTruthy();
    expect(calls.find((c) => c.path === '/api/v1/auth/signup')!.body).toEqual({
      email: 'new@example.com', name: 'Nia', password: 'long enough pw', organisation: 'Nia Labs',
    });
  });

  it('checks the password before sending anything', async () => {
    const { calls } = fakeServer({ ...base('open') });
    renderAt('/signup');
    await screen.findByRole('heading', { name: 'Create an account' });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'short' } });
    fireEvent.change(screen.getByLabelText('Repeat password'), { target: { value: 'short' } });
    fireEvent.submit(screen.getByRole('form', { name: 'Sign up' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/at least 10/));
    expect(calls.some((c) => c.path === '/api/v1/auth/signup')).toBe(false);
  });

  it('says when sign-up is off', async () => {
    fakeServer({ ...base('off') });
    renderAt('/signup');
    await screen.findByText(/Sign-up is off on this server/);
    expect(screen.queryByRole('form', { name: 'Sign up' })).toBeNull();
  });
});

describe('verify sign-up', () => {
  it('posts the token once, signs in and opens the dashboard', async () => {
    let signedIn = false;
    const { calls } = fakeServer({
      ...base('open'),
      'GET /api/v1/auth/me': () => (signedIn ? { body: { user: userWith('owner'), csrf_token: 'v' } } : apiError(401, 'unauthorized')),
      'POST /api/v1/auth/signup/verify': () => { signedIn = true; return { status: 201, body: { user: userWith('owner'), csrf_token: 'v' } }; },
      [`GET /api/v1/tenants/${TENANT}/licenses`]: () => ({ body: { items: [], next_cursor: null } }),
    });
    renderAt('/verify-signup?token=tok-123');
    await screen.findByRole('heading', { name: 'Licenses' });
    const posts = calls.filter((c) => c.path === '/api/v1/auth/signup/verify');
    expect(posts.map((c) => c.body)).toEqual([{ token: 'tok-123' }]);
    expect(getCsrfToken()).toBe('v');
  });

  it.each([
    [410, 'token_expired', /used already or has expired/],
    [404, 'not_found', /not known to this server/],
    [409, 'conflict', /account with this e-mail address exists already/],
  ])('explains a %i answer', async (status, code, message) => {
    fakeServer({ ...base('open'), 'POST /api/v1/auth/signup/verify': () => apiError(status, code, code === 'conflict' ? { field: 'email' } : {}) });
    renderAt('/verify-signup?token=tok-123');
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(message));
    expect(screen.getByRole('link', { name: 'Sign in' })).toBeTruthy();
  });

  it('says so when the link has no token', async () => {
    fakeServer({ ...base('open') });
    renderAt('/verify-signup');
    await screen.findByText(/This link has no token/);
  });
});
