// Licenses of a tenant: search, filters, sort, pagination, bulk suspend/resume, CSV export,
// and a billing badge per license (trial, past due, cancelling, canceled).
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { licenses as licensesApi, products as productsApi, tenants as tenantsApi } from '../api/endpoints';
import { tenantAccess, useAuth } from '../auth/AuthContext';
import { BillingBadge } from '../components/BillingBadges';
import { LicenseForm } from '../components/LicenseForm';
import { useConfirm } from '../components/ConfirmDialog';
import { ErrorNotice, LicenseStatusBadge, Notice, PageHeader, Pager, Spinner } from '../components/ui';
import { downloadText, licensesCsv } from '../lib/csv';
import { formatDate, licenseStatus, relativeTime } from '../lib/format';
import { useAsync, useDebounced } from '../lib/hooks';
import {
  clientFilter, filtersToParams, PAGE_SIZES, paginate, parseFilters, searchMatch, serverQuery, sortLicenses,
  type LicenseFilters, type SortKey,
} from '../lib/licenseFilters';

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'status', label: 'Status' },
  { key: 'seats_used', label: 'Seats' },
  { key: 'expires_at', label: 'Expires' },
  { key: 'created_at', label: 'Created' },
];

export function LicensesPage() {
  const { tenantId = '' } = useParams();
  const { user } = useAuth();
  const { canWrite } = tenantAccess(user, tenantId);
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const filters = parseFilters(params);
  const [search, setSearch] = useState(filters.q);
  const debouncedQ = useDebounced(search, 300);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);

  const update = (patch: Partial<LicenseFilters>) => {
    const next = { ...filters, ...patch };
    if (!('page' in patch)) next.page = 1;
    setParams(filtersToParams(next), { replace: true });
  };
  useEffect(() => {
    if (debouncedQ !== filters.q) update({ q: debouncedQ });
  }, [debouncedQ]); // eslint-disable-line react-hooks/exhaustive-deps

  const query = serverQuery(filters);
  const { data, error, loading, reload } = useAsync(
    () => licensesApi.listAll(tenantId, query),
    [tenantId, query.q, query.state, filters.expiry, query.product_id, query.subscription_id, query.archived],
  );
  // Products for the filter; a role that may not list them simply gets no product filter.
  const productList = useAsync(() => productsApi.listAll(), []);
  // The export is named after the tenant's slug, like the server's CSV: from the signed-in
  // person's membership, or (staff) from the tenant itself.
  const memberSlug = user?.memberships.find((m) => m.tenant_id === tenantId)?.tenant_slug;
  const tenant = useAsync(() => (memberSlug ? Promise.resolve(null) : tenantsApi.get(tenantId)), [tenantId, memberSlug]);
  const tenantSlug = memberSlug ?? tenant.data?.slug;
  const productChoices = productList.data?.items ?? [];

  const view = useMemo(() => {
    const now = Date.now();
    const filtered = clientFilter(data?.items ?? [], filters, now);
    const sorted = sortLicenses(filtered, filters.sort, filters.dir, now);
    return { filtered: sorted, ...paginate(sorted, filters.page, filters.pageSize) };
  }, [data, filters.q, filters.status, filters.expiry, filters.sort, filters.dir, filters.page, filters.pageSize, filters.product, filters.subscription, filters.archived]); // eslint-disable-line react-hooks/exhaustive-deps

  const pageIds = view.items.map((l) => l.id);
  const allOnPage = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const toggle = (id: string) => setSelected((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const togglePage = () => setSelected((s) => {
    const n = new Set(s);
    if (allOnPage) pageIds.forEach((id) => n.delete(id)); else pageIds.forEach((id) => n.add(id));
    return n;
  });

  const [confirmDialog, confirm] = useConfirm();
  const bulk = async (active: boolean) => {
    const ids = [...selected];
    if (!active && !(await confirm({ title: `Suspend ${ids.length} license${ids.length === 1 ? '' : 's'}?`, body: 'Their clients are refused new seats and heartbeats until you resume them.', confirmLabel: `Suspend ${ids.length}`, danger: true }))) return;
    setActionError(null);
    try {
      let updated = 0;
      for (let i = 0; i < ids.length; i += 500) updated += (await licensesApi.bulkSetActive(tenantId, ids.slice(i, i + 500), active)).updated;
      setNotice(`${active ? 'Resumed' : 'Suspended'} ${updated} license${updated === 1 ? '' : 's'}${updated < ids.length ? ` (${ids.length - updated} already ${active ? 'active' : 'suspended'})` : ''}.`);
      setSelected(new Set());
      reload();
    } catch (e) {
      setActionError(e);
    }
  };

  const sortBy = (key: SortKey) => update({ sort: key, dir: filters.sort === key && filters.dir === 'asc' ? 'desc' : filters.sort === key ? 'asc' : key === 'name' ? 'asc' : 'desc' });

  return (
    <div>
      <PageHeader title="Licenses" subtitle={data ? `${view.filtered.length} shown of ${data.items.length} matching the server filters${data.truncated ? ' (first 10 000 only; narrow the search)' : ''}` : undefined}
        actions={<>
          <a className="btn" href={licensesApi.csvUrl(tenantId)} download>Export CSV (all)</a>
          <button type="button" className="btn" disabled={!view.filtered.length} onClick={() => downloadText(`licenses-${tenantSlug ?? tenantId}-view.csv`, licensesCsv(view.filtered))}>Export view</button>
          {canWrite && <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>New license</button>}
        </>} />

      {creating && (
        <section className="card">
          <h2>New license</h2>
          <LicenseForm submitLabel="Create license" onCancel={() => setCreating(false)} onSubmit={async (body) => {
            const l = await licensesApi.create(tenantId, body);
            setCreating(false);
            navigate(`/t/${tenantId}/licenses/${l.id}`);
          }} />
        </section>
      )}

      <div className="toolbar card">
        <input type="search" aria-label="Search licenses" placeholder="Name, full key, hardware id, e-mail or metadata…" value={search} onChange={(e) => setSearch(e.target.value)} />
        <select aria-label="Status" value={filters.status} onChange={(e) => update({ status: e.target.value as LicenseFilters['status'] })}>
          <option value="">Any status</option>
          <option value="valid">Valid</option>
          <option value="suspended">Suspended</option>
          <option value="expired">Expired</option>
        </select>
        <select aria-label="Expiry" value={filters.expiry} onChange={(e) => update({ expiry: e.target.value as LicenseFilters['expiry'] })}>
          <option value="">Any expiry</option>
          <option value="7d">Expires within 7 days</option>
          <option value="30d">Expires within 30 days</option>
          <option value="90d">Expires within 90 days</option>
          <option value="never">Never expires</option>
        </select>
        {productChoices.length > 0 && (
          <select aria-label="Product" value={filters.product} onChange={(e) => update({ product: e.target.value })}>
            <option value="">Any product</option>
            {productChoices.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        )}
        {filters.subscription && (
          <span className="chip" data-testid="subscription-filter">subscription <code>{filters.subscription}</code>{' '}
            <button type="button" className="btn btn-ghost btn-small" aria-label="Clear subscription filter" onClick={() => update({ subscription: '' })}>✕</button>
          </span>
        )}
        <select aria-label="Archived" value={filters.archived} onChange={(e) => update({ archived: e.target.value as LicenseFilters['archived'] })}>
          <option value="">In use</option>
          <option value="include">In use and archived</option>
          <option value="only">Archived only</option>
        </select>
        <select aria-label="Rows per page" value={filters.pageSize} onChange={(e) => update({ pageSize: Number(e.target.value) })}>
          {PAGE_SIZES.map((n) => <option key={n} value={n}>{n} per page</option>)}
        </select>
        <button type="button" className="btn btn-ghost" onClick={reload}>Refresh</button>
      </div>

      {notice && <Notice>{notice}</Notice>}
      <ErrorNotice error={actionError} />
      {canWrite && selected.size > 0 && (
        <div className="bulkbar" role="region" aria-label="Bulk actions">
          <strong>{selected.size} selected</strong>
          <button type="button" className="btn btn-small" onClick={() => bulk(false)}>Suspend</button>
          <button type="button" className="btn btn-small" onClick={() => bulk(true)}>Resume</button>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setSelected(new Set())}>Clear selection</button>
          {confirmDialog}
        </div>
      )}

      <ErrorNotice error={error} />
      {loading && !data ? <Spinner /> : (
        <div className="table-wrap card">
          <table className="table table-cards" data-testid="licenses-table">
            <thead className="card-controls">
              <tr>
                {canWrite && <th className="col-check"><input type="checkbox" aria-label="Select page" checked={allOnPage} onChange={togglePage} /></th>}
                {COLUMNS.map((c) => (
                  <th key={c.key} aria-sort={filters.sort === c.key ? (filters.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                    <button type="button" className="sort" onClick={() => sortBy(c.key)}>
                      {c.label}{filters.sort === c.key ? (filters.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                    </button>
                  </th>
                ))}
                <th className="hide-sm">Key</th>
              </tr>
            </thead>
            <tbody>
              {view.items.map((l) => {
                const status = licenseStatus(l);
                return (
                  <tr key={l.id} className={selected.has(l.id) ? 'selected' : undefined}>
                    {canWrite && <td className="col-check"><input type="checkbox" aria-label={`Select ${l.name ?? l.key_hint}`} checked={selected.has(l.id)} onChange={() => toggle(l.id)} /></td>}
                    <td className="card-title"><Link to={`/t/${tenantId}/licenses/${l.id}`}>{l.name ?? <span className="muted">(unnamed)</span>}</Link>
                      {searchMatch(l, filters.q) && <div className="muted small" data-testid="search-match">matched by {searchMatch(l, filters.q)}</div>}</td>
                    <td data-label="Status"><LicenseStatusBadge status={status} /> <BillingBadge license={l} />{l.archived_at && <> <span className="badge badge-muted" title={`Archived ${l.archived_at}`}>archived</span></>}</td>
                    <td data-label="Seats"><SeatsCell used={l.seats_used} total={l.seats_total} /></td>
                    <td data-label="Expires" title={l.expires_at ?? undefined}>{l.expires_at ? <>{formatDate(l.expires_at)} <span className="muted small">{relativeTime(l.expires_at)}</span></> : <span className="muted">never</span>}</td>
                    <td data-label="Created">{formatDate(l.created_at)}</td>
                    <td className="hide-sm" data-label="Key"><code>…{l.key_hint}</code></td>
                  </tr>
                );
              })}
              {view.items.length === 0 && (
                <tr><td colSpan={canWrite ? 7 : 6} className="empty">{data?.items.length || filters.q || filters.status || filters.expiry || filters.product || filters.subscription || filters.archived ? 'No license matches these filters.' : 'No licenses yet.'}</td></tr>
              )}
            </tbody>
          </table>
          <Pager page={view.page} pages={view.pages} onPage={(p) => update({ page: p })} />
        </div>
      )}
    </div>
  );
}

function SeatsCell({ used, total }: { used: number; total: number }) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 100;
  const tone = used >= total ? 'bad' : pct >= 80 ? 'warn' : 'ok';
  return (
    <span className="seats-cell" title={`${used} of ${total} seats in use`}>
      <span className="meter"><span className={`meter-fill meter-${tone}`} style={{ width: `${pct}%` }} /></span>
      <span>{used}/{total}</span>
    </span>
  );
}
