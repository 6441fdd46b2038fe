// Shapes the usage endpoint's rows (seat-hours per license per bucket) into what the Usage
// page shows: the window of a chosen range, totals per bucket for the chart (every bucket
// of the window, empty ones as zero), and totals per license and per product.
import type { Granularity, UsageRow } from '../api/types';

/** A range the Usage page offers. */
export interface UsageRange {
  id: string;
  label: string;
  granularity: Granularity;
}

export const USAGE_RANGES: UsageRange[] = [
  { id: '24h', label: 'Last 24 hours, hourly', granularity: 'hour' },
  { id: '7d', label: 'Last 7 days, hourly', granularity: 'hour' },
  { id: '30d', label: 'Last 30 days, daily', granularity: 'day' },
  { id: '12m', label: 'Last 12 months, monthly', granularity: 'month' },
];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The UTC start of the bucket holding `t`. */
export function bucketFloor(t: number, g: Granularity): number {
  const d = new Date(t);
  if (g === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const ms = g === 'hour' ? HOUR : DAY;
  return Math.floor(t / ms) * ms;
}

/** The start of the bucket after the one starting at `start`. */
export function bucketNext(start: number, g: Granularity): number {
  if (g === 'month') {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return start + (g === 'hour' ? HOUR : DAY);
}

/** The window of a range ending now: whole buckets back from the current one, `to` now. */
export function rangeWindow(id: string, now: number): { from: string; to: string; granularity: Granularity } {
  const r = USAGE_RANGES.find((x) => x.id === id) ?? USAGE_RANGES[0];
  const g = r.granularity;
  let from: number;
  if (id === '12m') {
    const d = new Date(now);
    from = Date.UTC(d.getUTCFullYear() - 1, d.getUTCMonth() + 1, 1);
  } else {
    const span = id === '7d' ? 7 * DAY : id === '30d' ? 29 * DAY : 23 * HOUR;
    from = bucketFloor(now - span, g);
  }
  return { from: new Date(from).toISOString(), to: new Date(now).toISOString(), granularity: g };
}

/** Seat-hours per bucket over the whole window, summed over licenses, in time order. */
export function seriesByBucket(rows: UsageRow[], from: string, to: string, g: Granularity): { times: number[]; values: number[] } {
  const sums = new Map<number, number>();
  for (const r of rows) {
    const b = bucketFloor(Date.parse(r.start), g);
    sums.set(b, (sums.get(b) ?? 0) + r.seat_hours);
  }
  const times: number[] = [];
  const values: number[] = [];
  const end = Date.parse(to);
  for (let b = bucketFloor(Date.parse(from), g); b < end && times.length < 5000; b = bucketNext(b, g)) {
    times.push(b);
    values.push(Math.round((sums.get(b) ?? 0) * 100) / 100);
  }
  return { times, values };
}

/** One license's (or product's) totals over the window. */
export interface UsageTotal {
  key: string;
  seat_hours: number;
  peak_seats: number;
  sessions: number;
  denials: number;
}

/** Totals per `keyOf` (license or product), most seat-hours first. `sessions` is the most
 *  in any one bucket (a session spanning buckets counts in each). */
export function totalsBy(rows: UsageRow[], keyOf: (r: UsageRow) => string): UsageTotal[] {
  const out = new Map<string, UsageTotal>();
  for (const r of rows) {
    const k = keyOf(r);
    const t = out.get(k) ?? { key: k, seat_hours: 0, peak_seats: 0, sessions: 0, denials: 0 };
    t.seat_hours += r.seat_hours;
    t.peak_seats = Math.max(t.peak_seats, r.peak_seats);
    t.sessions = Math.max(t.sessions, r.sessions);
    t.denials += r.denials;
    out.set(k, t);
  }
  return [...out.values()].sort((a, b) => b.seat_hours - a.seat_hours || a.key.localeCompare(b.key));
}

/** Seat-hours as the page prints them: two decimals. */
export function formatHours(h: number): string {
  return h.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}
