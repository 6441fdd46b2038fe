import { describe, expect, it } from 'vitest';
import type { UsageRow } from '../api/types';
import { bucketFloor, bucketNext, rangeWindow, seriesByBucket, totalsBy } from './usage';

const row = (license_id: string, start: string, seat_hours: number, p: Partial<UsageRow> = {}): UsageRow => ({
  license_id, product_id: null, start, end: start, seat_hours, peak_seats: 1, sessions: 1, denials: 0, ...p,
});

describe('usage shaping', () => {
  it('buckets months by the calendar, hours and days by UTC', () => {
    expect(new Date(bucketFloor(Date.parse('2026-02-17T13:45:00Z'), 'month')).toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(new Date(bucketNext(Date.parse('2026-12-01T00:00:00Z'), 'month')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(new Date(bucketFloor(Date.parse('2026-02-17T13:45:00Z'), 'hour')).toISOString()).toBe('2026-02-17T13:00:00.000Z');
  });

  it('makes windows of whole buckets ending now', () => {
    const now = Date.parse('2026-12-03T10:30:00Z');
    expect(rangeWindow('24h', now)).toEqual({ from: '2026-12-02T11:00:00.000Z', to: '2026-12-03T10:30:00.000Z', granularity: 'hour' });
    expect(rangeWindow('30d', now).from).toBe('2026-11-04T00:00:00.000Z');
    expect(rangeWindow('12m', now).from).toBe('2026-01-01T00:00:00.000Z');
  });

  it('fills every bucket of the window and sums licenses', () => {
    const s = seriesByBucket([row('a', '2026-12-03T08:00:00Z', 1.5), row('b', '2026-12-03T08:00:00Z', 0.25), row('a', '2026-12-03T10:00:00Z', 0.5)],
      '2026-12-03T07:00:00Z', '2026-12-03T10:30:00Z', 'hour');
    expect(s.values).toEqual([0, 1.75, 0, 0.5]);
    expect(s.times).toHaveLength(4);
  });

  it('totals per license, most seat-hours first', () => {
    const t = totalsBy([row('a', 'x', 1, { peak_seats: 3, denials: 2 }), row('b', 'x', 5), row('a', 'y', 1.5, { peak_seats: 2, denials: 1 })], (r) => r.license_id);
    expect(t.map((x) => [x.key, x.seat_hours, x.peak_seats, x.denials])).toEqual([['b', 5, 1, 0], ['a', 2.5, 3, 3]]);
  });
});
