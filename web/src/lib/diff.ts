// Before/after comparison of audit entries: flattens both sides into dotted paths and says,
// per path, whether it was added, removed, changed or left as it was.

/** One line of the diff view. */
export interface DiffRow {
  path: string;
  before: unknown;
  after: unknown;
  kind: 'added' | 'removed' | 'changed' | 'unchanged';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Flattens nested objects into `a.b.c` keys. Arrays stay whole values (entitlements are
 * compared as a list), as do empty objects.
 */
export function flatten(value: unknown, prefix = '', out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, value);
  } else if (value !== null && value !== undefined) {
    out.set('(value)', value);
  }
  return out;
}

/** Deep equality for JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  return ak.length === Object.keys(bo).length && ak.every((k) => k in bo && jsonEqual(ao[k], bo[k]));
}

/**
 * The rows of a before/after diff, changed rows first in key order, then unchanged ones.
 * `before` null (a creation) makes every row `added`; `after` null makes every row `removed`.
 */
export function diffRows(before: unknown, after: unknown): DiffRow[] {
  const b = flatten(before);
  const a = flatten(after);
  const keys = [...new Set([...b.keys(), ...a.keys()])].sort();
  const rows: DiffRow[] = keys.map((path) => {
    const hasB = b.has(path);
    const hasA = a.has(path);
    const bv = b.get(path);
    const av = a.get(path);
    let kind: DiffRow['kind'];
    if (!hasB) kind = 'added';
    else if (!hasA) kind = 'removed';
    else kind = jsonEqual(bv, av) ? 'unchanged' : 'changed';
    return { path, before: bv, after: av, kind };
  });
  const order = { changed: 0, added: 0, removed: 0, unchanged: 1 };
  return rows.sort((x, y) => order[x.kind] - order[y.kind] || x.path.localeCompare(y.path));
}

/** How a JSON value reads in a diff cell. */
export function showValue(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** "3 changed, 1 added": a one-line summary of a diff. */
export function diffSummary(rows: DiffRow[]): string {
  const n = (k: DiffRow['kind']) => rows.filter((r) => r.kind === k).length;
  const parts: string[] = [];
  if (n('changed')) parts.push(`${n('changed')} changed`);
  if (n('added')) parts.push(`${n('added')} added`);
  if (n('removed')) parts.push(`${n('removed')} removed`);
  return parts.join(', ') || 'no change';
}
