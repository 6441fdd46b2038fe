import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { apiError, fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';
import { passwordProblem, safeNext } from './AuthPages';

describe('sign-in', () => {
  it('opens first-run setup while no user exists', async () => {
    fakeServer({
      'GET /api/v1/auth/me': () => apiError(401, 'unauthorized'),
      'GET /api/v1/auth/status': () => ({ body: { setup_required: true } }),
    });
    renderAt('/licenses');
    await waitFor(() => expect(screen.getByRole('heading', { name: 'First-run setup' })).toBeTruthy());
  });

  it('says "wrong e-mail or password" on 401 and the wait on 429', async () => {
    let n = 0;
    fakeServer({
      'GET /api/v1/auth/me': () => apiError(401, 'unauthorized'),
      'GET /api/v1/auth/status': () => ({ body: { setup_required: false } }),
      'POST /api/v1/auth/login': () => (++n === 1 ? apiError(401, 'invalid_credentials') : { ...apiError(429, 'rate_limited'), headers: { 'retry-after': '60' } }),
    });
    renderAt('/login');
    await waitFor(() => screen.getByRole('heading', { name: 'Sign in' }));
    fireEvent.change(screen.getByLabelText('E-mail'), { target: { value: 'ana@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong-password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('Wrong e-mail or password.'));
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('Try again in 60 s'));
  });

  it('signs in and lands on the first tenant', async () => {
    let signedIn = false;
    fakeServer({
      'GET /api/v1/auth/me': () => (signedIn ? { body: { user: userWith('admin'), csrf_token: 'c' } } : apiError(401, 'unauthorized')),
      'GET /api/v1/auth/status': () => ({ body: { setup_required: false } }),
      'POST /api/v1/auth/login': (req) => {
        expect(req.body).toEqual({ email: 'ana@example.com', password: 'right-password' });
        signedIn = true;
        return { body: { user: userWith('admin'), csrf_token: 'c' } };
      },
      [`GET /api/v1/tenants/${TENANT}/licenses`]: () => ({ body: { items: [], next_cursor: null } }),
    });
    renderAt('/login');
    await waitFor(() => screen.getByRole('heading', { name: 'Sign in' }));
    fireEvent.change(screen.getByLabelText('E-mail'), { target: { value: ' ana@example.com ' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'right-password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Licenses' })).toBeTruthy());
  });
});

describe('helpers', () => {
  it('checks new passwords like the server (10–200 characters)', () => {
    expect(passwordProblem('short', 'short')).toMatch(/at least 10/);
    expect(passwordProblem('a'.repeat(201), 'a'.repeat(201))).toMatch(/at most 200/);
    expect(passwordProblem('long enough 1', 'long enough 2')).toMatch(/differ/);
    expect(passwordProblem('long enough 1', 'long enough 1')).toBeNull();
  });
  it('only follows `next` to dashboard paths', () => {
    expect(safeNext('/t/x/audit')).toBe('/t/x/audit');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});
