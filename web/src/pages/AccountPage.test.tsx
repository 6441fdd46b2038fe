import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { User } from '../api/types';
import { apiError, fakeServer } from '../test/fakeServer';
import { renderAt, userWith } from '../test/renderApp';

const SETUP = { secret: 'JBSWY3DPEHPK3PXP', otpauth_uri: 'otpauth://totp/CODITECT:ana@example.com?secret=JBSWY3DPEHPK3PXP&issuer=CODITECT' };

function server(user: User, extra: Parameters<typeof fakeServer>[0] = {}) {
  return fakeServer({ 'GET /api/v1/auth/me': () => ({ body: { user, csrf_token: 'csrf-a' } }), ...extra });
}

const codeIn = (form: string, code: string) => {
  const f = screen.getByRole('form', { name: form });
  fireEvent.change(within(f).getByLabelText(/Code from your authenticator app/), { target: { value: code } });
  fireEvent.click(within(f).getByRole('button'));
};

describe('AccountPage', () => {
  it('is reachable from the layout and turns TOTP on: QR code, key, confirmation, recovery codes once', async () => {
    const { calls } = server(userWith('admin'), {
      'GET /api/v1/tenants': () => ({ body: { items: [], next_cursor: null } }),
      'POST /api/v1/auth/totp/setup': () => ({ body: SETUP }),
      'POST /api/v1/auth/totp/confirm': (req) => ((req.body as { code: string }).code === '000000'
        ? apiError(401, 'invalid_second_factor')
        : { body: { recovery_codes: ['aaaaa-11111', 'bbbbb-22222'], user: { ...userWith('admin'), totp_enabled: true } } }),
    });
    renderAt('/account');
    await screen.findByRole('heading', { name: 'Account security' });
    expect(screen.getByRole('link', { name: 'Account security' }).getAttribute('href')).toBe('/account');
    const section = screen.getByRole('region', { name: 'Two-factor sign-in' });
    expect(within(section).getByText('off')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Set up an authenticator app' }));
    await screen.findByRole('img', { name: 'QR code for your authenticator app' });
    expect(screen.getByTestId('totp-secret').textContent).toBe(SETUP.secret);
    expect(calls.find((c) => c.path === '/api/v1/auth/totp/setup')!.body).toEqual({});

    fireEvent.change(screen.getByLabelText(/Enter the code the app shows/), { target: { value: '000000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Turn on' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('That code is not right'));
    // A wrong code does not end the session.
    expect(screen.getByRole('heading', { name: 'Account security' })).toBeTruthy();

    fireEvent.change(screen.getByLabelText(/Enter the code the app shows/), { target: { value: '123456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Turn on' }));
    const codes = await screen.findByTestId('recovery-codes');
    expect(within(codes).getByText('aaaaa-11111')).toBeTruthy();
    expect(calls.filter((c) => c.path === '/api/v1/auth/totp/confirm').at(-1)!).toMatchObject({ body: { code: '123456' }, headers: { 'x-csrf-token': 'csrf-a' } });
    expect(within(section).getByText('on')).toBeTruthy();
    expect(screen.getByRole('form', { name: 'Turn off' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'I have saved them' }));
    expect(screen.queryByText('aaaaa-11111')).toBeNull();
  });

  it('makes new recovery codes after a code, and shows a wrong code', async () => {
    let n = 0;
    const { calls } = server({ ...userWith('admin'), totp_enabled: true }, {
      'POST /api/v1/auth/totp/recovery-codes': () => (++n === 1 ? apiError(401, 'invalid_second_factor') : { body: { recovery_codes: ['ccccc-33333'] } }),
    });
    renderAt('/account');
    await screen.findByRole('form', { name: 'New recovery codes' });
    codeIn('New recovery codes', '111111');
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('That code is not right'));
    codeIn('New recovery codes', '222222');
    expect(within(await screen.findByTestId('recovery-codes')).getByText('ccccc-33333')).toBeTruthy();
    expect(calls.filter((c) => c.path === '/api/v1/auth/totp/recovery-codes').map((c) => c.body)).toEqual([{ code: '111111' }, { code: '222222' }]);
  });

  it('explains the 403 when staff must keep TOTP, and turns it off otherwise', async () => {
    server({ ...userWith('staff'), totp_enabled: true }, { 'DELETE /api/v1/auth/totp': () => apiError(403, 'forbidden') });
    const { unmount } = renderAt('/account');
    await screen.findByRole('form', { name: 'Turn off' });
    codeIn('Turn off', '123456');
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('Staff accounts must use a second factor on this server'));
    unmount();

    const { calls } = server({ ...userWith('admin'), totp_enabled: true }, { 'DELETE /api/v1/auth/totp': () => ({ body: { totp_enabled: false } }) });
    renderAt('/account');
    await screen.findByRole('form', { name: 'Turn off' });
    codeIn('Turn off', '123456');
    await screen.findByText('Two-factor sign-in is off.');
    expect(screen.getByRole('button', { name: 'Set up an authenticator app' })).toBeTruthy();
    expect(calls.find((c) => c.method === 'DELETE')!.body).toEqual({ code: '123456' });
  });
});
