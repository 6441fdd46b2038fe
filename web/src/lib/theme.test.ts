import { describe, expect, it } from 'vitest';
import { themeButtonText, toggledTheme } from './theme';

describe('toggledTheme', () => {
  it('switches to the opposite of what the page shows', () => {
    expect(toggledTheme(false, false)).toBe('dark');
    expect(toggledTheme(true, true)).toBe('light');
  });

  it('goes back to following the system when the opposite is what the system asks for', () => {
    expect(toggledTheme(true, false)).toBe('system');
    expect(toggledTheme(false, true)).toBe('system');
  });
});

describe('themeButtonText', () => {
  it('names the button for what it does and describes the current theme', () => {
    expect(themeButtonText(false, 'system')).toEqual({ label: 'Switch to dark theme', current: 'Current theme: light (follows the system)' });
    expect(themeButtonText(true, 'dark')).toEqual({ label: 'Switch to light theme', current: 'Current theme: dark' });
  });
});
