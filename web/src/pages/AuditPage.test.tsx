import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../api/types';
import { fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';
import { actorLabel } from './AuditPage';

const entry = (i: number, p: Partial<AuditEntry>): AuditEntry => ({
  id: `a${i}`, at: new Date(Date.now() - i * 60_000).toISOString(), actor: { type: 'user', id: 'u1', name: 'ana@example.com' },
  action: 'license.update', resource: 'license', resource_id: 'lic-1', before: null, after: null, ...p,
});

describe('AuditPage', () => {
  it('lists entries, opens a before/after diff and loads older pages', async () => {
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': () => ({ body: { user: userWith('viewer'), csrf_token: 'c' } }),
      [`GET /api/v1/tenants/${TENANT}/audit`]: (req) => req.query.get('cursor') === 'next'
        ? { body: { items: [entry(3, { action: 'license.create', after: { name: 'CAD' } })], next_cursor: null } }
        : { body: { items: [
          entry(1, { action: 'session.force_release', resource: 'session', before: { status: 'active' }, after: { status: 'released', end_reason: 'forced' } }),
          entry(2, { before: { seats_total: 5, name: 'CAD' }, after: { seats_total: 2, name: 'CAD' } }),
        ], next_cursor: 'next' } },
    });
    renderAt(`/t/${TENANT}/audit`);
    const list = () => within(screen.getByTestId('audit-list'));
    await waitFor(() => expect(list().getByText('session.force_release')).toBeTruthy());
    const update = list().getByText('license.update').closest('article')!;
    expect(within(update).getByText('1 changed')).toBeTruthy();
    fireEvent.click(within(update).getByRole('button', { expanded: false }));
    const diff = within(update).getByTestId('diff');
    expect(within(diff).getByText('seats_total')).toBeTruthy();
    expect(within(diff).queryByText('name')).toBeNull();

    fireEvent.click(screen.getByText('Load older entries'));
    await waitFor(() => expect(list().getByText('license.create')).toBeTruthy());
    expect(calls.filter((c) => c.path.endsWith('/audit')).map((c) => c.query.get('cursor'))).toEqual([null, 'next']);
  });

  it('names actors', () => {
    expect(actorLabel({ type: 'token', id: 't', name: 'ci' })).toBe('token "ci"');
    expect(actorLabel({ type: 'system', id: null, name: null })).toBe('system');
    expect(actorLabel({ type: 'user', id: 'u', name: 'ana@example.com' })).toBe('ana@example.com');
  });

  it('sends the filters to the server, names the license an entry is about and links to it', async () => {
    const { calls } = fakeServer({
      'GET /api/v1/auth/me': () => ({ body: { user: userWith('viewer'), csrf_token: 'c' } }),
      [`GET /api/v1/tenants/${TENANT}/licenses`]: () => ({ body: { items: [{ id: 'lic-1', name: 'Acme CAD', key_hint: 'ABCD' }], next_cursor: null } }),
      [`GET /api/v1/tenants/${TENANT}/audit`]: () => ({ body: { items: [
        entry(1, { action: 'session.force_release', resource: 'session', resource_id: 'ses-1', after: { license_id: 'lic-1', hardware_id: 'host-9', user_email: 'bo@example.com' } }),
      ], next_cursor: null } }),
    });
    renderAt(`/t/${TENANT}/audit?resource=session&from=2026-01-10`);
    const link = await screen.findByRole('link', { name: /Session of bo@example.com on host-9 · license Acme CAD/ });
    expect(link.getAttribute('href')).toMatch(new RegExp(`/t/${TENANT}/licenses/lic-1$`));
    const first = calls.find((c) => c.path.endsWith('/audit'))!;
    expect(first.query.get('resource')).toBe('session');
    expect(first.query.get('from')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Action'), { target: { value: 'session.expire' } });
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith('/audit')).some((c) => c.query.get('action') === 'session.expire')).toBe(true));
  });
});
