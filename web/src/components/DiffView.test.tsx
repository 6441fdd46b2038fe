import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { DiffView } from './DiffView';

describe('DiffView', () => {
  it('shows each changed field with its before and after value, hiding unchanged ones', () => {
    render(<DiffView before={{ seats_total: 5, is_active: true, name: 'CAD' }} after={{ seats_total: 2, is_active: false, name: 'CAD' }} />);
    const rows = within(screen.getByTestId('diff')).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-kind'))).toEqual(['changed', 'changed']);
    const seats = rows.find((r) => r.textContent?.includes('seats_total'))!;
    expect(within(seats).getAllByRole('cell').map((c) => c.textContent)).toEqual(['5', '2']);
    expect(screen.queryByText('name')).toBeNull();
  });

  it('can show unchanged fields too', () => {
    render(<DiffView showUnchanged before={{ a: 1, b: 2 }} after={{ a: 1, b: 3 }} />);
    expect(screen.getAllByRole('row')).toHaveLength(3);
  });

  it('shows a dash on the missing side of a creation', () => {
    render(<DiffView before={null} after={{ name: 'New' }} />);
    const row = screen.getByText('name').closest('tr')!;
    expect(row.getAttribute('data-kind')).toBe('added');
    expect(within(row).getAllByRole('cell').map((c) => c.textContent)).toEqual(['—', 'New']);
  });

  it('says so when nothing was recorded', () => {
    render(<DiffView before={null} after={null} />);
    expect(screen.getByText('No recorded fields.')).toBeTruthy();
  });
});
