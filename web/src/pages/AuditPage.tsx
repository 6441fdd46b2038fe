// The tenant's audit log, newest first, each entry opening to a before/after diff.
import { useEffect, useState } from 'react';
import { useParams } from 'react-router';
import { audit as auditApi } from '../api/endpoints';
import type { AuditEntry } from '../api/types';
import { DiffView } from '../components/DiffView';
import { ErrorNotice, PageHeader, Spinner } from '../components/ui';
import { diffRows, diffSummary } from '../lib/diff';
import { formatDateTime, relativeTime } from '../lib/format';

/** Who did it, in words. */
export function actorLabel(a: AuditEntry['actor']): string {
  if (a.type === 'system') return 'system';
  if (a.type === 'superadmin') return 'superadmin token';
  const who = a.name ?? a.id ?? '?';
  return a.type === 'token' ? `token "${who}"` : who;
}

export function AuditPage() {
  const { tenantId = '' } = useParams();
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [action, setAction] = useState('');

  const load = async (from: string | null, replace: boolean) => {
    setLoading(true);
    setError(null);
    try {
      const page = await auditApi.page(tenantId, from, 50);
      setEntries((old) => (replace ? page.items : [...old, ...page.items]));
      setCursor(page.next_cursor);
      setDone(page.next_cursor === null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { setOpen(new Set()); void load(null, true); }, [tenantId]); // eslint-disable-line react-hooks/exhaustive-deps

  const actions = [...new Set(entries.map((e) => e.action))].sort();
  const shown = action ? entries.filter((e) => e.action === action) : entries;
  const toggle = (id: string) => setOpen((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });

  return (
    <div>
      <PageHeader title="Audit log" subtitle="Every change to tenants, tokens, licenses, people and sessions, newest first."
        actions={<>
          <select aria-label="Action" value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="">All actions</option>
            {actions.map((a) => <option key={a} value={a}>{a}</option>)}
          </select>
          <button type="button" className="btn btn-ghost" onClick={() => load(null, true)}>Refresh</button>
        </>} />
      <ErrorNotice error={error} />
      <div className="card audit-list" data-testid="audit-list">
        {shown.map((e) => {
          const isOpen = open.has(e.id);
          return (
            <article key={e.id} className="audit-entry" data-action={e.action}>
              <button type="button" className="audit-head" aria-expanded={isOpen} onClick={() => toggle(e.id)}>
                <span className="audit-action"><code>{e.action}</code></span>
                <span className="audit-actor">{actorLabel(e.actor)}</span>
                <span className="muted small audit-summary">{diffSummary(diffRows(e.before, e.after))}</span>
                <span className="muted small audit-time" title={formatDateTime(e.at)}>{relativeTime(e.at)}</span>
              </button>
              {isOpen && (
                <div className="audit-body">
                  <p className="small muted">{formatDateTime(e.at)} · {e.resource} <code>{e.resource_id}</code> · actor {e.actor.type} {e.actor.id ? <code>{e.actor.id}</code> : null}</p>
                  <DiffView before={e.before} after={e.after} />
                </div>
              )}
            </article>
          );
        })}
        {!loading && shown.length === 0 && <p className="muted empty">No entries{action ? ' for this action among those loaded' : ''}.</p>}
        {loading && <Spinner />}
      </div>
      {!done && !loading && <button type="button" className="btn" onClick={() => load(cursor, false)}>Load older entries</button>}
    </div>
  );
}
