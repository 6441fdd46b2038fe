import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { Denial } from '../api/types';
import { fakeServer } from '../test/fakeServer';
import { DenialsTable } from './DenialsTable';

const T = 't1';
const denial = (i: number, p: Partial<Denial> = {}): Denial => ({
  id: `d${i}`, license_id: 'l1', license_name: 'Render farm', at: new Date(Date.now() - i * 60_000).toISOString(),
  hardware_id: `hw-${i}`, user_email: i % 2 ? `user${i}@acme.test` : null, ...p,
});

describe('DenialsTable', () => {
  it('names the refused machine and e-mail, links the license, and pages older', async () => {
    const { calls } = fakeServer({
      [`GET /api/v1/tenants/${T}/denials`]: (req) => (req.query.get('cursor') === 'c2'
        ? { body: { items: [denial(3, { hardware_id: null })], next_cursor: null } }
        : { body: { items: [denial(1), denial(2)], next_cursor: 'c2' } }),
    });
    render(<MemoryRouter><DenialsTable tenantId={T} /></MemoryRouter>);
    const table = await screen.findByTestId('denials-table');
    const rows = () => within(table).getAllByRole('row').slice(1);
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows()[0].textContent).toContain('hw-1');
    expect(rows()[0].textContent).toContain('user1@acme.test');
    expect(rows()[1].textContent).toContain('no e-mail sent');
    expect(within(rows()[0]).getByRole('link', { name: 'Render farm' }).getAttribute('href')).toBe(`/t/${T}/licenses/l1`);
    fireEvent.click(screen.getByRole('button', { name: 'Older ›' }));
    await waitFor(() => expect(screen.getByTestId('denials-table').textContent).toContain('not recorded'));
    expect(calls.at(-1)!.query.get('cursor')).toBe('c2');
    expect(calls.at(-1)!.query.get('limit')).toBe('20');
  });

  it('asks for one license only and says when nobody was refused', async () => {
    const { calls } = fakeServer({ [`GET /api/v1/tenants/${T}/denials`]: () => ({ body: { items: [], next_cursor: null } }) });
    render(<MemoryRouter><DenialsTable tenantId={T} licenseId="l9" /></MemoryRouter>);
    await screen.findByText(/No acquire was refused for this license/);
    expect(calls[0].query.get('license_id')).toBe('l9');
  });
});
