// Outgoing webhooks of a tenant (or, for staff, the staff-wide ones that receive every
// tenant's events): register an endpoint and copy its secret (shown once), turn it off
// and on, change or remove it, and read its delivery log with each attempt's outcome,
// sending a delivery again when the receiver lost it.
import { useState } from 'react';
import { useParams } from 'react-router';
import { webhooks as hooksApi } from '../api/endpoints';
import type { CreatedWebhook, WebhookDelivery, WebhookEndpoint } from '../api/types';
import { WebhookForm } from '../components/WebhookForm';
import { Badge, ConfirmButton, CopyButton, CursorPager, ErrorNotice, Notice, PageHeader, Spinner } from '../components/ui';
import { formatDateTime, relativeTime } from '../lib/format';
import { useAsync, useCursorPages } from '../lib/hooks';

/** The Webhooks page: `/t/:tenantId/webhooks`, or `/webhooks` for staff-wide endpoints. */
export function WebhooksPage() {
  const { tenantId } = useParams();
  const scope = tenantId ?? null;
  const [stamp, setStamp] = useState(0);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedWebhook | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const list = useAsync(() => hooksApi.list(scope), [scope, stamp]);
  const reload = () => setStamp((s) => s + 1);
  const act = async (f: () => Promise<unknown>) => {
    setError(null);
    try { await f(); reload(); } catch (e) { setError(e); }
  };
  const items = list.data?.items ?? [];

  return (
    <div>
      <PageHeader title={scope ? 'Webhooks' : 'Staff webhooks'}
        subtitle={scope ? 'Tell your own systems the moment a license changes or a seat is refused.' : 'Endpoints that receive the events of every tenant.'}
        actions={<>
          <button type="button" className="btn btn-ghost" onClick={reload}>Refresh</button>
          <button type="button" className="btn btn-primary" onClick={() => { setCreating(true); setCreated(null); }}>New endpoint</button>
        </>} />
      {creating && (
        <section className="card">
          <h2>New endpoint</h2>
          <WebhookForm submitLabel="Register endpoint" onCancel={() => setCreating(false)} onSubmit={async (body) => {
            const c = await hooksApi.create(scope, body);
            setCreating(false);
            setCreated(c);
            setOpen(c.id);
            reload();
          }} />
        </section>
      )}
      {created && (
        <Notice kind="warn">
          <div data-testid="webhook-secret">
            <strong>Signing secret of {created.url}</strong> — copy it now: it is shown only this once.
            <div className="secret-row"><code className="secret">{created.secret}</code> <CopyButton text={created.secret} /></div>
            <span className="small">Verify each delivery's <code>coditect-signature</code> header with it, as you would Stripe's.</span>
          </div>
        </Notice>
      )}
      <ErrorNotice error={list.error ?? error} />
      {list.loading && !list.data ? <Spinner /> : (
        <div className="table-wrap card">
          <table className="table table-cards" data-testid="webhooks-table">
            <thead><tr><th>Endpoint</th><th>Events</th><th>State</th><th className="hide-sm">Registered</th><th /></tr></thead>
            <tbody>
              {items.map((h) => (
                <tr key={h.id} data-webhook-id={h.id} className={open === h.id ? 'selected' : undefined}>
                  <td className="card-title"><code className="small">{h.url}</code>{h.description && <div className="small muted">{h.description}</div>}</td>
                  <td data-label="Events">{h.events.map((e) => <code key={e} className="chip small">{e}</code>)}</td>
                  <td data-label="State">{h.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="muted">disabled</Badge>}</td>
                  <td className="hide-sm" data-label="Registered" title={h.created_at}>{relativeTime(h.created_at)}</td>
                  <td className="actions nowrap row-actions">
                    <button type="button" className="btn btn-small" onClick={() => setOpen(open === h.id ? null : h.id)}>{open === h.id ? 'Hide deliveries' : 'Deliveries'}</button>
                    <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(editing === h.id ? null : h.id)}>Edit</button>
                    <button type="button" className="btn btn-small btn-ghost" onClick={() => act(() => hooksApi.update(scope, h.id, { enabled: !h.enabled }))}>
                      {h.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <ConfirmButton className="btn btn-small btn-ghost" confirmLabel="Delete endpoint" onConfirm={() => act(async () => {
                      await hooksApi.remove(scope, h.id);
                      if (open === h.id) setOpen(null);
                    })}>Delete</ConfirmButton>
                  </td>
                </tr>
              ))}
              {items.length === 0 && <tr><td colSpan={5} className="empty">No endpoint yet: register one to receive events.</td></tr>}
            </tbody>
          </table>
        </div>
      )}
      {editing && items.find((h) => h.id === editing) && (
        <section className="card">
          <h2>Change endpoint</h2>
          <WebhookForm key={editing} initial={items.find((h) => h.id === editing)} submitLabel="Save endpoint" onCancel={() => setEditing(null)}
            onSubmit={async (body) => { await hooksApi.update(scope, editing, body); setEditing(null); reload(); }} />
        </section>
      )}
      {open && items.find((h) => h.id === open) && <DeliveryLog scope={scope} hook={items.find((h) => h.id === open)!} />}
    </div>
  );
}

const STATUS_TONE = { pending: 'info', delivered: 'ok', failed: 'bad' } as const;

function DeliveryLog({ scope, hook }: { scope: string | null; hook: WebhookEndpoint }) {
  const [stamp, setStamp] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const pages = useCursorPages((cursor) => hooksApi.deliveries(scope, hook.id, cursor), [scope, hook.id, stamp]);
  const redeliver = async (d: WebhookDelivery) => {
    setError(null);
    try { await hooksApi.redeliver(scope, hook.id, d.id); setStamp((s) => s + 1); } catch (e) { setError(e); }
  };
  const items = pages.data?.items ?? [];
  return (
    <section className="card">
      <div className="card-head">
        <h2>Deliveries to <code className="small">{hook.url}</code></h2>
        <button type="button" className="btn btn-ghost btn-small" onClick={() => setStamp((s) => s + 1)}>Refresh</button>
      </div>
      <ErrorNotice error={pages.error ?? error} />
      <div className="table-wrap">
        <table className="table table-cards" data-testid="deliveries-table">
          <thead><tr><th>Event</th><th>Status</th><th className="num">Attempts</th><th className="hide-sm">Last answer</th><th className="hide-sm">Next attempt</th><th>Made</th><th /></tr></thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id} data-delivery-id={d.id} data-status={d.status}>
                <td className="card-title"><code className="small">{d.event}</code></td>
                <td data-label="Status"><Badge tone={STATUS_TONE[d.status]}>{d.status}</Badge></td>
                <td className="num" data-label="Attempts">{d.attempts}</td>
                <td className="hide-sm small" data-label="Last answer">{d.last_status_code ?? (d.last_error ? '' : <span className="muted">—</span>)}{d.last_error && <span className="muted"> {d.last_error}</span>}</td>
                <td className="hide-sm small" data-label="Next attempt">{d.next_attempt_at ? formatDateTime(d.next_attempt_at) : <span className="muted">—</span>}</td>
                <td className="small" data-label="Made" title={d.created_at}>{relativeTime(d.created_at)}</td>
                <td className="row-actions"><button type="button" className="btn btn-small" onClick={() => redeliver(d)}>Redeliver</button></td>
              </tr>
            ))}
            {items.length === 0 && <tr><td colSpan={7} className="empty">No delivery yet: events the endpoint receives appear here within a second.</td></tr>}
          </tbody>
        </table>
      </div>
      <CursorPager pageNo={pages.pageNo} hasNewer={pages.hasNewer} hasOlder={pages.hasOlder} onNewer={pages.newer} onOlder={pages.older} />
    </section>
  );
}
