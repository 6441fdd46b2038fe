// The staff page's users list: every account with its state (staff, member, deactivated),
// its tenants, and the staff actions (make staff / remove staff, deactivate / reactivate,
// unlock sign-in), each behind a confirmation; then the account log of those actions.
import { useState } from 'react';
import { staff as staffApi } from '../api/endpoints';
import type { AccountAuditEntry, StaffUser } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { accountState, staffActions, type StaffAction } from '../lib/staffUsers';
import { formatDateTime } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { useConfirm } from './ConfirmDialog';
import { Badge, ErrorNotice, Notice } from './ui';

const CALLS: Record<StaffAction, (id: string) => Promise<unknown>> = {
  promote: staffApi.promote,
  demote: staffApi.demote,
  deactivate: staffApi.deactivate,
  reactivate: staffApi.reactivate,
  unlock: staffApi.unlockSignIn,
};

const ACTION_WORDS: Record<AccountAuditEntry['action'], string> = {
  'user.promote': 'made staff',
  'user.demote': 'removed from staff',
  'user.deactivate': 'deactivated',
  'user.reactivate': 'reactivated',
  'user.unlock_sign_in': 'sign-in unlocked',
};

export function StaffUsers() {
  const { user: me, refresh } = useAuth();
  const users = useAsync(() => staffApi.users(), []);
  const log = useAsync(() => staffApi.accountLog(), []);
  const [dialog, confirm] = useConfirm();
  const [busy, setBusy] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const emailOf = new Map((users.data?.items ?? []).map((u) => [u.id, u.email]));

  const run = async (u: StaffUser, action: StaffAction) => {
    const button = staffActions(u, me?.id).find((b) => b.action === action)!;
    if (!(await confirm(button.confirm))) return;
    setBusy(u.id); setError(null); setDone(null);
    try {
      await CALLS[action](u.id);
      setDone(button.done);
      users.reload();
      log.reload();
      // Acting on oneself changes what this session may see (or ends it).
      if (u.id === me?.id) await refresh();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card">
      <h2>Users</h2>
      {dialog}
      <ErrorNotice error={users.error ?? error} />
      {done && <Notice>{done}</Notice>}
      <div className="table-wrap">
        <table className="table table-cards" data-testid="users-table">
          <thead><tr><th>Name</th><th>E-mail</th><th>Access</th><th>Actions</th></tr></thead>
          <tbody>
            {users.data?.items.map((u) => {
              const state = accountState(u);
              return (
                <tr key={u.id} data-testid={`user-${u.email}`}>
                  <td className="card-title">{u.name}</td>
                  <td data-label="E-mail">{u.email}</td>
                  <td data-label="Access">
                    {state === 'deactivated' && <Badge tone="bad">deactivated</Badge>}{' '}
                    {u.is_staff && <Badge tone="info">staff</Badge>}{' '}
                    {u.memberships.map((m) => <span key={m.tenant_id} className="chip">{m.tenant_name}: {m.role}</span>)}
                  </td>
                  <td className="row-actions">
                    <div className="row">
                      {staffActions(u, me?.id).map((b) => (
                        <button key={b.action} type="button" disabled={busy === u.id}
                          className={b.confirm.danger ? 'btn btn-small btn-danger' : 'btn btn-small'}
                          aria-label={`${b.label}: ${u.email}`} onClick={() => void run(u, b.action)}>{b.label}</button>
                      ))}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {log.data && log.data.items.length > 0 && (
        <>
          <h3>Account changes</h3>
          <ul className="small" data-testid="account-log">
            {log.data.items.slice(0, 10).map((e) => (
              <li key={e.id}>
                <span className="muted">{formatDateTime(e.created_at)}</span>{' '}
                {e.after?.email ?? emailOf.get(e.user_id) ?? e.user_id} {ACTION_WORDS[e.action]} by {e.actor.name ?? e.actor.type}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
