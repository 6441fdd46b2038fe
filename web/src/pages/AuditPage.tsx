// The tenant's audit log, newest first: each entry names the license or session it is about
// (with a link), opens to a before/after diff, and the log can be filtered by actor,
// resource, action and date range (by the server, before paging) and exported as CSV.
import { useEffect, useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { audit as auditApi, licenses as licensesApi } from '../api/endpoints';
import type { AuditEntry } from '../api/types';
import { DiffView } from '../components/DiffView';
import { ErrorNotice, PageHeader, Spinner } from '../components/ui';
import { AUDIT_ACTIONS, AUDIT_RESOURCES, auditFiltersFrom, auditQuery, auditRangeError, auditTarget, type AuditFilterValues } from '../lib/audit';
import { auditCsv, downloadText } from '../lib/csv';
import { diffRows, diffSummary } from '../lib/diff';
import { formatDateTime, relativeTime } from '../lib/format';
import { useAsync, useDebounced } from '../lib/hooks';

/** The most entries one CSV export gathers (page by page). */
const EXPORT_MAX = 10_000;

/** Who did it, in words. */
export function actorLabel(a: AuditEntry['actor']): string {
  if (a.type === 'system') return 'system';
  if (a.type === 'superadmin') return 'superadmin token';
  const who = a.name ?? a.id ?? '?';
  return a.type === 'token' ? `token "${who}"` : who;
}

export function AuditPage() {
  const { tenantId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const filters = auditFiltersFrom(params);
  const [actorText, setActorText] = useState(filters.actor);
  const actor = useDebounced(actorText, 300);
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [exporting, setExporting] = useState(false);
  const licenses = useAsync(() => licensesApi.listAll(tenantId).catch(() => ({ items: [] })), [tenantId]);
  const names = useMemo(() => new Map((licenses.data?.items ?? []).map((l) => [l.id, l.name ?? `…${l.key_hint}`])), [licenses.data]);
  const about = (e: AuditEntry) => auditTarget(e, tenantId, (id) => names.get(id));

  const set = (patch: Partial<AuditFilterValues>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) { if (v) p.set(k, v); else p.delete(k); }
    setParams(p, { replace: true });
  };
  useEffect(() => { if (actor !== filters.actor) set({ actor }); }, [actor]); // eslint-disable-line react-hooks/exhaustive-deps
  const rangeError = auditRangeError(filters);
  const query = auditQuery(filters);
  const queryKey = JSON.stringify(query);

  const load = async (from: string | null, replace: boolean) => {
    if (rangeError) { setEntries([]); setDone(true); setLoading(false); return; }
    setLoading(true);
    setError(null);
    try {
      const page = await auditApi.filtered(tenantId, query, from, 50);
      setEntries((old) => (replace ? page.items : [...old, ...page.items]));
      setCursor(page.next_cursor);
      setDone(page.next_cursor === null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { setOpen(new Set()); void load(null, true); }, [tenantId, queryKey, rangeError]); // eslint-disable-line react-hooks/exhaustive-deps

  const exportCsv = async () => {
    setExporting(true);
    setError(null);
    try {
      const all: AuditEntry[] = [];
      let next: string | null = null;
      do {
        const page = await auditApi.filtered(tenantId, query, next, 200);
        all.push(...page.items);
        next = page.next_cursor;
      } while (next && all.length < EXPORT_MAX);
      downloadText(`audit-${tenantId.slice(0, 8)}-${new Date().toISOString().slice(0, 10)}.csv`, auditCsv(all, about));
    } catch (e) {
      setError(e);
    } finally {
      setExporting(false);
    }
  };

  const toggle = (id: string) => setOpen((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const filtered = Boolean(filters.actor || filters.resource || filters.resource_id || filters.action || filters.from || filters.to);
  const onlyOne = filters.resource_id ? entries.find((e) => e.resource_id === filters.resource_id) : undefined;

  return (
    <div>
      <PageHeader title="Audit log" subtitle="Every change to tenants, tokens, licenses, people and sessions, newest first."
        actions={<>
          <button type="button" className="btn" disabled={exporting || entries.length === 0} onClick={exportCsv}>{exporting ? 'Exporting…' : 'Export CSV'}</button>
          <button type="button" className="btn btn-ghost" onClick={() => load(null, true)}>Refresh</button>
        </>} />
      <form className="card filters audit-filters" aria-label="Audit filters" onSubmit={(e) => e.preventDefault()}>
        <label>Actor<input type="search" aria-label="Actor" placeholder="e-mail or token name" value={actorText} onChange={(e) => setActorText(e.target.value)} /></label>
        <label>Resource<select aria-label="Resource" value={filters.resource} onChange={(e) => set({ resource: e.target.value })}>
          <option value="">All resources</option>
          {AUDIT_RESOURCES.map((r) => <option key={r} value={r}>{r}</option>)}
        </select></label>
        <label>Action<select aria-label="Action" value={filters.action} onChange={(e) => set({ action: e.target.value })}>
          <option value="">All actions</option>
          {AUDIT_ACTIONS.map((a) => <option key={a} value={a}>{a}</option>)}
        </select></label>
        <label>From<input type="date" aria-label="From" value={filters.from} onChange={(e) => set({ from: e.target.value })} /></label>
        <label>To<input type="date" aria-label="To" value={filters.to} onChange={(e) => set({ to: e.target.value })} /></label>
        {filtered && <button type="button" className="btn btn-ghost btn-small" onClick={() => { setActorText(''); setParams(new URLSearchParams(), { replace: true }); }}>Clear filters</button>}
      </form>
      {filters.resource_id && (
        <p className="small" data-testid="audit-only">Only entries about {onlyOne ? about(onlyOne).label : <code>{filters.resource_id}</code>} · <button type="button" className="btn btn-ghost btn-small" onClick={() => set({ resource_id: '' })}>Show all</button></p>
      )}
      {rangeError && <p className="field-error" role="alert">{rangeError}</p>}
      <ErrorNotice error={error} />
      <div className="card audit-list" data-testid="audit-list">
        {entries.map((e) => {
          const isOpen = open.has(e.id);
          const target = about(e);
          return (
            <article key={e.id} className="audit-entry" data-action={e.action}>
              <button type="button" className="audit-head" aria-expanded={isOpen} onClick={() => toggle(e.id)}>
                <span className="audit-action"><code>{e.action}</code></span>
                <span className="audit-actor">{actorLabel(e.actor)}</span>
                <span className="muted small audit-summary">{diffSummary(diffRows(e.before, e.after))}</span>
                <span className="muted small audit-time" title={formatDateTime(e.at)}>{relativeTime(e.at)}</span>
              </button>
              <div className="audit-about small" data-testid="audit-target">
                {target.href ? <Link to={target.href}>{target.label}</Link> : target.label}
                {e.resource_id && !filters.resource_id && <> · <Link to={{ search: `?resource_id=${encodeURIComponent(e.resource_id)}` }} onClick={() => setActorText('')}>its history</Link></>}
              </div>
              {isOpen && (
                <div className="audit-body">
                  <p className="small muted">{formatDateTime(e.at)} · {e.resource} <code>{e.resource_id}</code> · actor {e.actor.type} {e.actor.id ? <code>{e.actor.id}</code> : null}</p>
                  <DiffView before={e.before} after={e.after} />
                </div>
              )}
            </article>
          );
        })}
        {!loading && entries.length === 0 && <p className="muted empty">{filtered ? 'No entry matches these filters.' : 'No entries yet.'}</p>}
        {loading && <Spinner />}
      </div>
      {!done && !loading && <button type="button" className="btn" onClick={() => load(cursor, false)}>Load older entries</button>}
    </div>
  );
}
