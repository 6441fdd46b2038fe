import { act, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ThemeToggle } from './ThemeToggle';

afterEach(() => { delete document.documentElement.dataset.theme; localStorage.clear(); });

describe('ThemeToggle', () => {
  it('is named for what it does, describes the current theme, and switches', () => {
    render(<ThemeToggle />);
    const button = screen.getByRole('button', { name: 'Switch to dark theme' });
    expect(document.getElementById(button.getAttribute('aria-describedby')!)?.textContent).toBe('Current theme: light (follows the system)');
    fireEvent.click(button);
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(localStorage.getItem('coditect-theme')).toBe('dark');
    const back = screen.getByRole('button', { name: 'Switch to light theme' });
    expect(document.getElementById(back.getAttribute('aria-describedby')!)?.textContent).toBe('Current theme: dark');
    fireEvent.click(back);
    expect(document.documentElement.dataset.theme).toBeUndefined();
    expect(localStorage.getItem('coditect-theme')).toBeNull();
  });

  it('follows a change of the page theme made elsewhere', async () => {
    render(<ThemeToggle />);
    await act(async () => { document.documentElement.dataset.theme = 'dark'; await Promise.resolve(); });
    expect(screen.getByRole('button', { name: 'Switch to light theme' })).toBeTruthy();
  });
});
