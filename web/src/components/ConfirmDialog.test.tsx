import { act, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { useConfirm } from './ConfirmDialog';

function Harness() {
  const [dialog, confirm] = useConfirm();
  const [answer, setAnswer] = useState('none');
  return (
    <>
      <button type="button" onClick={async () => setAnswer(String(await confirm({ title: 'Change role?', body: 'viewer to admin', confirmLabel: 'Change role' })))}>ask</button>
      <output>{answer}</output>
      {dialog}
    </>
  );
}

describe('useConfirm', () => {
  it('resolves true on confirm, false on cancel and Escape, and closes', async () => {
    render(<Harness />);
    fireEvent.click(screen.getByText('ask'));
    expect(screen.getByRole('alertdialog', { name: 'Change role?' }).textContent).toContain('viewer to admin');
    expect(document.activeElement?.textContent).toBe('Cancel');
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Change role' })); });
    expect(screen.getByRole('status').textContent).toBe('true');
    expect(screen.queryByRole('alertdialog')).toBeNull();
    fireEvent.click(screen.getByText('ask'));
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Cancel' })); });
    expect(screen.getByRole('status').textContent).toBe('false');
    fireEvent.click(screen.getByText('ask'));
    await act(async () => { fireEvent.keyDown(document, { key: 'Escape' }); });
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });
});
