// Dark mode: follows the system (prefers-color-scheme) unless the person picks light or dark,
// which is remembered in localStorage.

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'coditect-theme';

/** The saved choice, `system` when none. */
export function storedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

/** Applies a choice to the page and saves it. */
export function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === 'system') delete root.dataset.theme;
  else root.dataset.theme = choice;
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
}

/** Whether the system asks for dark colours (prefers-color-scheme). */
export function systemPrefersDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** Whether the page currently shows dark colours. */
export function isDark(): boolean {
  const t = document.documentElement.dataset.theme;
  if (t) return t === 'dark';
  return systemPrefersDark();
}

/**
 * The choice the theme button makes: the opposite of what the page shows now. When that is
 * what the system asks for anyway, the choice is `system` (the page follows the system again).
 */
export function toggledTheme(showsDark: boolean, systemDark: boolean): ThemeChoice {
  const wantDark = !showsDark;
  if (wantDark === systemDark) return 'system';
  return wantDark ? 'dark' : 'light';
}

/** The theme button's accessible name and its description of the current theme. */
export function themeButtonText(showsDark: boolean, choice: ThemeChoice): { label: string; current: string } {
  const now = showsDark ? 'dark' : 'light';
  return {
    label: `Switch to ${showsDark ? 'light' : 'dark'} theme`,
    current: `Current theme: ${now}${choice === 'system' ? ' (follows the system)' : ''}`,
  };
}
