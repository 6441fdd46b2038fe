import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { WebhookDelivery, WebhookEndpoint } from '../api/types';
import { apiError, fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

const HOOKS = `/api/v1/tenants/${TENANT}/webhooks`;
const hook = (id: string, p: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id, tenant_id: TENANT, url: `https://hooks.example.com/${id}`, description: null, events: ['seat.denied'], enabled: true,
  created_at: '2026-12-01T10:00:00Z', updated_at: '2026-12-01T10:00:00Z', ...p,
});
const delivery = (id: string, p: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
  id, event_id: `ev-${id}`, event: 'seat.denied', status: 'delivered', attempts: 1, last_status_code: 200, last_error: null,
  next_attempt_at: null, created_at: '2026-12-01T10:00:00Z', delivered_at: '2026-12-01T10:00:01Z', ...p,
});

function server(hooks: WebhookEndpoint[]) {
  return fakeServer({
    'GET /api/v1/auth/me': () => ({ body: { user: userWith('admin'), csrf_token: 'c' } }),
    [`GET ${HOOKS}`]: () => ({ body: { items: hooks, next_cursor: null } }),
    [`POST ${HOOKS}`]: (req) => {
      const b = req.body as { url: string; events: string[] };
      if (b.url.includes('10.0.0.1')) return apiError(422, 'validation_error', { fields: { url: 'is refused: points to 10.0.0.1, a private address' } });
      const h = hook('h-new', { url: b.url, events: b.events });
      hooks.push(h);
      return { status: 201, body: { ...h, secret: 'whsec_shown_once_0123456789' } };
    },
    [`PATCH ${HOOKS}/h1`]: (req) => ({ body: { ...hooks[0], ...(req.body as object) } }),
    [`GET ${HOOKS}/h1/deliveries`]: () => ({ body: { items: [delivery('d2', { status: 'failed', attempts: 9, last_status_code: 500, last_error: 'answered HTTP 500' }), delivery('d1')], next_cursor: null } }),
    [`POST ${HOOKS}/h1/deliveries/d2/redeliver`]: () => ({ body: delivery('d2', { status: 'pending' }) }),
  });
}

describe('WebhooksPage', () => {
  it('registers an endpoint, shows its secret once, and shows the server refusing a private address', async () => {
    const { calls } = server([]);
    renderAt(`/t/${TENANT}/webhooks`);
    await screen.findByText(/No endpoint yet/);
    fireEvent.click(screen.getByRole('button', { name: 'New endpoint' }));
    const form = screen.getByRole('form', { name: 'Register endpoint' });
    fireEvent.change(within(form).getByLabelText(/Endpoint URL/), { target: { value: 'https://10.0.0.1/x' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Register endpoint' }));
    await within(form).findByText(/points to 10.0.0.1/);
    fireEvent.change(within(form).getByLabelText(/Endpoint URL/), { target: { value: 'https://hooks.example.com/in' } });
    fireEvent.click(within(form).getByLabelText('license.updated'));
    fireEvent.click(within(form).getByRole('button', { name: 'Register endpoint' }));
    await waitFor(() => expect(screen.getByTestId('webhook-secret').textContent).toContain('whsec_shown_once_0123456789'));
    const sent = calls.filter((c) => c.method === 'POST').at(-1)!;
    expect(sent.body).toEqual({ url: 'https://hooks.example.com/in', events: ['license.updated', 'seat.denied'], description: null });
    expect(sent.headers['x-csrf-token']).toBe('c');
  });

  it('shows the delivery log with attempts and sends one again', async () => {
    const { calls } = server([hook('h1')]);
    renderAt(`/t/${TENANT}/webhooks`);
    const row = await screen.findByText('https://hooks.example.com/h1');
    fireEvent.click(within(row.closest('tr')!).getByRole('button', { name: 'Deliveries' }));
    const table = await screen.findByTestId('deliveries-table');
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(3));
    const failed = within(table).getAllByRole('row')[1];
    expect(failed.dataset.status).toBe('failed');
    expect(within(failed).getByText('9')).toBeTruthy();
    expect(within(failed).getByText(/answered HTTP 500/)).toBeTruthy();
    fireEvent.click(within(failed).getByRole('button', { name: 'Redeliver' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path.endsWith('/d2/redeliver'))).toBe(true));
    fireEvent.click(within(row.closest('tr')!).getByRole('button', { name: 'Disable' }));
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ enabled: false }));
  });
});
