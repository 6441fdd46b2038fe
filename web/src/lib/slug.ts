// Slugs of tenants and products: what the server accepts in a `slug` field.

/** A slug from a name (lower case, `a-z0-9-`, at most 63 characters), to pre-fill slug inputs. */
export function slugify(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
}
