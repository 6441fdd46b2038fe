// Hand-made SVG charts over time buckets: steps (seat use; a bucket is one flat value, so
// nothing ramps between buckets) and bars (denials). They scale to their container's width,
// show the bucket under the pointer, and hatch the running bucket with a "so far" label.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { Bucket } from '../api/types';
import { bucketLabel, labelIndexes, linearScale, niceTicks, percentOfSeats, stepPath } from '../lib/chart';

const DEFAULT_W = 720;
const H = 240;

/** The pixel width of an element, following resizes (the SVG is drawn at that width, so text never stretches). */
function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [w, setW] = useState(DEFAULT_W);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(([e]) => {
      const next = Math.round(e.contentRect.width);
      if (next > 0) setW(next);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, w];
}
const PAD = { top: 18, right: 12, bottom: 28, left: 40 };
/** Right padding when a percentage-of-seats axis is drawn. */
const PAD_RIGHT_PERCENT = 44;

/** One drawn measure. */
export interface ChartSeries {
  name: string;
  /** One value per bucket; null leaves the bucket out (a running bucket with no sample yet). */
  values: (number | null)[];
  /** CSS class giving the colour (`series-1`, `series-2`, `series-bad`). */
  className: string;
  dashed?: boolean;
}

interface FrameProps {
  times: number[];
  bucket: Bucket;
  /** Index of the running bucket, hatched and labelled "so far". */
  partial?: number | null;
  /** Seats of the license(s): draws a right-hand axis in percent of them. */
  seats?: number;
  max: number;
  title: string;
  hover: number | null;
  setHover: (i: number | null) => void;
  children: (x: (i: number) => number, y: (v: number) => number, band: number) => ReactNode;
  tooltip: (i: number) => ReactNode;
  testId?: string;
}

function Frame({ times, bucket, partial = null, seats, max, title, hover, setHover, children, tooltip, testId }: FrameProps) {
  const [ref, W] = useWidth();
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const n = times.length;
  const right = seats ? PAD_RIGHT_PERCENT : PAD.right;
  const span = n > 1 ? times[n - 1] - times[0] : 0;
  const band = (W - PAD.left - right) / Math.max(1, n);
  const x = (i: number) => PAD.left + band * i + band / 2;
  const y = linearScale(0, top, H - PAD.bottom, PAD.top);
  const onMove = (e: React.PointerEvent<SVGRectElement>) => {
    const rect = e.currentTarget.ownerSVGElement?.getBoundingClientRect();
    if (!rect || n === 0) return;
    const px = ((e.clientX - rect.left) / rect.width) * W;
    setHover(Math.min(n - 1, Math.max(0, Math.floor((px - PAD.left) / band))));
  };
  return (
    <div className="chart" data-testid={testId} ref={ref}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={title}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - right} y1={y(t)} y2={y(t)} className="chart-grid" />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" className="chart-tick">{t}</text>
            {seats ? <text x={W - right + 6} y={y(t) + 4} textAnchor="start" className="chart-tick chart-tick-percent">{percentOfSeats(t, seats)}%</text> : null}
          </g>
        ))}
        {labelIndexes(n, W < 480 ? 3 : span >= 86_400_000 && bucket !== 'day' ? 4 : 6).map((i, k, all) => (
          <text key={i} x={x(i)} y={H - 8} textAnchor={k === 0 && all.length > 1 ? 'start' : k === all.length - 1 && all.length > 1 ? 'end' : 'middle'} className="chart-tick">{bucketLabel(times[i], bucket, span)}</text>
        ))}
        {partial !== null && partial < n && (
          <g data-testid="partial-bucket">
            <rect x={x(partial) - band / 2} width={band} y={PAD.top} height={H - PAD.bottom - PAD.top} className="chart-partial" />
            <text x={Math.min(x(partial), W - right)} y={PAD.top - 5} textAnchor="end" className="chart-tick chart-partial-label">so far</text>
          </g>
        )}
        {children(x, y, band)}
        {hover !== null && hover < n && <line x1={x(hover)} x2={x(hover)} y1={PAD.top} y2={H - PAD.bottom} className="chart-cursor" />}
        <rect x={PAD.left} y={PAD.top} width={W - PAD.left - right} height={H - PAD.top - PAD.bottom}
          fill="transparent" onPointerMove={onMove} onPointerLeave={() => setHover(null)} />
      </svg>
      <div className="chart-tooltip small" aria-live="polite">
        {hover !== null && hover < n ? tooltip(hover) : <span className="muted">Point at the chart for details</span>}
      </div>
    </div>
  );
}

/** The tooltip's heading for bucket `i`: its start, and "so far" when it is still running. */
function when(times: number[], i: number, partial: number | null | undefined): ReactNode {
  return <strong>{new Date(times[i]).toLocaleString()}{i === partial ? ' (so far)' : ''}</strong>;
}

/**
 * Bucketed values over time as steps (one flat segment per bucket), with a legend. With
 * `seats`, a right-hand axis and the tooltip also give the use in percent of those seats.
 */
export function LineChart({ times, bucket, series, title, testId, partial, seats }: { times: number[]; bucket: Bucket; series: ChartSeries[]; title: string; testId?: string; partial?: number | null; seats?: number }) {
  const [hover, setHover] = useState<number | null>(null);
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const pct = (v: number | null | undefined) => {
    const p = seats && v !== null && v !== undefined ? percentOfSeats(v, seats) : null;
    return p === null ? '' : ` (${p}%)`;
  };
  return (
    <div>
      <Legend series={series} partial={partial !== null && partial !== undefined} />
      <Frame times={times} bucket={bucket} partial={partial} seats={seats} max={max} title={title} hover={hover} setHover={setHover} testId={testId}
        tooltip={(i) => (
          <span>{when(times, i, partial)}{series.map((s) => <span key={s.name}> · {s.name}: {round(s.values[i])}{pct(s.values[i])}</span>)}</span>
        )}>
        {(x, y, band) => series.map((s) => (
          <path key={s.name} d={stepPath(s.values, (i) => x(i) - band / 2, band, y)} className={`chart-line ${s.className}`} strokeDasharray={s.dashed ? '5 4' : undefined} />
        ))}
      </Frame>
    </div>
  );
}

/** Bars over time. */
export function BarChart({ times, bucket, values, title, name, testId, partial }: { times: number[]; bucket: Bucket; values: number[]; title: string; name: string; testId?: string; partial?: number | null }) {
  const [hover, setHover] = useState<number | null>(null);
  const max = Math.max(1, ...values);
  return (
    <Frame times={times} bucket={bucket} partial={partial} max={max} title={title} hover={hover} setHover={setHover} testId={testId}
      tooltip={(i) => <span>{when(times, i, partial)} · {name}: {values[i]}</span>}>
      {(x, y, band) => values.map((v, i) => v > 0 && (
        <rect key={i} x={x(i) - Math.max(1, band * 0.35)} width={Math.max(2, band * 0.7)} y={y(v)} height={y(0) - y(v)} className={i === partial ? 'chart-bar chart-bar-partial' : 'chart-bar'} />
      ))}
    </Frame>
  );
}

/** Horizontal bars comparing named items (per license, per tenant). */
export function RankBars({ items, unit }: { items: { label: string; value: number; hint?: string }[]; unit: string }) {
  const max = Math.max(1, ...items.map((i) => i.value));
  if (items.length === 0) return <p className="muted">Nothing to compare yet.</p>;
  return (
    <ul className="rank-bars">
      {items.map((it) => (
        <li key={it.label}>
          <span className="rank-label" title={it.label}>{it.label}</span>
          <span className="rank-track"><span className="rank-fill" style={{ width: `${(it.value / max) * 100}%` }} /></span>
          <span className="rank-value">{round(it.value)} {it.value === 1 ? unit.replace(/s$/, '') : unit}{it.hint ? <span className="muted small"> {it.hint}</span> : null}</span>
        </li>
      ))}
    </ul>
  );
}

function Legend({ series, partial }: { series: ChartSeries[]; partial: boolean }) {
  return (
    <div className="chart-legend small" data-testid="chart-legend">
      {series.map((s) => <span key={s.name}><i className={`legend-swatch ${s.className}${s.dashed ? ' dashed' : ''}`} />{s.name}</span>)}
      {partial && <span><i className="legend-swatch legend-partial" />Running bucket (so far)</span>}
    </div>
  );
}

function round(v: number | null | undefined): string {
  return v === undefined || v === null ? '—' : String(Math.round(v * 100) / 100);
}
