// Exact seat-hours of the tenant's licenses over a chosen range, from the sessions
// themselves: a chart per bucket, totals per license and per product, and the rows as CSV.
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { licenses as licensesApi, products as productsApi, usage as usageApi } from '../api/endpoints';
import type { License } from '../api/types';
import { BarChart } from '../components/Charts';
import { ErrorNotice, PageHeader, Spinner, Stat } from '../components/ui';
import { bucketNext, formatHours, rangeWindow, seriesByBucket, totalsBy, USAGE_RANGES, type UsageTotal } from '../lib/usage';
import { useAsync } from '../lib/hooks';

/** The Usage page (route `/t/:tenantId/usage`). */
export function UsagePage() {
  const { tenantId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const range = USAGE_RANGES.some((r) => r.id === params.get('range')) ? params.get('range')! : '24h';
  const licenseId = params.get('license') ?? '';
  const [stamp, setStamp] = useState(0);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const set = (k: string, v: string) => { const p = new URLSearchParams(params); if (v) p.set(k, v); else p.delete(k); setParams(p, { replace: true }); };
  // The window is fixed when the range is chosen (or refreshed), so the chart and the CSV agree.
  const windowQ = useAsync(async () => rangeWindow(range, Date.now()), [range, stamp]);
  const q = windowQ.data ? { ...windowQ.data, license_id: licenseId || undefined } : null;
  const report = useAsync(async () => (q ? usageApi.report(tenantId, q) : null), [tenantId, q?.from, q?.to, licenseId]);
  const list = useAsync(() => licensesApi.listAll(tenantId), [tenantId]);
  const products = useAsync(() => productsApi.listAll().catch(() => ({ items: [] })), []);

  const rows = report.data?.items ?? [];
  const byId = new Map((list.data?.items ?? []).map((l) => [l.id, l]));
  const productName = (id: string) => products.data?.items.find((p) => p.id === id)?.name ?? `…${id.slice(-8)}`;
  const name = (l: License | undefined, id: string) => (l ? l.name ?? `…${l.key_hint}` : `…${id.slice(-8)}`);
  const perLicense = totalsBy(rows, (r) => r.license_id);
  const perProduct = totalsBy(rows.filter((r) => r.product_id), (r) => r.product_id ?? '');
  const series = q ? seriesByBucket(rows, q.from, q.to, q.granularity) : { times: [], values: [] };
  const total = perLicense.reduce((s, t) => s + t.seat_hours, 0);
  // The newest bucket is still running when it ends after the window: its bar is "so far".
  const lastAt = series.times[series.times.length - 1];
  const partial = q && lastAt !== undefined && bucketNext(lastAt, q.granularity) > Date.parse(q.to) ? series.times.length - 1 : null;

  const download = async () => {
    if (!q) return;
    setDownloadError(null);
    try {
      const blob = await usageApi.csv(tenantId, q);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `usage-${q.from.slice(0, 10)}-${q.to.slice(0, 10)}.csv`;
      a.click();
      URL.revokeObjectURL(a.href);
    } catch (e) {
      setDownloadError(e);
    }
  };

  return (
    <div>
      <PageHeader title="Usage" subtitle="Seat-hours computed from every session's start and end: what metered billing charges."
        actions={<>
          <select aria-label="License" value={licenseId} onChange={(e) => set('license', e.target.value)}>
            <option value="">All licenses</option>
            {list.data?.items.map((l) => <option key={l.id} value={l.id}>{name(l, l.id)}</option>)}
          </select>
          <select aria-label="Time range" value={range} onChange={(e) => set('range', e.target.value)}>
            {USAGE_RANGES.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
          </select>
          <button type="button" className="btn btn-ghost" onClick={() => setStamp((s) => s + 1)}>Refresh</button>
          <button type="button" className="btn" onClick={download} disabled={!q}>Download CSV</button>
        </>} />
      <ErrorNotice error={report.error ?? downloadError} />
      {!report.data ? (report.loading && <Spinner />) : (
        <>
          <div className="stats card" data-testid="usage-stats">
            <Stat label="Seat-hours" value={<span data-testid="stat-seat-hours">{formatHours(total)}</span>} hint="in the range" />
            <Stat label="Peak seats" value={<span data-testid="stat-peak">{Math.max(0, ...perLicense.map((t) => t.peak_seats))}</span>} hint="most held at once by one license" />
            <Stat label="Denials" value={<span data-testid="stat-denials">{perLicense.reduce((s, t) => s + t.denials, 0)}</span>} hint="acquires refused" />
          </div>
          <section className="card">
            <h2>Seat-hours per {q?.granularity}</h2>
            <BarChart testId="chart-seat-hours" title="Seat-hours over time" name="Seat-hours" bucket={q?.granularity === 'hour' ? 'hour' : 'day'}
              times={series.times} values={series.values} partial={partial} />
          </section>
          <div className="grid-2">
            <section className="card">
              <h2>Per license</h2>
              <TotalsTable testId="usage-licenses" items={perLicense} first="License"
                label={(t) => <Link to={`/t/${tenantId}/licenses/${t.key}`}>{name(byId.get(t.key), t.key)}</Link>} />
            </section>
            <section className="card">
              <h2>Per product</h2>
              {perProduct.length === 0 ? <p className="muted">No license made from a product was used in this range.</p> : (
                <TotalsTable testId="usage-products" items={perProduct} first="Product" label={(t) => productName(t.key)} />
              )}
            </section>
          </div>
        </>
      )}
    </div>
  );
}

function TotalsTable({ items, first, label, testId }: { items: UsageTotal[]; first: string; label: (t: UsageTotal) => React.ReactNode; testId: string }) {
  return (
    <div className="table-wrap">
      <table className="table table-cards" data-testid={testId}>
        <thead><tr><th>{first}</th><th className="num">Seat-hours</th><th className="num">Peak seats</th><th className="num hide-sm">Denials</th></tr></thead>
        <tbody>
          {items.map((t) => (
            <tr key={t.key} data-key={t.key}>
              <td className="card-title">{label(t)}</td>
              <td className="num" data-label="Seat-hours" data-testid="seat-hours">{formatHours(t.seat_hours)}</td>
              <td className="num" data-label="Peak seats">{t.peak_seats}</td>
              <td className="num hide-sm" data-label="Denials">{t.denials}</td>
            </tr>
          ))}
          {items.length === 0 && <tr><td colSpan={4} className="empty">No seat was held in this range.</td></tr>}
        </tbody>
      </table>
    </div>
  );
}
