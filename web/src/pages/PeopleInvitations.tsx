// The invitations of a tenant on the People page: the link of an invitation just made (shown
// once, with a copy button: only its hash is stored), the honest word about its mail, and
// the list (pending, accepted, expired, revoked, replaced) with resend and revoke.
import { useState } from 'react';
import { invitations as invitationsApi } from '../api/endpoints';
import type { InvitationItem, InvitationState, IssuedInvitation } from '../api/types';
import { queuedMailSentence } from '../components/MailBanner';
import { Badge, ConfirmButton, CopyButton, ErrorNotice, Notice, Spinner } from '../components/ui';
import { formatDate } from '../lib/format';
import { useAsync } from '../lib/hooks';

const STATE_TONE: Record<InvitationState, 'ok' | 'info' | 'muted' | 'warn' | 'bad'> = {
  pending: 'info', accepted: 'ok', expired: 'warn', revoked: 'muted', replaced: 'muted',
};

/** What an invitation's state means, for its badge's title. */
const STATE_MEANING: Record<InvitationState, string> = {
  pending: 'The link works until it expires.',
  accepted: 'The invitee joined.',
  expired: 'The link is past its 7 days; resend to make a new one.',
  revoked: 'The link was revoked and no longer works.',
  replaced: 'A newer invitation to this address replaced it; its link no longer works.',
};

/** The notice after an invite or a resend: where the mail stands, and the link, once. */
export function IssuedInvitationNotice({ issued, onDone }: { issued: IssuedInvitation; onDone: () => void }) {
  return (
    <div className={`notice ${issued.mail_configured ? 'notice-ok' : 'notice-warn'}`} role="status" data-testid="issued-invitation">
      <div>{queuedMailSentence(`${issued.role} invitation`, issued.email, issued.mail_configured)} The link works until {formatDate(issued.expires_at)}.</div>
      <div className="small">Copy the link now to pass it on yourself: it is shown only this once. Any older link to this address stopped working.</div>
      <div className="key-row"><code className="key" data-testid="accept-url">{issued.accept_url}</code><CopyButton text={issued.accept_url} label="Copy link" /></div>
      <button type="button" className="btn btn-small btn-ghost" onClick={onDone}>Done</button>
    </div>
  );
}

/** The tenant's invitations, newest first, with resend and revoke for those who may write. */
export function Invitations({ tenantId, canWrite, refreshKey, onIssued }: {
  tenantId: string;
  canWrite: boolean;
  /** Changes when an invitation was made elsewhere on the page, to load the list again. */
  refreshKey: string | undefined;
  onIssued: (i: IssuedInvitation) => void;
}) {
  const [filter, setFilter] = useState<InvitationState | ''>('');
  const list = useAsync(() => invitationsApi.list(tenantId, filter || undefined), [tenantId, filter, refreshKey]);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const act = async (fn: () => Promise<string | null>) => {
    setError(null);
    setNotice(null);
    try { setNotice(await fn()); list.reload(); } catch (e) { setError(e); }
  };
  const resend = (i: InvitationItem) => act(async () => { onIssued(await invitationsApi.resend(tenantId, i.id)); return null; });
  const revoke = (i: InvitationItem) => act(async () => {
    await invitationsApi.revoke(tenantId, i.id);
    return `The invitation of ${i.email} is revoked: its link no longer works.`;
  });

  return (
    <section className="card" aria-label="Invitations">
      <h2>Invitations</h2>
      <div className="toolbar">
        <select aria-label="Invitation state" value={filter} onChange={(e) => setFilter(e.target.value as InvitationState | '')}>
          <option value="">Every state</option>
          {(Object.keys(STATE_TONE) as InvitationState[]).map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </div>
      {notice && <Notice>{notice}</Notice>}
      <ErrorNotice error={error ?? list.error} />
      {list.loading && !list.data ? <Spinner /> : (
        <div className="table-wrap">
          <table className="table table-cards" data-testid="invitations-table">
            <thead><tr><th>E-mail</th><th>Role</th><th>State</th><th className="hide-sm">Sent</th><th className="hide-sm">Expires</th>{canWrite && <th />}</tr></thead>
            <tbody>
              {list.data?.items.map((i) => (
                <tr key={i.id} data-state={i.state} data-email={i.email}>
                  <td className="card-title">{i.email}</td>
                  <td data-label="Role">{i.role}</td>
                  <td data-label="State"><span title={STATE_MEANING[i.state]}><Badge tone={STATE_TONE[i.state]}>{i.state}</Badge></span></td>
                  <td className="hide-sm" data-label="Sent">{formatDate(i.created_at)}</td>
                  <td className="hide-sm" data-label="Expires">{formatDate(i.expires_at)}</td>
                  {canWrite && (
                    <td className="row-actions"><div className="row">
                      {(i.state === 'pending' || i.state === 'expired' || i.state === 'revoked') && (
                        <button type="button" className="btn btn-small" onClick={() => void resend(i)} aria-label={`Resend the invitation of ${i.email}`}>Resend</button>
                      )}
                      {(i.state === 'pending' || i.state === 'expired') && (
                        <ConfirmButton className="btn btn-small btn-danger" confirmLabel="Revoke now" onConfirm={() => revoke(i)}>Revoke</ConfirmButton>
                      )}
                    </div></td>
                  )}
                </tr>
              ))}
              {list.data?.items.length === 0 && <tr><td colSpan={6} className="empty">{filter ? `No ${filter} invitation.` : 'No invitations yet.'}</td></tr>}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
