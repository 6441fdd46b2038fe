// Who was refused a seat: the newest denials of a tenant (or one license) with the refused
// machine and e-mail, so a vendor sees which customers hit the limit (the upsell) and support
// can answer "why can't I start the app". Pages through the server's newest-first listing.
import { useState } from 'react';
import { Link } from 'react-router';
import { denials as denialsApi } from '../api/endpoints';
import type { Denial } from '../api/types';
import { formatDateTime, relativeTime } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { ErrorNotice, Spinner } from './ui';

/** How many denials a page shows. */
export const DENIALS_PAGE = 20;

export function DenialsTable({ tenantId, licenseId, refreshKey = 0 }: { tenantId: string; licenseId?: string; refreshKey?: number }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const page = useAsync(() => denialsApi.page(tenantId, { license_id: licenseId, cursor, limit: DENIALS_PAGE }), [tenantId, licenseId, cursor, refreshKey]);
  const items: Denial[] = page.data?.items ?? [];
  return (
    <section className="card" data-testid="denials-list">
      <h2>Who was refused</h2>
      <ErrorNotice error={page.error} />
      {page.loading && !page.data ? <Spinner /> : items.length === 0 && cursors.length === 1 ? (
        <p className="muted">No acquire was refused{licenseId ? ' for this license' : ''}: every machine that asked got a seat.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table-cards" data-testid="denials-table">
            <thead><tr><th>Machine</th><th>User</th>{!licenseId && <th>License</th>}<th>When</th></tr></thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id}>
                  <td className="card-title"><code className="small">{d.hardware_id ?? 'not recorded'}</code></td>
                  <td data-label="User">{d.user_email ?? <span className="muted">no e-mail sent</span>}</td>
                  {!licenseId && <td data-label="License"><Link to={`/t/${tenantId}/licenses/${d.license_id}`}>{d.license_name ?? d.license_id.slice(0, 8)}</Link></td>}
                  <td data-label="When" title={formatDateTime(d.at)}>{relativeTime(d.at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="row">
            <button type="button" className="btn btn-small btn-ghost" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>‹ Newer</button>
            <button type="button" className="btn btn-small btn-ghost" disabled={!page.data?.next_cursor} onClick={() => setCursors((c) => [...c, page.data!.next_cursor])}>Older ›</button>
          </div>
        </div>
      )}
    </section>
  );
}
