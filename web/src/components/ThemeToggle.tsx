// The theme button: named for what it does ("Switch to dark theme"), with the current theme
// as its description. It follows the system until pressed, and again when pressed back to
// what the system asks for.
import { useEffect, useId, useState } from 'react';
import { applyTheme, isDark, storedTheme, systemPrefersDark, themeButtonText, toggledTheme, type ThemeChoice } from '../lib/theme';

export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  const [dark, setDark] = useState(isDark);
  const id = useId();
  useEffect(() => {
    // Follow the system's scheme and any other change of the page's theme.
    const follow = () => setDark(isDark());
    const mq = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
    mq?.addEventListener?.('change', follow);
    const seen = new MutationObserver(follow);
    seen.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => { mq?.removeEventListener?.('change', follow); seen.disconnect(); };
  }, []);
  const { label, current } = themeButtonText(dark, choice);
  return (
    <button type="button" className="btn btn-ghost btn-small theme-toggle" aria-label={label} aria-describedby={id} title={`${label}. ${current}.`}
      onClick={() => { const next = toggledTheme(dark, systemPrefersDark()); applyTheme(next); setChoice(next); setDark(isDark()); }}>
      <span aria-hidden>{dark ? '☀' : '☾'}</span> <span className="theme-label">{dark ? 'Light theme' : 'Dark theme'}</span>
      <span id={id} className="visually-hidden">{current}</span>
    </button>
  );
}
