// Seat use and denials over time, for the whole tenant or one license, plus a ranking of
// the tenant's licenses by peak use and denials. Seat use is also given in percent of the
// seats in scope; the running bucket is marked "so far"; the page refreshes on its own
// while the tab is visible.
import { useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { analytics as analyticsApi, licenses as licensesApi } from '../api/endpoints';
import type { Analytics, License } from '../api/types';
import { BarChart, LineChart, RankBars } from '../components/Charts';
import { DenialsTable } from '../components/DenialsTable';
import { ErrorNotice, PageHeader, Spinner, Stat } from '../components/ui';
import { drawnSeatValues, fillSeries, partialIndex, percentOfSeats, RANGE_PRESETS, rangeQuery, refreshIntervalMs } from '../lib/chart';
import { useAutoRefresh } from '../lib/autoRefresh';
import { formatNumber } from '../lib/format';
import { useAsync } from '../lib/hooks';

/** How many licenses the per-license comparison asks about (the busiest by seats in use). */
const COMPARE_LIMIT = 20;

/** Runs `fn` over `items`, at most `width` at a time, keeping the order. */
export async function mapLimited<T, R>(items: T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

export function AnalyticsPage() {
  const { tenantId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const range = RANGE_PRESETS.some((r) => r.id === params.get('range')) ? params.get('range')! : '24h';
  const licenseId = params.get('license') ?? '';
  // `stamp` moves on every refresh (the timer's and the button's): the chart and stats;
  // `manual` only on the button: the license list and the per-license ranking (20 requests).
  const [stamp, setStamp] = useState(0);
  const [manual, setManual] = useState(0);
  const set = (k: string, v: string) => { const p = new URLSearchParams(params); if (v) p.set(k, v); else p.delete(k); setParams(p, { replace: true }); };

  const preset = RANGE_PRESETS.find((r) => r.id === range)!;
  useAutoRefresh(() => setStamp((s) => s + 1), refreshIntervalMs(preset.bucket));
  const list = useAsync(() => licensesApi.listAll(tenantId), [tenantId, manual]);
  const data = useAsync(() => analyticsApi.tenant(tenantId, { license_id: licenseId || undefined, ...rangeQuery(range) }), [tenantId, licenseId, range, stamp]);
  // The ranking remembers its range: a refresh keeps the old bars until the new ones are in,
  // a change of range shows the spinner instead of another range's bars.
  const [rankingOf, setRankingOf] = useState<{ range: string; items: { license: License; a: Analytics }[] } | null>(null);
  const ranking = rankingOf?.range === range ? rankingOf.items : null;
  const setRanking = (items: { license: License; a: Analytics }[]) => setRankingOf({ range, items });
  useEffect(() => {
    const all = list.data?.items;
    if (!all) return;
    let live = true;
    const busiest = [...all].sort((a, b) => b.seats_used - a.seats_used || b.seats_total - a.seats_total).slice(0, COMPARE_LIMIT);
    const q = rangeQuery(range);
    mapLimited(busiest, 4, async (license) => ({ license, a: await analyticsApi.tenant(tenantId, { license_id: license.id, ...q }) }))
      .then((r) => { if (live) setRanking(r); }, () => { if (live) setRanking([]); });
    return () => { live = false; };
  }, [list.data, range, tenantId, manual]);

  const a = data.data;
  const points = a ? fillSeries(a) : [];
  const times = points.map((p) => p.t);
  const selected = list.data?.items.find((l) => l.id === licenseId);
  const name = (l: License) => l.name ?? `…${l.key_hint}`;
  const partial = partialIndex(points);
  // Seats in scope: the license's, or every license's of the tenant.
  const seats = licenseId ? selected?.seats_total ?? 0 : (list.data?.items ?? []).reduce((n, l) => n + l.seats_total, 0);
  const ofSeats = (v: number) => {
    const p = percentOfSeats(v, seats);
    return p === null ? undefined : `${p}% of ${seats} seat${seats === 1 ? '' : 's'}`;
  };

  return (
    <div>
      <PageHeader title="Analytics" subtitle={licenseId ? <>License <strong>{selected ? name(selected) : licenseId}</strong> · <Link to={`/t/${tenantId}/licenses/${licenseId}`}>open license</Link></> : 'All licenses of this tenant'}
        actions={<>
          <select aria-label="License" value={licenseId} onChange={(e) => set('license', e.target.value)}>
            <option value="">All licenses</option>
            {list.data?.items.map((l) => <option key={l.id} value={l.id}>{name(l)}</option>)}
          </select>
          <select aria-label="Time range" value={range} onChange={(e) => set('range', e.target.value)}>
            {RANGE_PRESETS.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
          </select>
          <button type="button" className="btn btn-ghost" onClick={() => { setStamp((s) => s + 1); setManual((m) => m + 1); }}>Refresh</button>
          <span className="muted small" data-testid="auto-refresh">Refreshes every {Math.round(refreshIntervalMs(preset.bucket) / 1000)} s</span>
        </>} />
      <ErrorNotice error={data.error} />
      {!a ? (data.loading && <Spinner />) : (
        <>
          <div className="stats card" data-testid="analytics-stats">
            <Stat label="Peak seats" value={<span data-testid="stat-peak">{formatNumber(a.peak)}</span>} hint={<span data-testid="stat-peak-percent">{ofSeats(a.peak) ?? 'highest in-use count'}</span>} />
            <Stat label="Average seats" value={<span data-testid="stat-average">{formatNumber(a.average, 2)}</span>} hint={ofSeats(a.average) ?? 'mean over the range'} />
            <Stat label="Denials" value={<span data-testid="stat-denials">{a.denials_total}</span>} hint="acquires refused: no seat free" />
          </div>
          <section className="card">
            <h2>Seats in use</h2>
            <LineChart testId="chart-seats" title="Seats in use over time" bucket={a.bucket} times={times} partial={partial} seats={seats || undefined} series={[
              { name: 'Peak', values: drawnSeatValues(points, 'peak'), className: 'series-1' },
              { name: 'Average', values: drawnSeatValues(points, 'avg'), className: 'series-2', dashed: true },
            ]} />
          </section>
          <section className="card">
            <h2>Denials</h2>
            <BarChart testId="chart-denials" title="Denials over time" name="Denials" bucket={a.bucket} times={times} partial={partial} values={points.map((p) => p.denials)} />
          </section>
        </>
      )}
      <DenialsTable tenantId={tenantId} licenseId={licenseId || undefined} refreshKey={stamp} />
      {!licenseId && (
        <div className="grid-2">
          <section className="card">
            <h2>Peak seats per license</h2>
            {ranking ? <RankBars unit="seats" items={[...ranking].sort((x, y) => y.a.peak - x.a.peak).map((r) => ({ label: name(r.license), value: r.a.peak, hint: `of ${r.license.seats_total}${r.license.seats_total > 0 ? ` (${percentOfSeats(r.a.peak, r.license.seats_total)}%)` : ''}` }))} /> : <Spinner />}
          </section>
          <section className="card">
            <h2>Denials per license</h2>
            {ranking ? <RankBars unit="denials" items={[...ranking].filter((r) => r.a.denials_total > 0).sort((x, y) => y.a.denials_total - x.a.denials_total).map((r) => ({ label: name(r.license), value: r.a.denials_total }))} /> : <Spinner />}
            {list.data && list.data.items.length > COMPARE_LIMIT && <p className="small muted">The {COMPARE_LIMIT} licenses with the most seats in use.</p>}
          </section>
        </div>
      )}
    </div>
  );
}
