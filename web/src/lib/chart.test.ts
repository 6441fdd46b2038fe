import { describe, expect, it } from 'vitest';
import { bucketLabel, bucketStart, drawnSeatValues, fillSeries, labelIndexes, linePath, linearScale, MAX_POINTS, niceTicks, partialIndex, percentOfSeats, rangeQuery, refreshIntervalMs, stepPath } from './chart';

describe('fillSeries', () => {
  it('gives one point per bucket, zero where the server had no row', () => {
    const pts = fillSeries({
      bucket: 'hour',
      from: '2026-01-01T00:30:00Z',
      to: '2026-01-01T04:10:00Z',
      series: [
        { at: '2026-01-01T01:00:00Z', seats_used_avg: 1.5, seats_used_peak: 3, denials: 0 },
        { at: '2026-01-01T03:00:00Z', seats_used_avg: 2, seats_used_peak: 2, denials: 4 },
      ],
    });
    expect(pts.map((p) => new Date(p.t).toISOString().slice(11, 13))).toEqual(['00', '01', '02', '03', '04']);
    expect(pts.map((p) => p.peak)).toEqual([0, 3, 0, 2, 0]);
    expect(pts.map((p) => p.avg)).toEqual([0, 1.5, 0, 2, 0]);
    expect(pts.map((p) => p.denials)).toEqual([0, 0, 0, 4, 0]);
  });

  it('matches rows that are not exactly on the bucket start and drops rows outside the range', () => {
    const pts = fillSeries({
      bucket: 'minute',
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-01T00:02:00Z',
      series: [
        { at: '2026-01-01T00:01:30.250Z', seats_used_avg: 1, seats_used_peak: 1, denials: 1 },
        { at: '2025-12-31T00:00:00Z', seats_used_avg: 9, seats_used_peak: 9, denials: 9 },
      ],
    });
    // `to` is exclusive: 00:00 to 00:02 is two minute buckets.
    expect(pts.map((p) => p.denials)).toEqual([0, 1]);
  });

  it('returns nothing for a reversed or invalid range and caps very long ones', () => {
    expect(fillSeries({ bucket: 'day', from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z', series: [] })).toEqual([]);
    expect(fillSeries({ bucket: 'day', from: 'nonsense', to: '2026-01-01T00:00:00Z', series: [] })).toEqual([]);
    expect(fillSeries({ bucket: 'minute', from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z', series: [] })).toHaveLength(MAX_POINTS);
  });

  it('aligns day buckets to UTC midnight', () => {
    expect(new Date(bucketStart(Date.parse('2026-03-04T17:45:00Z'), 'day')).toISOString()).toBe('2026-03-04T00:00:00.000Z');
  });
});

describe('axes', () => {
  it('picks round ticks covering the maximum', () => {
    expect(niceTicks(10)).toEqual([0, 5, 10]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(130)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });
  it('never shows fractional ticks for small counts', () => {
    expect(niceTicks(1)).toEqual([0, 1]);
    expect(niceTicks(2).every(Number.isInteger)).toBe(true);
  });
  it('scales and draws paths', () => {
    const y = linearScale(0, 10, 100, 0);
    expect([y(0), y(5), y(10)]).toEqual([100, 50, 0]);
    expect(linePath([0, 10], (i) => i * 10, y)).toBe('M0.0,100.0L10.0,0.0');
  });
  it('spreads time labels and always labels the last point', () => {
    expect(labelIndexes(3)).toEqual([0, 1, 2]);
    expect(labelIndexes(25, 5)).toEqual([0, 6, 12, 18, 24]);
    expect(labelIndexes(0)).toEqual([]);
  });
});

describe('rangeQuery', () => {
  it('ends now and uses the preset bucket', () => {
    const now = Date.parse('2026-05-01T12:00:00Z');
    expect(rangeQuery('1h', now)).toEqual({ from: '2026-05-01T11:00:00.000Z', to: '2026-05-01T12:00:00.000Z', bucket: 'minute' });
    expect(rangeQuery('30d', now).bucket).toBe('day');
    expect(rangeQuery('bogus', now).bucket).toBe('hour');
  });
});

describe('the running bucket', () => {
  const series = (to: string, rows: { at: string; peak: number; partial?: boolean }[]) => fillSeries({
    bucket: 'minute', from: '2026-01-01T00:00:00Z', to,
    series: rows.map((r) => ({ at: r.at, seats_used_avg: r.peak, seats_used_peak: r.peak, denials: 0, partial: r.partial })),
  });

  it('ends at `to` (exclusive): no extra empty bucket after a range that ends on a boundary', () => {
    const pts = series('2026-01-01T00:03:00Z', [{ at: '2026-01-01T00:02:00Z', peak: 2 }]);
    expect(pts.map((p) => p.peak)).toEqual([0, 0, 2]);
    expect(pts.every((p) => !p.partial)).toBe(true);
  });

  it('marks the bucket the server says is running, or the one that ends after `to`', () => {
    const pts = series('2026-01-01T00:02:30Z', [{ at: '2026-01-01T00:01:00Z', peak: 1 }]);
    expect(pts.map((p) => p.partial)).toEqual([false, false, true]);
    expect(partialIndex(pts)).toBe(2);
    const told = series('2026-01-01T00:02:00Z', [{ at: '2026-01-01T00:01:00Z', peak: 1, partial: true }]);
    expect(told.map((p) => p.partial)).toEqual([false, true]);
    expect(partialIndex(series('2026-01-01T00:02:00Z', []))).toBeNull();
  });

  it('leaves a running bucket with no sample yet out instead of drawing a drop to zero', () => {
    const pts = series('2026-01-01T00:02:30Z', [{ at: '2026-01-01T00:00:00Z', peak: 3 }, { at: '2026-01-01T00:01:00Z', peak: 3 }]);
    expect(drawnSeatValues(pts, 'peak')).toEqual([3, 3, null]);
    const sampled = series('2026-01-01T00:02:30Z', [{ at: '2026-01-01T00:02:00Z', peak: 2 }]);
    expect(drawnSeatValues(sampled, 'peak')).toEqual([0, 0, 2]);
  });
});

describe('step paths', () => {
  it('draws each bucket flat over its band, with risers and no ramps', () => {
    const y = (v: number) => 100 - v * 10;
    expect(stepPath([1, 3], (i) => i * 20, 20, y)).toBe('M0.0,90.0H20.0L20.0,70.0H40.0');
  });
  it('breaks the line at a left-out bucket', () => {
    const y = (v: number) => v;
    expect(stepPath([1, null, 2], (i) => i * 10, 10, y)).toBe('M0.0,1.0H10.0M20.0,2.0H30.0');
    expect(stepPath([null], (i) => i, 1, y)).toBe('');
  });
});

describe('axis labels', () => {
  it('adds the date to hour labels on an axis of more than a day', () => {
    const t = Date.parse('2026-03-04T14:00:00Z');
    const short = bucketLabel(t, 'hour', 3_600_000);
    const long = bucketLabel(t, 'hour', 7 * 86_400_000);
    expect(short).not.toMatch(/4/);
    expect(long).toMatch(/Mar/);
    expect(long).toMatch(/(14|02):00/);
    expect(bucketLabel(t, 'day', 30 * 86_400_000)).toMatch(/Mar/);
  });
});

describe('percent of seats and refresh', () => {
  it('gives seat use in percent of the seats, or null without seats', () => {
    expect(percentOfSeats(3, 4)).toBe(75);
    expect(percentOfSeats(1, 3)).toBe(33);
    expect(percentOfSeats(2, 0)).toBeNull();
  });
  it('refreshes about once per quarter bucket, between 15 s and 5 min', () => {
    expect(refreshIntervalMs('minute')).toBe(15_000);
    expect(refreshIntervalMs('hour')).toBe(300_000);
    expect(refreshIntervalMs('day')).toBe(300_000);
  });
});
