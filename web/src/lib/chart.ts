// Shapes analytics answers into what the SVG charts draw: one point per bucket over the
// whole range (a bucket the server has no row for had no use and no denial), nice axis
// ticks, and scales.
import type { Analytics, Bucket, UsagePoint } from '../api/types';

const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Length of a bucket in milliseconds. */
export function bucketMs(bucket: Bucket): number {
  return BUCKET_MS[bucket];
}

/** Start of the bucket (UTC) that holds time `t`. */
export function bucketStart(t: number, bucket: Bucket): number {
  const ms = BUCKET_MS[bucket];
  return Math.floor(t / ms) * ms;
}

/** A chart point: bucket start time, the three measures, and whether the bucket is still running. */
export interface ChartPoint {
  t: number;
  avg: number;
  peak: number;
  denials: number;
  /** The bucket ends after the range's end (or now): its figures are "so far". */
  partial: boolean;
}

/** The most buckets a chart draws; longer ranges must use a coarser bucket. */
export const MAX_POINTS = 2000;

/**
 * One point per bucket from `from` to `to` (exclusive), in time order. Server rows are matched
 * to their bucket; buckets without a row are zero. Rows outside the range are dropped. A
 * bucket is partial when the server says so, or (older servers) when it ends after `to`.
 */
export function fillSeries(a: Pick<Analytics, 'bucket' | 'from' | 'to' | 'series'>): ChartPoint[] {
  const step = BUCKET_MS[a.bucket];
  const start = bucketStart(Date.parse(a.from), a.bucket);
  const end = Date.parse(a.to);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return [];
  const byBucket = new Map<number, UsagePoint>();
  for (const p of a.series) {
    const at = bucketStart(Date.parse(p.at), a.bucket);
    if (Number.isFinite(at)) byBucket.set(at, p);
  }
  const out: ChartPoint[] = [];
  for (let t = start; t < end && out.length < MAX_POINTS; t += step) {
    const p = byBucket.get(t);
    out.push({ t, avg: p?.seats_used_avg ?? 0, peak: p?.seats_used_peak ?? 0, denials: p?.denials ?? 0, partial: p?.partial ?? t + step > end });
  }
  return out;
}

/**
 * The seat-use values a chart draws: a running bucket that has no sample yet is left out
 * (null) instead of being drawn as a drop to zero; every other bucket keeps its value.
 */
export function drawnSeatValues(points: ChartPoint[], measure: 'peak' | 'avg'): (number | null)[] {
  return points.map((p) => (p.partial && p.peak === 0 && p.avg === 0 ? null : p[measure]));
}

/** Index of the running ("so far") bucket, or null when every bucket is complete. */
export function partialIndex(points: ChartPoint[]): number | null {
  const i = points.findIndex((p) => p.partial);
  return i < 0 ? null : i;
}

/**
 * An SVG step path: each bucket a flat segment over its band (`left(i)` to `left(i) + band`),
 * joined by vertical risers, so bucketed values never ramp between buckets. A null value
 * breaks the line.
 */
export function stepPath(values: (number | null)[], left: (i: number) => number, band: number, y: (v: number) => number): string {
  let d = '';
  let open = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) { open = false; return; }
    const x0 = left(i).toFixed(1);
    const x1 = (left(i) + band).toFixed(1);
    const yv = y(v).toFixed(1);
    d += open ? `L${x0},${yv}H${x1}` : `M${x0},${yv}H${x1}`;
    open = true;
  });
  return d;
}

/** Seat use as a whole percentage of `seats`, or null when there are no seats to compare with. */
export function percentOfSeats(used: number, seats: number): number | null {
  if (!(seats > 0) || !Number.isFinite(used)) return null;
  return Math.round((used / seats) * 100);
}

/** How often the analytics page reloads on its own: about a bucket's worth, within 15 s and 5 min. */
export function refreshIntervalMs(bucket: Bucket): number {
  return Math.min(300_000, Math.max(15_000, BUCKET_MS[bucket] / 4));
}

/** Round tick values from 0 to at least `max` (about `count` of them). */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Number(v.toFixed(10)));
  // Whole seats and denials: no fractional ticks below 1.
  return step < 1 ? [...new Set(ticks.map((v) => Math.ceil(v)))] : ticks;
}

/** A linear map from a domain onto a range. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** An SVG path through the points. */
export function linePath(values: number[], x: (i: number) => number, y: (v: number) => number): string {
  return values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
}

/**
 * Label of a bucket on the time axis. Day buckets show the date; shorter buckets show the
 * time, and also the date when the axis spans more than one calendar day (`spanMs`), so a
 * 7-day chart never repeats "14:00" without saying which day.
 */
export function bucketLabel(t: number, bucket: Bucket, spanMs = 0): string {
  const d = new Date(t);
  if (bucket === 'day') return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  if (spanMs >= 86_400_000) return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** A preset time range of the analytics page. */
export interface RangePreset {
  id: string;
  label: string;
  ms: number;
  bucket: Bucket;
}

export const RANGE_PRESETS: RangePreset[] = [
  { id: '15m', label: 'Last 15 minutes', ms: 900_000, bucket: 'minute' },
  { id: '1h', label: 'Last hour', ms: 3_600_000, bucket: 'minute' },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000, bucket: 'hour' },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000, bucket: 'hour' },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000, bucket: 'day' },
  { id: '90d', label: 'Last 90 days', ms: 90 * 86_400_000, bucket: 'day' },
];

/** The `from`/`to`/`bucket` query of a preset, ending now. */
export function rangeQuery(presetId: string, now = Date.now()): { from: string; to: string; bucket: Bucket } {
  const p = RANGE_PRESETS.find((r) => r.id === presetId) ?? RANGE_PRESETS.find((r) => r.id === '24h')!;
  return { from: new Date(now - p.ms).toISOString(), to: new Date(now).toISOString(), bucket: p.bucket };
}

/** Up to `n` evenly spaced indexes of a series of length `len`, always with the last one. */
export function labelIndexes(len: number, n = 6): number[] {
  if (len <= 0) return [];
  if (len <= n) return Array.from({ length: len }, (_, i) => i);
  const step = (len - 1) / (n - 1);
  return [...new Set(Array.from({ length: n }, (_, i) => Math.round(i * step)))];
}
