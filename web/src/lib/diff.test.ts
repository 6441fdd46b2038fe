import { describe, expect, it } from 'vitest';
import { diffRows, diffSummary, flatten, jsonEqual, showValue } from './diff';

describe('diffRows', () => {
  it('marks changed, added, removed and unchanged fields, changes first', () => {
    const rows = diffRows(
      { seats_total: 5, name: 'CAD', is_active: true, old: 1 },
      { seats_total: 8, name: 'CAD', is_active: true, added: 'x' },
    );
    expect(rows.map((r) => [r.path, r.kind])).toEqual([
      ['added', 'added'], ['old', 'removed'], ['seats_total', 'changed'], ['is_active', 'unchanged'], ['name', 'unchanged'],
    ]);
    expect(rows.find((r) => r.path === 'seats_total')).toMatchObject({ before: 5, after: 8 });
  });

  it('treats a creation (before null) as all added and a deletion as all removed', () => {
    expect(diffRows(null, { a: 1, b: { c: 2 } }).map((r) => [r.path, r.kind])).toEqual([['a', 'added'], ['b.c', 'added']]);
    expect(diffRows({ a: 1 }, null).map((r) => r.kind)).toEqual(['removed']);
  });

  it('compares nested objects by path and arrays as whole values', () => {
    const rows = diffRows(
      { metadata: { plan: 'pro', region: 'eu' }, entitlements: ['a', 'b'] },
      { metadata: { plan: 'team', region: 'eu' }, entitlements: ['a', 'b'] },
    );
    expect(rows.filter((r) => r.kind !== 'unchanged').map((r) => r.path)).toEqual(['metadata.plan']);
    const reordered = diffRows({ entitlements: ['a', 'b'] }, { entitlements: ['b', 'a'] });
    expect(reordered[0]).toMatchObject({ path: 'entitlements', kind: 'changed' });
  });

  it('sees null versus a value and an empty object as changes', () => {
    expect(diffRows({ expires_at: null }, { expires_at: '2030-01-01T00:00:00Z' })[0].kind).toBe('changed');
    expect(diffRows({ metadata: {} }, { metadata: { a: 1 } }).map((r) => [r.path, r.kind])).toEqual([['metadata', 'removed'], ['metadata.a', 'added']]);
  });

  it('handles scalar sides', () => {
    expect(diffRows('x', 'y')).toEqual([{ path: '(value)', before: 'x', after: 'y', kind: 'changed' }]);
    expect(diffRows(null, null)).toEqual([]);
  });
});

describe('helpers', () => {
  it('flattens with dotted keys', () => {
    expect([...flatten({ a: { b: { c: 1 } }, d: [1] })]).toEqual([['a.b.c', 1], ['d', [1]]]);
  });
  it('compares JSON deeply', () => {
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });
  it('shows values and summarizes', () => {
    expect(showValue('text')).toBe('text');
    expect(showValue(null)).toBe('null');
    expect(showValue(['a'])).toBe('["a"]');
    expect(diffSummary(diffRows({ a: 1, b: 1 }, { a: 2, b: 1, c: 3 }))).toBe('1 changed, 1 added');
    expect(diffSummary(diffRows({ a: 1 }, { a: 1 }))).toBe('no change');
  });
});
