import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { TrustedIssuer } from '../api/types';
import { apiError, fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

const BASE = `/api/v1/tenants/${TENANT}/trusted-issuers`;
const issuer = (id: string, p: Partial<TrustedIssuer> = {}): TrustedIssuer => ({
  id, tenant_id: TENANT, issuer: 'https://ci.example.com', jwks_url: 'https://ci.example.com/jwks', audience: 'coditect',
  role_claim: 'roles', roles: { '*': 'read_only', deployer: 'admin' }, created_at: '2026-12-01T10:00:00Z', ...p,
});

function server(items: TrustedIssuer[], role: Parameters<typeof userWith>[0] = 'admin') {
  return fakeServer({
    'GET /api/v1/auth/me': () => ({ body: { user: userWith(role), csrf_token: 'c' } }),
    [`GET ${BASE}`]: () => ({ body: { items } }),
    [`POST ${BASE}`]: (req) => {
      const b = req.body as TrustedIssuer;
      if (b.issuer === 'https://taken.example.com') return apiError(409, 'conflict', { field: 'issuer' });
      if (b.jwks_url.includes('10.0.0.1')) return apiError(422, 'validation_error', { fields: { jwks_url: 'points to a private address' } });
      const created = issuer('new', b);
      items.push(created);
      return { status: 201, body: created };
    },
    [`DELETE ${BASE}/i1`]: () => { const [gone] = items.splice(0, 1); return { body: gone }; },
  });
}

const fill = (form: HTMLElement, label: RegExp | string, value: string) => fireEvent.change(within(form).getByLabelText(label), { target: { value } });

describe('TrustedIssuersPage', () => {
  it('lists issuers with their role mapping, reachable from the tenant navigation', async () => {
    server([issuer('i1')]);
    renderAt(`/t/${TENANT}/trusted-issuers`);
    const table = await screen.findByTestId('issuers-table');
    expect(screen.getByRole('link', { name: 'Trusted issuers' }).getAttribute('href')).toBe(`/t/${TENANT}/trusted-issuers`);
    const chips = [...table.querySelectorAll('tbody .chip')].map((c) => c.textContent);
    expect(chips).toEqual(['deployer → admin', '* → read_only']);
  });

  it('posts the roles map, shows a 409 beside the issuer and a 422 beside the JWKS URL', async () => {
    const { calls } = server([]);
    renderAt(`/t/${TENANT}/trusted-issuers`);
    await screen.findByText(/No trusted issuer/);
    fireEvent.click(screen.getByRole('button', { name: 'Add issuer' }));
    const form = screen.getByRole('form', { name: 'Add trusted issuer' });
    fill(form, /Issuer/, 'https://taken.example.com');
    fill(form, /Audience/, 'coditect');
    fill(form, /^JWKS URL/, 'https://taken.example.com/jwks');
    fill(form, 'Role claim', 'groups');
    fireEvent.click(within(form).getByRole('button', { name: 'Add a claim value' }));
    fill(form, 'Claim value 1', 'licensing-admin');
    expect(within(form).getAllByTestId('role-row')).toHaveLength(2);
    expect((within(form).getByLabelText('Claim value 2') as HTMLInputElement).value).toBe('*');
    fireEvent.click(within(form).getByRole('button', { name: 'Add issuer' }));

    await waitFor(() => expect(within(form).getByTestId('error-issuer').textContent).toContain('already trusted with this audience'));
    expect(within(form).queryByRole('alert')).toBeNull();
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({
      issuer: 'https://taken.example.com', jwks_url: 'https://taken.example.com/jwks', audience: 'coditect',
      role_claim: 'groups', roles: { 'licensing-admin': 'admin', '*': 'read_only' },
    });

    fill(form, /Issuer/, 'https://ci.example.com');
    fill(form, /^JWKS URL/, 'https://10.0.0.1/jwks');
    fireEvent.click(within(form).getByRole('button', { name: 'Add issuer' }));
    await waitFor(() => expect(within(form).getByTestId('error-jwks_url').textContent).toBe('points to a private address'));
    expect(within(form).queryByTestId('error-issuer')).toBeNull();

    fill(form, /^JWKS URL/, 'https://ci.example.com/jwks');
    fireEvent.change(within(form).getByLabelText('Role 2'), { target: { value: 'admin' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add issuer' }));
    await screen.findByText(/Tokens from https:\/\/ci.example.com for audience coditect are now accepted/);
    expect(calls.filter((c) => c.method === 'POST').at(-1)!.body).toMatchObject({ roles: { 'licensing-admin': 'admin', '*': 'admin' } });
    expect(await within(screen.getByTestId('issuers-table')).findByText('https://ci.example.com')).toBeTruthy();
  });

  it('checks the form before sending: https JWKS, filled and distinct claim values', async () => {
    const { calls } = server([]);
    renderAt(`/t/${TENANT}/trusted-issuers`);
    await screen.findByText(/No trusted issuer/);
    fireEvent.click(screen.getByRole('button', { name: 'Add issuer' }));
    const form = screen.getByRole('form', { name: 'Add trusted issuer' });
    fill(form, /Issuer/, 'https://ci.example.com');
    fill(form, /Audience/, 'coditect');
    fill(form, /^JWKS URL/, 'http://ci.example.com/jwks');
    fireEvent.click(within(form).getByRole('button', { name: 'Add a claim value' }));
    fill(form, 'Claim value 1', '*');
    fireEvent.click(within(form).getByRole('button', { name: 'Add issuer' }));
    expect(within(form).getByTestId('error-jwks_url').textContent).toMatch(/https:\/\//);
    expect(within(form).getByTestId('error-roles').textContent).toMatch(/twice/);
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('deletes an issuer after a confirmation', async () => {
    const { calls } = server([issuer('i1')]);
    renderAt(`/t/${TENANT}/trusted-issuers`);
    const table = await screen.findByTestId('issuers-table');
    fireEvent.click(within(table).getByRole('button', { name: 'Delete' }));
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    fireEvent.click(within(table).getByRole('button', { name: 'Delete issuer' }));
    await screen.findByText('Tokens from https://ci.example.com are no longer accepted.');
    expect(calls.find((c) => c.method === 'DELETE')!).toMatchObject({ path: `${BASE}/i1`, headers: { 'x-csrf-token': 'c' } });
    await screen.findByText(/No trusted issuer/);
  });

  it('hides the page from viewers in the navigation', async () => {
    fakeServer({
      'GET /api/v1/auth/me': () => ({ body: { user: userWith('viewer'), csrf_token: 'c' } }),
      [`GET /api/v1/tenants/${TENANT}/licenses`]: () => ({ body: { items: [], next_cursor: null } }),
    });
    renderAt(`/t/${TENANT}/licenses`);
    await screen.findByRole('heading', { name: 'Licenses' });
    expect(screen.queryByRole('link', { name: 'Trusted issuers' })).toBeNull();
  });
});
