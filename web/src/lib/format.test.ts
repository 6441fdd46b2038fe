import { describe, expect, it } from 'vitest';
import { relativeTime } from './format';

describe('relativeTime', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');
  it('speaks the page locale', () => {
    expect(relativeTime('2026-05-01T11:55:00Z', now, 'en-US')).toBe('5 minutes ago');
    expect(relativeTime('2026-05-04T12:00:00Z', now, 'en-US')).toBe('in 3 days');
    expect(relativeTime('2026-05-01T11:55:00Z', now, 'de-DE')).toBe('vor 5 Minuten');
    expect(relativeTime('2026-05-01T11:55:00Z', now, 'fr-FR')).toBe('il y a 5 minutes');
  });
  it('uses words for the nearest times and a dash for none', () => {
    expect(relativeTime('2026-04-30T12:00:00Z', now, 'en-US')).toBe('yesterday');
    expect(relativeTime('2026-05-01T12:00:00Z', now, 'en-US')).toBe('now');
    expect(relativeTime(null, now)).toBe('—');
  });
  it('falls back to the default locale for a tag it cannot use', () => {
    expect(relativeTime('2026-05-01T11:00:00Z', now, 'not a locale!')).toMatch(/hour/);
  });
});
