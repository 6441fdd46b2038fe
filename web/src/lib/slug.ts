// Slugs of tenants and products: what the server accepts in a `slug` field.

/**
 * The `pattern` attribute of slug inputs: 1–63 of `a-z`, `0-9` and `-`, as the server checks.
 * Browsers compile `pattern` with the `v` flag, where a bare `-` in a class is a syntax error
 * (Chrome then logs an error and skips the check), so the dash is escaped.
 */
export const SLUG_PATTERN = '[a-z0-9\\-]{1,63}';

/** What the browser says when a slug does not match `SLUG_PATTERN`. */
export const SLUG_HINT = 'Use 1 to 63 lower-case letters (a–z), digits and dashes, e.g. acme-corp.';

/** Whether `s` is a slug, tested the way the browser tests the `pattern` attribute. */
export function isSlug(s: string): boolean {
  return new RegExp(`^(?:${SLUG_PATTERN})$`, 'v').test(s);
}

/**
 * A slug from a name (lower case, `a-z0-9-`, at most 63 characters), to pre-fill slug
 * inputs. Accents are dropped ("Édition" → "edition"), not turned into dashes.
 */
export function slugify(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
}
