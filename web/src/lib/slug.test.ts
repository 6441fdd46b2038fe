import { describe, expect, it } from 'vitest';
import { isSlug, SLUG_PATTERN, slugify } from './slug';

describe('SLUG_PATTERN', () => {
  it('compiles with the v flag, as browsers compile the pattern attribute', () => {
    expect(() => new RegExp(`^(?:${SLUG_PATTERN})$`, 'v')).not.toThrow();
    // The pattern it replaces: a bare dash in a class is a syntax error under the v flag.
    expect(() => new RegExp('^(?:[a-z0-9-]{1,63})$', 'v')).toThrow(SyntaxError);
  });

  it('accepts what the server accepts and nothing else', () => {
    for (const ok of ['acme', 'acme-corp', 'a', '2026-edition', 'x'.repeat(63)]) expect(isSlug(ok)).toBe(true);
    for (const bad of ['', 'Acme', 'acme corp', 'acme_corp', 'édition', 'acme!', 'x'.repeat(64)]) expect(isSlug(bad)).toBe(false);
  });

  it('matches every slug slugify makes', () => {
    for (const name of ['Acme Corp', '  CAD Pro — Édition 2026! ', 'Ünïcode & Co.', 'x'.repeat(80)]) expect(isSlug(slugify(name))).toBe(true);
  });
});
