// Slugs of tenants and products: what the server accepts in a `slug` field.

/**
 * A slug from a name (lower case, `a-z0-9-`, at most 63 characters), to pre-fill slug
 * inputs. Accents are dropped ("Édition" → "edition"), not turned into dashes.
 */
export function slugify(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
}
