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

/** Whether the page currently shows dark colours. */
export function isDark(): boolean {
  const t = document.documentElement.dataset.theme;
  if (t) return t === 'dark';
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** The next choice of the toggle: system → dark → light → system. */
export function nextTheme(c: ThemeChoice): ThemeChoice {
  return c === 'system' ? 'dark' : c === 'dark' ? 'light' : 'system';
}
