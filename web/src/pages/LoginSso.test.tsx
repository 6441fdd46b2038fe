import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { getCsrfToken } from '../api/client';
import type { SsoErrorReason } from '../api/types';
import { apiError, fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

const PROVIDERS = [{ id: 'google', name: 'Google' }, { id: 'acme-okta', name: 'Acme Okta' }];

/** A signed-out visitor; `extra` adds or replaces routes. */
function signedOut(extra: Parameters<typeof fakeServer>[0] = {}, signup: 'open' | 'off' = 'off') {
  let signedIn = false;
  const server = fakeServer({
    'GET /api/v1/auth/me': () => (signedIn ? { body: { user: userWith('admin'), csrf_token: 'c' } } : apiError(401, 'unauthorized')),
    'GET /api/v1/auth/status': () => ({ body: { setup_required: false, signup } }),
    'GET /api/v1/auth/providers': () => ({ body: { items: PROVIDERS } }),
    [`GET /api/v1/tenants/${TENANT}/licenses`]: () => ({ body: { items: [], next_cursor: null } }),
    ...extra,
  });
  return { ...server, signIn: () => { signedIn = true; } };
}

const field = (id: string) => document.getElementById(id) as HTMLInputElement;

async function typePassword() {
  await screen.findByRole('heading', { name: 'Sign in' });
  fireEvent.change(screen.getByLabelText('E-mail'), { target: { value: 'ana@example.com' } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'right-password' } });
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('single sign-on buttons', () => {
  it('links each provider to its start endpoint, coming back to the page the person wanted', async () => {
    signedOut();
    renderAt(`/login?next=${encodeURIComponent('/t/x/audit?page=2')}`);
    const google = await screen.findByTestId('sso-google');
    expect(google.textContent).toBe('Sign in with Google');
    expect(google.getAttribute('href')).toBe('/api/v1/auth/oidc/google/start?return_to=%2Fdashboard%2Ft%2Fx%2Faudit%3Fpage%3D2');
    expect(screen.getByTestId('sso-acme-okta').getAttribute('href')).toBe('/api/v1/auth/oidc/acme-okta/start?return_to=%2Fdashboard%2Ft%2Fx%2Faudit%3Fpage%3D2');
  });

  it('comes back to the dashboard start without a wanted page, and never to another site', async () => {
    signedOut();
    renderAt(`/login?next=${encodeURIComponent('//evil.example/x')}`);
    expect((await screen.findByTestId('sso-google')).getAttribute('href')).toBe('/api/v1/auth/oidc/google/start?return_to=%2Fdashboard%2F');
  });

  it('shows no button when the server has no provider (or predates them)', async () => {
    signedOut({ 'GET /api/v1/auth/providers': () => apiError(404, 'not_found') });
    renderAt('/login');
    await screen.findByRole('heading', { name: 'Sign in' });
    await waitFor(() => expect(screen.queryByText(/Sign in with/)).toBeNull());
  });

  const SENTENCES: [SsoErrorReason | 'something_new', RegExp][] = [
    ['state_mismatch', /could not be matched to this browser/],
    ['provider_error', /provider did not sign you in/],
    ['token_invalid', /could not be verified/],
    ['email_unverified', /not verified with the provider/],
    ['no_account', /no account for this e-mail address/],
    ['sso_unavailable', /cannot be reached right now/],
    ['something_new', /^Single sign-on did not work\. Please try again\.$/],
  ];
  it.each(SENTENCES)('explains sso_error=%s in a sentence', async (reason, sentence) => {
    signedOut();
    renderAt(`/login?sso_error=${reason}`);
    expect((await screen.findByTestId('sso-error')).textContent).toMatch(sentence);
  });

  it('says the organisation requires single sign-on and points to the buttons', async () => {
    signedOut({ 'POST /api/v1/auth/login': () => apiError(403, 'sso_required') });
    renderAt('/login');
    await screen.findByTestId('sso-google');
    await typePassword();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Your organisation requires single sign-on');
    expect(alert.textContent).toContain('below');
    expect(screen.getByTestId('sso-google')).toBeTruthy();
  });

  it('offers "Create an account" only while sign-up is open', async () => {
    signedOut({}, 'open');
    const { unmount } = renderAt('/login');
    expect((await screen.findByRole('link', { name: 'Create an account' })).getAttribute('href')).toBe('/signup');
    unmount();
    signedOut({}, 'off');
    renderAt('/login');
    await screen.findByTestId('sso-google');
    expect(screen.queryByRole('link', { name: 'Create an account' })).toBeNull();
  });
});

describe('second factor at sign-in', () => {
  it('asks for a code with the challenge, keeps asking after a wrong one, and takes a recovery code', async () => {
    let tries = 0;
    const server = signedOut({
      'POST /api/v1/auth/login': () => apiError(401, 'second_factor_required', { challenge: 'ch-1' }),
      'POST /api/v1/auth/login/second-factor': () => {
        if (++tries === 1) return apiError(401, 'invalid_second_factor');
        server.signIn();
        return { body: { user: userWith('admin'), csrf_token: 'c' } };
      },
    });
    renderAt('/login');
    await typePassword();
    await screen.findByRole('heading', { name: 'Enter your code' });
    fireEvent.change(field('totp-code'), { target: { value: '111 111' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('That code is not right'));
    expect(field('totp-code')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Use a recovery code' }));
    fireEvent.change(field('recovery-code'), { target: { value: ' abcde-fghij ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));
    await screen.findByRole('heading', { name: 'Licenses' });

    const sent = server.calls.filter((c) => c.path === '/api/v1/auth/login/second-factor').map((c) => c.body);
    expect(sent).toEqual([{ challenge: 'ch-1', code: '111111' }, { challenge: 'ch-1', recovery_code: 'abcde-fghij' }]);
  });

  it('goes back to the password when the challenge ran out', async () => {
    signedOut({
      'POST /api/v1/auth/login': () => apiError(401, 'second_factor_required', { challenge: 'old' }),
      'POST /api/v1/auth/login/second-factor': () => apiError(401, 'unauthorized'),
    });
    renderAt('/login');
    await typePassword();
    await screen.findByRole('heading', { name: 'Enter your code' });
    fireEvent.change(field('totp-code'), { target: { value: '123456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));
    await screen.findByRole('heading', { name: 'Sign in' });
    expect(screen.getByRole('alert').textContent).toContain('longer than 5 minutes');
  });

  it('enrols when the server requires it: QR code and key, confirm, recovery codes once, then signed in', async () => {
    const server = signedOut({
      'POST /api/v1/auth/login': () => apiError(401, 'second_factor_enrolment_required', { challenge: 'en-1' }),
      'POST /api/v1/auth/totp/setup': () => ({ body: { secret: 'JBSWY3DPEHPK3PXP', otpauth_uri: 'otpauth://totp/CODITECT:ana@example.com?secret=JBSWY3DPEHPK3PXP&issuer=CODITECT' } }),
      'POST /api/v1/auth/totp/confirm': () => {
        server.signIn();
        return { body: { recovery_codes: ['aaaaa-11111', 'bbbbb-22222'], user: { ...userWith('admin'), totp_enabled: true }, csrf_token: 'c2' } };
      },
    });
    renderAt('/login');
    await typePassword();
    await screen.findByRole('heading', { name: 'Set up a second factor' });
    fireEvent.click(screen.getByRole('button', { name: 'Set up an authenticator app' }));

    const qr = await screen.findByRole('img', { name: 'QR code for your authenticator app' });
    expect(qr.querySelector('path')!.getAttribute('d')).toMatch(/^M\d+ \d+h1v1h-1z/);
    expect(screen.getByTestId('totp-secret').textContent).toBe('JBSWY3DPEHPK3PXP');
    fireEvent.change(screen.getByLabelText(/Enter the code the app shows/), { target: { value: '123456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Turn on' }));

    const codes = await screen.findByTestId('recovery-codes');
    expect(within(codes).getByText('aaaaa-11111')).toBeTruthy();
    expect(within(codes).getByText('bbbbb-22222')).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Licenses' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'I have saved them' }));
    await screen.findByRole('heading', { name: 'Licenses' });

    expect(server.calls.find((c) => c.path === '/api/v1/auth/totp/setup')!.body).toEqual({ challenge: 'en-1' });
    expect(server.calls.find((c) => c.path === '/api/v1/auth/totp/confirm')!.body).toEqual({ code: '123456', challenge: 'en-1' });
    // Later writes carry the CSRF token the confirmation handed out.
    expect(getCsrfToken()).toBe('c2');
    expect(screen.queryByText('aaaaa-11111')).toBeNull();
  });
});
