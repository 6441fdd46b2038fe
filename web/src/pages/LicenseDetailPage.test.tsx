import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { License, LicenseSession } from '../api/types';
import { fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

const LICENSE: License = {
  id: 'lic-1', tenant_id: TENANT, name: 'Acme CAD', license_key: 'ACME-SECRET-KEY-1234', key_hint: '1234', seats_total: 3, seats_used: 0,
  expires_at: null, heartbeat_ttl_seconds: 360, entitlements: ['export'], metadata: {}, is_active: true,
  created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
};
const session = (id: string): LicenseSession => ({
  id, license_id: 'lic-1', hardware_id: `hw-${id}`, user_email: `${id}@example.com`, client: { name: 'app', version: '1.0' }, status: 'active',
  end_reason: null, created_at: new Date().toISOString(), last_heartbeat_at: new Date().toISOString(), expires_at: new Date(Date.now() + 300_000).toISOString(), ended_at: null,
});

function server(role: Parameters<typeof userWith>[0]) {
  const live: LicenseSession[] = [];
  const base = `/api/v1/tenants/${TENANT}`;
  const fake = fakeServer({
    'GET /api/v1/auth/me': () => ({ body: { user: userWith(role), csrf_token: 'csrf-xyz' } }),
    [`GET ${base}/licenses/lic-1`]: () => ({ body: { ...LICENSE, seats_used: live.length, license_key: role === 'viewer' ? null : LICENSE.license_key } }),
    [`GET ${base}/licenses/lic-1/sessions`]: () => ({ body: { items: [...live], next_cursor: null } }),
    [`GET ${base}/analytics`]: (req) => ({ body: { bucket: 'hour', from: req.query.get('from'), to: req.query.get('to'), series: [], peak: 0, average: 0, denials_total: 0 } }),
    [`DELETE ${base}/sessions/s1`]: () => {
      const i = live.findIndex((s) => s.id === 's1');
      const [s] = live.splice(i, 1);
      return { body: { ...s, status: 'released', end_reason: 'forced' } };
    },
  });
  return { ...fake, live };
}

describe('LicenseDetailPage', () => {
  it('shows a new session without reload (polling) and force-releases it with the CSRF token', async () => {
    const { live, calls } = server('admin');
    renderAt(`/t/${TENANT}/licenses/lic-1`);
    await waitFor(() => expect(screen.getByText('No client holds a seat right now.')).toBeTruthy());
    expect(screen.getByTestId('seats-gauge').getAttribute('aria-label')).toBe('0 of 3 seats in use');
    live.push(session('s1'));
    await waitFor(() => expect(screen.getByText('s1@example.com')).toBeTruthy(), { timeout: 4000 });
    expect(screen.getByTestId('seats-gauge').getAttribute('aria-label')).toBe('1 of 3 seats in use');

    const row = screen.getByText('s1@example.com').closest('tr')!;
    fireEvent.click(within(row).getByText('Force release'));
    fireEvent.click(within(row).getByText('Release seat'));
    await waitFor(() => expect(screen.getByText(/Released the seat of s1@example.com/)).toBeTruthy());
    const del = calls.find((c) => c.method === 'DELETE')!;
    expect(del.path).toBe(`/api/v1/tenants/${TENANT}/sessions/s1`);
    expect(del.headers['x-csrf-token']).toBe('csrf-xyz');
    expect(screen.queryByText('s1@example.com')).toBeNull();
  }, 10_000);

  it('gives a viewer no edit, suspend or force release, and only the key hint', async () => {
    const { live } = server('viewer');
    live.push(session('s1'));
    renderAt(`/t/${TENANT}/licenses/lic-1`);
    await waitFor(() => expect(screen.getByText('s1@example.com')).toBeTruthy());
    expect(screen.queryByText('Force release')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Suspend' })).toBeNull();
    expect(screen.getByText('Read only')).toBeTruthy();
    expect(screen.queryByTestId('license-key')).toBeNull();
    expect(screen.getByText('…1234')).toBeTruthy();
  });

  it('says "not found" for a license of another tenant', async () => {
    fakeServer({
      'GET /api/v1/auth/me': () => ({ body: { user: userWith('owner'), csrf_token: 'c' } }),
    });
    renderAt(`/t/${TENANT}/licenses/other`);
    await waitFor(() => expect(screen.getByRole('heading', { name: 'License not found' })).toBeTruthy());
  });

  it('shows the session history by default and narrows it to a range of days', async () => {
    const { calls } = server('viewer');
    renderAt(`/t/${TENANT}/licenses/lic-1`);
    const history = () => calls.filter((c) => c.path.endsWith('/sessions') && c.query.get('limit') === '25');
    await waitFor(() => expect(history().length).toBeGreaterThan(0));
    expect(history()[0].query.get('status')).toBeNull();
    fireEvent.change(screen.getByLabelText('History from'), { target: { value: '2026-01-10' } });
    fireEvent.change(screen.getByLabelText('History to'), { target: { value: '2026-01-11' } });
    await waitFor(() => expect(history().some((c) => c.query.get('from') && c.query.get('to'))).toBe(true));
    const q = history().find((c) => c.query.get('from') && c.query.get('to'))!.query;
    expect(Date.parse(q.get('to')!) - Date.parse(q.get('from')!)).toBe(2 * 86_400_000);
    fireEvent.change(screen.getByLabelText('History from'), { target: { value: '2026-01-12' } });
    await screen.findByText('The end date is before the start date.');
  });
});
