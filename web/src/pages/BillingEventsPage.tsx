// Staff: the Stripe events the server stored, newest first, with what each did (applied,
// ignored and why, or still pending) and links to the licenses it touched. The type and
// status filters live in the URL and go to the server.
import { Link, useSearchParams } from 'react-router';
import { billing as billingApi } from '../api/endpoints';
import type { BillingEvent } from '../api/types';
import { EventStatusBadge } from '../components/BillingBadges';
import { CursorPager, ErrorNotice, PageHeader, Spinner } from '../components/ui';
import { BILLING_EVENT_TYPES, eventFiltersToParams, parseEventFilters, type EventFilters } from '../lib/billing';
import { formatDateTime, relativeTime } from '../lib/format';
import { useCursorPages } from '../lib/hooks';

/** How many events one page of the list shows. */
export const EVENTS_PAGE_SIZE = 50;

/** The billing events page (route `/billing/events`, staff only). */
export function BillingEventsPage() {
  const [params, setParams] = useSearchParams();
  const filters = parseEventFilters(params);
  const update = (patch: Partial<EventFilters>) => setParams(eventFiltersToParams({ ...filters, ...patch }), { replace: true });
  const pages = useCursorPages((cursor) => billingApi.events(filters, cursor, EVENTS_PAGE_SIZE), [filters.type, filters.status]);
  const types = BILLING_EVENT_TYPES.includes(filters.type) || !filters.type ? BILLING_EVENT_TYPES : [...BILLING_EVENT_TYPES, filters.type];

  return (
    <div>
      <PageHeader title="Billing events" subtitle="Stripe webhook events as the server stored them, newest first."
        actions={<button type="button" className="btn btn-ghost" onClick={pages.reload}>Refresh</button>} />
      <div className="toolbar card">
        <select aria-label="Event type" value={filters.type} onChange={(e) => update({ type: e.target.value })}>
          <option value="">Any type</option>
          {types.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
        <select aria-label="Event status" value={filters.status} onChange={(e) => update({ status: e.target.value as EventFilters['status'] })}>
          <option value="">Any status</option>
          <option value="applied">Applied</option>
          <option value="ignored">Ignored</option>
          <option value="pending">Pending</option>
        </select>
      </div>
      <ErrorNotice error={pages.error} />
      {pages.loading && !pages.data ? <Spinner /> : (
        <div className="table-wrap card">
          <EventsTable items={pages.data?.items ?? []} filtered={Boolean(filters.type || filters.status)} />
          <CursorPager pageNo={pages.pageNo} hasNewer={pages.hasNewer} hasOlder={pages.hasOlder} onNewer={pages.newer} onOlder={pages.older} />
        </div>
      )}
    </div>
  );
}

function EventsTable({ items, filtered }: { items: BillingEvent[]; filtered: boolean }) {
  return (
    <table className="table" data-testid="billing-events-table">
      <thead>
        <tr><th className="hide-sm">Event</th><th>Type</th><th className="hide-sm">Created</th><th className="hide-sm">Received</th><th>Status</th><th>Reason</th><th>Licenses</th></tr>
      </thead>
      <tbody>
        {items.map((e) => (
          <tr key={e.id} data-event-id={e.id} data-status={e.status}>
            <td className="hide-sm"><code className="small">{e.id}</code></td>
            <td><code className="small">{e.type}</code></td>
            <td className="hide-sm nowrap" title={e.created}>{formatDateTime(e.created)}</td>
            <td className="hide-sm" title={e.received_at}>{relativeTime(e.received_at)}</td>
            <td><EventStatusBadge status={e.status} /></td>
            <td className="small">{e.reason ?? <span className="muted">—</span>}</td>
            <td><LicenseLinks ids={e.license_ids} tenantId={e.tenant_id ?? null} /></td>
          </tr>
        ))}
        {items.length === 0 && <tr><td colSpan={7} className="empty">{filtered ? 'No event matches these filters.' : 'No Stripe event received yet.'}</td></tr>}
      </tbody>
    </table>
  );
}

function LicenseLinks({ ids, tenantId }: { ids: string[]; tenantId: string | null }) {
  if (ids.length === 0) return <span className="muted">—</span>;
  return (
    <>
      {ids.map((id) => tenantId
        ? <Link key={id} className="chip nowrap" to={`/t/${tenantId}/licenses/${id}`} title={id}>…{id.slice(-8)}</Link>
        : <code key={id} className="chip small nowrap" title={id}>…{id.slice(-8)}</code>)}
    </>
  );
}
