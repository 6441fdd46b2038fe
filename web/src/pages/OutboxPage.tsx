// Staff: the mail outbox, newest first: what is queued, sent or failed (with attempts and the
// last error), filtered by state, and a Retry for a mail refused for good. Bodies are never
// shown: a queued body holds a one-time link.
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { outbox as outboxApi } from '../api/endpoints';
import type { MailState, OutboxMail, OutboxPage as OutboxPageData } from '../api/types';
import { Badge, CursorPager, ErrorNotice, Notice, PageHeader, Spinner } from '../components/ui';
import { formatDateTime, relativeTime } from '../lib/format';
import { useCursorPages } from '../lib/hooks';

const STATES: MailState[] = ['queued', 'sent', 'failed'];
const TONE: Record<MailState, 'info' | 'ok' | 'bad'> = { queued: 'info', sent: 'ok', failed: 'bad' };

/** Reads the `?state=` filter; anything else is no filter. */
export function parseMailState(v: string | null): MailState | undefined {
  return STATES.find((s) => s === v);
}

/** The outbox page (route `/outbox`, staff only). */
export function OutboxPage() {
  const [params, setParams] = useSearchParams();
  const state = parseMailState(params.get('state'));
  const pages = useCursorPages<OutboxMail>((cursor) => outboxApi.list(state, cursor), [state]);
  const data = pages.data as OutboxPageData | undefined;
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const retry = async (m: OutboxMail) => {
    setError(null);
    setNotice(null);
    try {
      await outboxApi.retry(m.id);
      setNotice(data?.mail_configured === false
        ? `The mail to ${m.recipient} is queued again, but not sent: no mail server is configured.`
        : `The mail to ${m.recipient} is queued again and is tried at once.`);
      pages.reload();
    } catch (e) { setError(e); }
  };

  return (
    <div>
      <PageHeader title="Mail outbox" subtitle="Every mail this server queued, newest first. Bodies are never shown: they hold one-time links."
        actions={<button type="button" className="btn btn-ghost" onClick={pages.reload}>Refresh</button>} />
      {data && (
        <div className="toolbar card" data-testid="outbox-totals">
          <span>Queued <strong>{data.totals.queued}</strong></span>
          <span>Sent <strong>{data.totals.sent}</strong></span>
          <span>Failed <strong>{data.totals.failed}</strong></span>
          <select aria-label="Mail state" value={state ?? ''} onChange={(e) => setParams(e.target.value ? { state: e.target.value } : {}, { replace: true })}>
            <option value="">Any state</option>
            {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </div>
      )}
      {notice && <Notice>{notice}</Notice>}
      <ErrorNotice error={error ?? pages.error} />
      {pages.loading && !pages.data ? <Spinner /> : (
        <div className="table-wrap card">
          <table className="table table-cards" data-testid="outbox-table">
            <thead><tr><th>Recipient</th><th>Subject</th><th className="hide-sm">Kind</th><th>State</th><th>Attempts</th><th>Last error</th><th className="hide-sm">Queued</th><th /></tr></thead>
            <tbody>
              {pages.data?.items.map((m) => (
                <tr key={m.id} data-state={m.state}>
                  <td className="card-title">{m.recipient}</td>
                  <td data-label="Subject">{m.subject}</td>
                  <td className="hide-sm" data-label="Kind"><code className="small">{m.kind}</code></td>
                  <td data-label="State"><Badge tone={TONE[m.state]}>{m.state}</Badge>
                    {m.state === 'queued' && m.next_attempt_at && <div className="muted small">next try {relativeTime(m.next_attempt_at)}</div>}
                    {m.state === 'sent' && <div className="muted small">{relativeTime(m.sent_at)}</div>}
                  </td>
                  <td data-label="Attempts">{m.attempts}</td>
                  <td data-label="Last error" className="small">{m.last_error ?? <span className="muted">—</span>}</td>
                  <td className="hide-sm nowrap" data-label="Queued" title={m.created_at}>{formatDateTime(m.created_at)}</td>
                  <td className="row-actions">{m.state === 'failed' && <button type="button" className="btn btn-small" onClick={() => void retry(m)}>Retry</button>}</td>
                </tr>
              ))}
              {pages.data?.items.length === 0 && <tr><td colSpan={8} className="empty">{state ? `No ${state} mail.` : 'No mail queued yet.'}</td></tr>}
            </tbody>
          </table>
          <CursorPager pageNo={pages.pageNo} hasNewer={pages.hasNewer} hasOlder={pages.hasOlder} onNewer={pages.newer} onOlder={pages.older} />
        </div>
      )}
    </div>
  );
}
