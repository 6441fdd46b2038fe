import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { BillingEvent } from '../api/types';
import { fakeServer } from '../test/fakeServer';
import { renderAt, TENANT, userWith } from '../test/renderApp';

const ev = (id: string, p: Partial<BillingEvent> = {}): BillingEvent => ({
  id, type: 'customer.subscription.created', created: '2026-03-01T10:00:00Z', received_at: '2026-03-01T10:00:01Z',
  status: 'applied', reason: null, license_ids: [], tenant_id: null, ...p,
});
const rows = () => within(screen.getByTestId('billing-events-table')).getAllByRole('row').slice(1) as HTMLTableRowElement[];

function server(all: BillingEvent[]) {
  return fakeServer({
    'GET /api/v1/auth/me': () => ({ body: { user: userWith('staff'), csrf_token: 'c' } }),
    'GET /api/v1/billing/events': (req) => {
      const type = req.query.get('type');
      const status = req.query.get('status');
      const items = all.filter((e) => (!type || e.type === type) && (!status || e.status === status));
      return req.query.get('cursor') === 'more'
        ? { body: { items: items.slice(2), next_cursor: null } }
        : { body: { items: items.slice(0, 2), next_cursor: items.length > 2 ? 'more' : null } };
    },
  });
}

describe('BillingEventsPage', () => {
  it('lists events with status, reason and links to the licenses they touched', async () => {
    server([
      ev('evt_3', { type: 'customer.subscription.deleted', license_ids: ['0190bbbb-0000-7000-8000-00000000abcd'], tenant_id: TENANT }),
      ev('evt_2', { type: 'invoice.paid', status: 'ignored', reason: 'unknown subscription sub_x' }),
    ]);
    renderAt('/billing/events');
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows()[0].dataset.eventId).toBe('evt_3');
    expect(within(rows()[0]).getByText('applied')).toBeTruthy();
    expect(within(rows()[0]).getByRole('link').getAttribute('href')).toBe(`/t/${TENANT}/licenses/0190bbbb-0000-7000-8000-00000000abcd`);
    expect(within(rows()[1]).getByText('ignored')).toBeTruthy();
    expect(within(rows()[1]).getByText('unknown subscription sub_x')).toBeTruthy();
  });

  it('sends the type and status filters to the server and starts again at page 1', async () => {
    const { calls } = server([
      ev('evt_5'), ev('evt_4', { status: 'ignored' }), ev('evt_3'), ev('evt_2', { type: 'invoice.paid' }), ev('evt_1', { status: 'pending' }),
    ]);
    renderAt('/billing/events');
    await waitFor(() => expect(rows()).toHaveLength(2));
    fireEvent.click(screen.getByText('Older ›'));
    await waitFor(() => expect(rows()[0].dataset.eventId).toBe('evt_3'));
    fireEvent.change(screen.getByLabelText('Event status'), { target: { value: 'ignored' } });
    await waitFor(() => expect(rows().map((r) => r.dataset.eventId)).toEqual(['evt_4']));
    expect(screen.getByText('Page 1')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Event type'), { target: { value: 'invoice.paid' } });
    await waitFor(() => expect(screen.getByText('No event matches these filters.')).toBeTruthy());
    const last = calls.filter((c) => c.path === '/api/v1/billing/events').at(-1)!;
    expect([last.query.get('type'), last.query.get('status'), last.query.get('cursor')]).toEqual(['invoice.paid', 'ignored', null]);
  });

  it('reads its filters from the URL, keeping an event type it does not list', async () => {
    const { calls } = server([ev('evt_9', { type: 'customer.created', status: 'ignored', reason: 'event type not handled' })]);
    renderAt('/billing/events?type=customer.created&status=ignored');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect((screen.getByLabelText('Event type') as HTMLSelectElement).value).toBe('customer.created');
    expect(calls.find((c) => c.path === '/api/v1/billing/events')!.query.get('type')).toBe('customer.created');
  });
});
