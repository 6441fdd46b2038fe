// One license: its key, a seats gauge, live sessions (polled every 2 s, no reload needed),
// force release, edit, suspend/resume, and its seat use over the last 24 hours.
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/client';
import { analytics as analyticsApi, licenses as licensesApi } from '../api/endpoints';
import type { License, LicenseSession, SessionStatus } from '../api/types';
import { tenantAccess, useAuth } from '../auth/AuthContext';
import { LineChart } from '../components/Charts';
import { BillingBadge } from '../components/BillingBadges';
import { useCrumbLeaf } from '../components/Breadcrumbs';
import { LicenseBilling } from '../components/LicenseBilling';
import { LicenseForm } from '../components/LicenseForm';
import { SeatsGauge } from '../components/SeatsGauge';
import { useConfirm } from '../components/ConfirmDialog';
import { DenialsTable } from '../components/DenialsTable';
import { ConfirmButton, CopyButton, ErrorNotice, LicenseStatusBadge, Notice, PageHeader, Spinner, Stat } from '../components/ui';
import { drawnSeatValues, fillSeries, partialIndex, rangeQuery } from '../lib/chart';
import { liveness } from '../lib/liveness';
import { dayRangeQuery } from '../lib/audit';
import { formatDateTime, formatNumber, licenseStatus, relativeTime } from '../lib/format';
import { useAsync, usePoll } from '../lib/hooks';

/** How often the page asks for the license's live sessions. */
export const LIVE_POLL_MS = 2000;

export function LicenseDetailPage() {
  const { tenantId = '', licenseId = '' } = useParams();
  const { user } = useAuth();
  const { canWrite } = tenantAccess(user, tenantId);
  const [license, setLicense] = useState<License | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [live, setLive] = useState<LicenseSession[]>([]);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [showKey, setShowKey] = useState(false);
  // Session history shows every ended session by default (the live ones are in the table
  // above); the select narrows it to one status.
  const [history, setHistory] = useState<SessionStatus | 'all'>('all');
  const [keyDialog, confirmKey] = useConfirm();

  const notFound = loadError instanceof ApiError && loadError.status === 404;
  const poll = usePoll(async () => {
    try {
      const [l, s] = await Promise.all([
        licensesApi.get(tenantId, licenseId),
        licensesApi.sessions(tenantId, licenseId, 'active', null, 200),
      ]);
      setLicense(l);
      setLive(s.items);
      setLoadError(null);
    } catch (e) {
      setLoadError(e);
      throw e;
    }
  }, LIVE_POLL_MS, !notFound, [tenantId, licenseId]);

  // A clock for the live label: it must turn stale even while no answer comes back.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => { const id = setInterval(() => setNow(Date.now()), 1000); return () => clearInterval(id); }, []);
  const live_ = liveness(poll.lastOk, Math.max(now, poll.lastOk ?? 0), LIVE_POLL_MS, Boolean(poll.error));

  useCrumbLeaf(license ? license.name ?? `…${license.key_hint}` : null);
  const usage = useAsync(() => analyticsApi.tenant(tenantId, { license_id: licenseId, ...rangeQuery('24h') }), [tenantId, licenseId]);

  if (notFound) {
    return <div className="card"><h1>License not found</h1><p className="muted">It does not exist, or it belongs to a tenant you cannot see.</p><Link to={`/t/${tenantId}/licenses`}>Back to licenses</Link></div>;
  }
  if (!license) return loadError ? <ErrorNotice error={loadError} /> : <Spinner />;

  const status = licenseStatus(license);
  const act = async (fn: () => Promise<string>) => {
    setActionError(null);
    try { setNotice(await fn()); } catch (e) { setActionError(e); }
  };
  const forceRelease = (s: LicenseSession) => act(async () => {
    await licensesApi.forceRelease(tenantId, s.id);
    setLive((list) => list.filter((x) => x.id !== s.id));
    setLicense((l) => (l ? { ...l, seats_used: Math.max(0, l.seats_used - 1) } : l));
    return `Released the seat of ${s.user_email ?? s.hardware_id}.`;
  });
  const setActive = (active: boolean) => act(async () => {
    setLicense(await licensesApi.update(tenantId, licenseId, { is_active: active }));
    return active ? 'License resumed: clients can acquire seats again.' : 'License suspended: new acquires and heartbeats are refused.';
  });
  const setArchived = async (archived: boolean) => {
    if (archived) {
      const ok = await confirmKey({
        title: 'Archive this license?',
        body: <>It leaves the licenses list (filter “Archived” to find it) and is suspended: new acquires and running machines' heartbeats are refused until you bring it back.</>,
        confirmLabel: 'Archive license',
        danger: true,
      });
      if (!ok) return;
    }
    await act(async () => {
      setLicense(await licensesApi.update(tenantId, licenseId, archived ? { archived: true } : { archived: false, is_active: true }));
      return archived ? 'License archived and suspended.' : 'License brought back and resumed.';
    });
  };
  const reissueKey = async () => {
    const ok = await confirmKey({
      title: 'Reissue the license key?',
      body: <>A new key replaces <code>…{license.key_hint}</code>. The old key stops taking new seats at once; machines running now keep their seats until they end. Send the new key to the customer.</>,
      confirmLabel: 'Reissue key',
      danger: true,
    });
    if (!ok) return;
    await act(async () => {
      const l = await licensesApi.reissueKey(tenantId, licenseId);
      setLicense(l);
      setShowKey(true);
      return `New key issued, ending in ${l.key_hint}. The old key takes no new seats; running machines keep theirs.`;
    });
  };
  const points = usage.data ? fillSeries(usage.data) : [];

  return (
    <div>
      <PageHeader title={<>{license.name ?? <span className="muted">(unnamed license)</span>} <LicenseStatusBadge status={status} /> <BillingBadge license={license} />{license.archived_at && <> <span className="badge badge-muted" data-testid="archived-badge" title={license.archived_at}>archived</span></>}</>}
        subtitle={<span className={`small live-label live-${live_.state}`} data-testid="live-label" data-state={live_.state} role="status">{live_.label}{poll.error ? ' · connection problem, retrying' : ''}</span>}
        actions={canWrite ? <>
          <button type="button" className="btn" onClick={() => setEditing((e) => !e)}>{editing ? 'Close editor' : 'Edit'}</button>
          {license.archived_at
            ? <button type="button" className="btn btn-primary" onClick={() => setArchived(false)}>Bring back</button>
            : <>
              {license.is_active
                ? <ConfirmButton confirmLabel="Suspend now" className="btn" onConfirm={() => setActive(false)}>Suspend</ConfirmButton>
                : <button type="button" className="btn btn-primary" onClick={() => setActive(true)}>Resume</button>}
              <button type="button" className="btn" onClick={() => setArchived(true)}>Archive</button>
            </>}
        </> : <span className="badge badge-muted" title="Your role can read but not change this tenant">Read only</span>} />

      {notice && <Notice>{notice}</Notice>}
      <ErrorNotice error={actionError} />
      {keyDialog}

      {editing && canWrite && (
        <section className="card">
          <h2>Edit license</h2>
          <LicenseForm original={license} submitLabel="Save changes" onCancel={() => setEditing(false)} onSubmit={async (body) => {
            setLicense(await licensesApi.update(tenantId, licenseId, body));
            setEditing(false);
            setNotice('Saved.');
          }} />
        </section>
      )}

      <div className="grid-3">
        <section className="card gauge-card">
          <SeatsGauge used={license.seats_used} total={license.seats_total} />
        </section>
        <section className="card">
          <h2>License key</h2>
          {license.license_key ? (
            <div className="key-row">
              <code className="key" data-testid="license-key">{showKey ? license.license_key : `${'•'.repeat(12)}${license.key_hint}`}</code>
              <button type="button" className="btn btn-small" onClick={() => setShowKey((s) => !s)}>{showKey ? 'Hide' : 'Show'}</button>
              <CopyButton text={license.license_key} label="Copy key" />
              {canWrite && <button type="button" className="btn btn-small" onClick={reissueKey}>Reissue key</button>}
            </div>
          ) : (
            <p><code className="key">…{license.key_hint}</code><br /><span className="muted small">Your role sees only the last characters of the key.</span></p>
          )}
          <dl className="facts">
            <dt>Expires</dt><dd>{license.expires_at ? <>{formatDateTime(license.expires_at)} <span className="muted small">({relativeTime(license.expires_at)})</span></> : 'never'}</dd>
            <dt>Heartbeat TTL</dt><dd>{license.heartbeat_ttl_seconds} s</dd>
            <dt>Offline borrow</dt><dd data-testid="max-borrow">{license.max_borrow_hours ? `up to ${license.max_borrow_hours} h` : <span className="muted">off</span>}</dd>
            <dt>Entitlements</dt><dd>{license.entitlements.length ? license.entitlements.map((e) => <span key={e} className="chip">{e}</span>) : <span className="muted">none</span>}</dd>
          </dl>
        </section>
        <section className="card">
          <h2>Details</h2>
          <dl className="facts">
            <dt>Id</dt><dd><code className="small">{license.id}</code></dd>
            <dt>Created</dt><dd>{formatDateTime(license.created_at)}</dd>
            <dt>Updated</dt><dd>{formatDateTime(license.updated_at)}</dd>
            <dt>Audit</dt><dd><Link to={`/t/${tenantId}/audit?resource_id=${licenseId}`} data-testid="license-audit-link">Changes to this license ›</Link></dd>
            <dt>Metadata</dt><dd>{Object.keys(license.metadata ?? {}).length ? <pre className="json small">{JSON.stringify(license.metadata, null, 2)}</pre> : <span className="muted">none</span>}</dd>
          </dl>
        </section>
      </div>

      <LicenseBilling license={license} isStaff={Boolean(user?.is_staff)} />

      <section className="card">
        <div className="section-head">
          <h2>Live sessions <span className="muted">({live.length})</span></h2>
          <span className="small muted">refreshes every {LIVE_POLL_MS / 1000} s</span>
        </div>
        <SessionsTable sessions={live} canWrite={canWrite} onRelease={forceRelease} empty="No client holds a seat right now." />
      </section>

      <section className="card">
        <div className="section-head">
          <h2>Seat use, last 24 hours</h2>
          <Link className="small" to={`/t/${tenantId}/analytics?license=${licenseId}`}>Open in analytics ›</Link>
        </div>
        {usage.data && (
          <>
            <div className="stats">
              <Stat label="Peak" value={formatNumber(usage.data.peak)} />
              <Stat label="Average" value={formatNumber(usage.data.average, 2)} />
              <Stat label="Denials" value={usage.data.denials_total} />
            </div>
            <LineChart title="Seats used" bucket={usage.data.bucket} times={points.map((p) => p.t)} series={[
              { name: 'Peak', values: drawnSeatValues(points, 'peak'), className: 'series-1' },
              { name: 'Average', values: drawnSeatValues(points, 'avg'), className: 'series-2', dashed: true },
            ]} partial={partialIndex(points)} seats={license.seats_total} />
          </>
        )}
        <ErrorNotice error={usage.error} />
      </section>

      <section className="card">
        <div className="section-head">
          <h2>Session history</h2>
          <select aria-label="Session status" value={history} onChange={(e) => setHistory(e.target.value as SessionStatus | 'all')}>
            <option value="all">All ended</option>
            <option value="released">Released</option>
            <option value="expired">Expired</option>
          </select>
        </div>
        <SessionHistory tenantId={tenantId} licenseId={licenseId} status={history === 'all' ? undefined : history} />
      </section>

      <DenialsTable tenantId={tenantId} licenseId={licenseId} />
    </div>
  );
}

/** Ended sessions of the license (or those of one status), page by page, within a range of days. */
function SessionHistory({ tenantId, licenseId, status }: { tenantId: string; licenseId: string; status?: SessionStatus }) {
  const [cursor, setCursor] = useState<string | null>(null);
  const [stack, setStack] = useState<(string | null)[]>([]);
  const [days, setDays] = useState({ from: '', to: '' });
  const backwards = Boolean(days.from && days.to && days.to < days.from);
  const setDay = (k: 'from' | 'to', v: string) => { setDays((d) => ({ ...d, [k]: v })); setCursor(null); setStack([]); };
  const page = useAsync(async () => (backwards ? null : licensesApi.sessions(tenantId, licenseId, status, cursor, 25, dayRangeQuery(days.from, days.to))),
    [tenantId, licenseId, status, cursor, days.from, days.to, backwards]);
  return (
    <>
      <div className="row history-range">
        <label className="small">From <input type="date" aria-label="History from" value={days.from} onChange={(e) => setDay('from', e.target.value)} /></label>
        <label className="small">To <input type="date" aria-label="History to" value={days.to} onChange={(e) => setDay('to', e.target.value)} /></label>
        {backwards && <span className="field-error" role="alert">The end date is before the start date.</span>}
      </div>
      <ErrorNotice error={page.error} />
      {page.data && <SessionsTable testId="session-history-table" sessions={status ? page.data.items : page.data.items.filter((s) => s.status !== 'active')} canWrite={false} empty={status ? `No ${status} sessions.` : 'No ended session on this page.'} />}
      <div className="pager">
        <button type="button" className="btn btn-small" disabled={stack.length === 0} onClick={() => { setCursor(stack[stack.length - 1] ?? null); setStack(stack.slice(0, -1)); }}>‹ Newer</button>
        <button type="button" className="btn btn-small" disabled={!page.data?.next_cursor} onClick={() => { setStack([...stack, cursor]); setCursor(page.data?.next_cursor ?? null); }}>Older ›</button>
      </div>
    </>
  );
}

function SessionsTable({ sessions, canWrite, onRelease, empty, testId = 'sessions-table' }: { sessions: LicenseSession[]; canWrite: boolean; onRelease?: (s: LicenseSession) => void; empty: string; testId?: string }) {
  if (sessions.length === 0) return <p className="muted empty">{empty}</p>;
  return (
    <div className="table-wrap">
      <table className="table table-cards" data-testid={testId}>
        <thead>
          <tr><th>User</th><th>Hardware id</th><th className="hide-sm">Client</th><th>Started</th><th className="hide-sm">Last heartbeat</th><th>{onRelease ? 'Expires' : 'Ended'}</th>{onRelease && canWrite && <th />}</tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id} data-session-id={s.id}>
              <td className="card-title">{s.user_email ?? <span className="muted">—</span>}</td>
              <td data-label="Hardware id"><code className="small">{s.hardware_id}</code></td>
              <td className="hide-sm small" data-label="Client">{s.client ? Object.entries(s.client).map(([k, v]) => `${k} ${String(v)}`).join(' · ') : '—'}</td>
              <td data-label="Started" title={s.created_at}>{relativeTime(s.created_at)}</td>
              <td className="hide-sm" data-label="Last heartbeat" title={s.last_heartbeat_at}>{relativeTime(s.last_heartbeat_at)}</td>
              <td data-label={onRelease ? 'Expires' : 'Ended'} title={s.ended_at ?? s.expires_at}>{onRelease ? relativeTime(s.expires_at) : <>{relativeTime(s.ended_at)} <span className="muted small">{s.end_reason}</span></>}</td>
              {onRelease && canWrite && (
                <td className="row-actions"><ConfirmButton confirmLabel="Release seat" className="btn btn-small btn-danger" onConfirm={() => onRelease(s)}>Force release</ConfirmButton></td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
