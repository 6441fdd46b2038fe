import { describe, expect, it } from 'vitest';
import { bucketStart, fillSeries, labelIndexes, linePath, linearScale, MAX_POINTS, niceTicks, rangeQuery } from './chart';

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
    expect(pts.map((p) => p.denials)).toEqual([0, 1, 0]);
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
