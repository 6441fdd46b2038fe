// Seat use and denials over time, for the whole tenant or one license, plus a ranking of
// the tenant's licenses by peak use and denials.
import { useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { analytics as analyticsApi, licenses as licensesApi } from '../api/endpoints';
import type { Analytics, License } from '../api/types';
import { BarChart, LineChart, RankBars } from '../components/Charts';
import { ErrorNotice, PageHeader, Spinner, Stat } from '../components/ui';
import { fillSeries, RANGE_PRESETS, rangeQuery } from '../lib/chart';
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
  const [stamp, setStamp] = useState(0);
  const set = (k: string, v: string) => { const p = new URLSearchParams(params); if (v) p.set(k, v); else p.delete(k); setParams(p, { replace: true }); };

  const list = useAsync(() => licensesApi.listAll(tenantId), [tenantId]);
  const data = useAsync(() => analyticsApi.tenant(tenantId, { license_id: licenseId || undefined, ...rangeQuery(range) }), [tenantId, licenseId, range, stamp]);
  const [ranking, setRanking] = useState<{ license: License; a: Analytics }[] | null>(null);
  useEffect(() => {
    setRanking(null);
    const all = list.data?.items;
    if (!all) return;
    let live = true;
    const busiest = [...all].sort((a, b) => b.seats_used - a.seats_used || b.seats_total - a.seats_total).slice(0, COMPARE_LIMIT);
    const q = rangeQuery(range);
    mapLimited(busiest, 4, async (license) => ({ license, a: await analyticsApi.tenant(tenantId, { license_id: license.id, ...q }) }))
      .then((r) => { if (live) setRanking(r); }, () => { if (live) setRanking([]); });
    return () => { live = false; };
  }, [list.data, range, tenantId, stamp]);

  const a = data.data;
  const points = a ? fillSeries(a) : [];
  const times = points.map((p) => p.t);
  const selected = list.data?.items.find((l) => l.id === licenseId);
  const name = (l: License) => l.name ?? `…${l.key_hint}`;

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
          <button type="button" className="btn btn-ghost" onClick={() => setStamp((s) => s + 1)}>Refresh</button>
        </>} />
      <ErrorNotice error={data.error} />
      {!a ? (data.loading && <Spinner />) : (
        <>
          <div className="stats card" data-testid="analytics-stats">
            <Stat label="Peak seats" value={<span data-testid="stat-peak">{formatNumber(a.peak)}</span>} hint="highest in-use count" />
            <Stat label="Average seats" value={<span data-testid="stat-average">{formatNumber(a.average, 2)}</span>} hint="mean over the range" />
            <Stat label="Denials" value={<span data-testid="stat-denials">{a.denials_total}</span>} hint="acquires refused: no seat free" />
          </div>
          <section className="card">
            <h2>Seats in use</h2>
            <LineChart testId="chart-seats" title="Seats in use over time" bucket={a.bucket} times={times} series={[
              { name: 'Peak', values: points.map((p) => p.peak), className: 'series-1' },
              { name: 'Average', values: points.map((p) => p.avg), className: 'series-2', dashed: true },
            ]} />
          </section>
          <section className="card">
            <h2>Denials</h2>
            <BarChart testId="chart-denials" title="Denials over time" name="Denials" bucket={a.bucket} times={times} values={points.map((p) => p.denials)} />
          </section>
        </>
      )}
      {!licenseId && (
        <div className="grid-2">
          <section className="card">
            <h2>Peak seats per license</h2>
            {ranking ? <RankBars unit="seats" items={[...ranking].sort((x, y) => y.a.peak - x.a.peak).map((r) => ({ label: name(r.license), value: r.a.peak, hint: `of ${r.license.seats_total}` }))} /> : <Spinner />}
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
