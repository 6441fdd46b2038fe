// People of a tenant (invite, change role, remove), whether they must use single sign-on,
// and the tenant's API tokens (create, revoke).
import { useState, type FormEvent } from 'react';
import { useParams } from 'react-router';
import { invitations as invitationsApi, members as membersApi, tokens as tokensApi } from '../api/endpoints';
import type { CreatedToken, IssuedInvitation, MemberRole, TokenRole } from '../api/types';
import { tenantAccess, useAuth } from '../auth/AuthContext';
import { TenantSsoSetting } from '../components/TenantSsoSetting';
import { Badge, ConfirmButton, CopyButton, ErrorNotice, Notice, PageHeader, Spinner } from '../components/ui';
import { formatDate } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { useConfirm } from '../components/ConfirmDialog';
import { Invitations, IssuedInvitationNotice } from './PeopleInvitations';

const ROLES: MemberRole[] = ['owner', 'admin', 'viewer'];

export function PeoplePage() {
  const { tenantId = '' } = useParams();
  const { user } = useAuth();
  const { canWrite, membership } = tenantAccess(user, tenantId);
  const canChangeSso = Boolean(user?.is_staff) || membership?.role === 'owner';
  const [issued, setIssued] = useState<IssuedInvitation | null>(null);
  return (
    <div>
      <PageHeader title="Users & API tokens" subtitle="Owners and admins can change licenses, people and tokens; viewers can only read." />
      {issued && <IssuedInvitationNotice issued={issued} onDone={() => setIssued(null)} />}
      <Members tenantId={tenantId} canWrite={canWrite} myId={user?.id} onInvited={setIssued} />
      <Invitations tenantId={tenantId} canWrite={canWrite} refreshKey={issued?.id} onIssued={setIssued} />
      <TenantSsoSetting tenantId={tenantId} canChange={canChangeSso} />
      <Tokens tenantId={tenantId} canWrite={canWrite} />
    </div>
  );
}

function Members({ tenantId, canWrite, myId, onInvited }: { tenantId: string; canWrite: boolean; myId?: string; onInvited: (i: IssuedInvitation) => void }) {
  const list = useAsync(() => membersApi.list(tenantId), [tenantId]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<MemberRole>('viewer');
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const [roleDialog, confirmRole] = useConfirm();
  const act = async (fn: () => Promise<string>) => {
    setError(null);
    setNotice(null);
    try { setNotice(await fn()); list.reload(); } catch (e) { setError(e); }
  };
  const invite = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      // The notice above the list says where its mail stands and shows the link once.
      onInvited(await invitationsApi.invite(tenantId, email.trim(), role));
      setEmail('');
      return '';
    });
  };

  return (
    <section className="card">
      <h2>Users</h2>
      {notice && <Notice>{notice}</Notice>}
      <ErrorNotice error={error ?? list.error} />
      {canWrite && (
        <form className="inline-form" onSubmit={invite} aria-label="Invite">
          <input type="email" required placeholder="colleague@example.com" aria-label="E-mail to invite" value={email} onChange={(e) => setEmail(e.target.value)} />
          <select aria-label="Role of the invitee" value={role} onChange={(e) => setRole(e.target.value as MemberRole)}>
            {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
          <button type="submit" className="btn btn-primary">Invite</button>
        </form>
      )}
      {list.loading && !list.data ? <Spinner /> : (
        <div className="table-wrap">
          {roleDialog}
          <table className="table table-cards" data-testid="members-table">
            <thead><tr><th>Name</th><th>E-mail</th><th>Role</th><th className="hide-sm">Member since</th>{canWrite && <th />}</tr></thead>
            <tbody>
              {list.data?.items.map((m) => (
                <tr key={m.id}>
                  <td className="card-title">{m.name}{m.id === myId && <span className="muted small"> (you)</span>}</td>
                  <td data-label="E-mail">{m.email}</td>
                  <td data-label="Role">
                    {canWrite ? (
                      <select aria-label={`Role of ${m.email}`} value={m.role} onChange={async (e) => {
                        const to = e.target.value as MemberRole;
                        if (await confirmRole({ title: `Change the role of ${m.email}?`, body: `From ${m.role} to ${to}.`, confirmLabel: 'Change role' })) void act(async () => {
                        const updated = await membersApi.setRole(tenantId, m.id, to);
                        return `${updated.email} is now ${updated.role}.`;
                      }); }}>
                        {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
                      </select>
                    ) : <Badge tone={m.role === 'viewer' ? 'muted' : 'info'}>{m.role}</Badge>}
                  </td>
                  <td className="hide-sm" data-label="Member since">{formatDate(m.created_at)}</td>
                  {canWrite && (
                    <td className="row-actions"><ConfirmButton className="btn btn-small btn-danger" confirmLabel="Remove" onConfirm={() => act(async () => {
                      await membersApi.remove(tenantId, m.id);
                      return `${m.email} no longer has access to this tenant.`;
                    })}>Remove</ConfirmButton></td>
                  )}
                </tr>
              ))}
              {list.data?.items.length === 0 && <tr><td colSpan={5} className="empty">No members yet.</td></tr>}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Tokens({ tenantId, canWrite }: { tenantId: string; canWrite: boolean }) {
  const list = useAsync(() => tokensApi.list(tenantId), [tenantId]);
  const [name, setName] = useState('');
  const [role, setRole] = useState<TokenRole>('read_only');
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    try {
      setCreated(await tokensApi.create(tenantId, name.trim(), role));
      setName('');
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="card">
      <h2>API tokens</h2>
      <p className="muted small">Bearer tokens for scripts and CI. <code>admin</code> tokens can change things; <code>read_only</code> tokens can only read.</p>
      {created && (
        <div className="notice notice-warn" role="status" data-testid="new-token">
          <strong>Token "{created.name}" created.</strong> Copy it now: it is never shown again.
          <div className="key-row"><code className="key">{created.token}</code><CopyButton text={created.token} /></div>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setCreated(null)}>I stored it</button>
        </div>
      )}
      {notice && <Notice>{notice}</Notice>}
      <ErrorNotice error={error ?? list.error} />
      {canWrite && (
        <form className="inline-form" onSubmit={create} aria-label="Create token">
          <input required maxLength={200} placeholder="Token name, e.g. ci-deploy" aria-label="Token name" value={name} onChange={(e) => setName(e.target.value)} />
          <select aria-label="Token role" value={role} onChange={(e) => setRole(e.target.value as TokenRole)}>
            <option value="read_only">read_only</option>
            <option value="admin">admin</option>
          </select>
          <button type="submit" className="btn btn-primary">Create token</button>
        </form>
      )}
      {list.loading && !list.data ? <Spinner /> : (
        <div className="table-wrap">
          <table className="table table-cards" data-testid="tokens-table">
            <thead><tr><th>Name</th><th>Role</th><th>Created</th><th>State</th>{canWrite && <th />}</tr></thead>
            <tbody>
              {list.data?.items.map((t) => (
                <tr key={t.id}>
                  <td className="card-title">{t.name}</td>
                  <td data-label="Role"><code>{t.role}</code></td>
                  <td data-label="Created">{formatDate(t.created_at)}</td>
                  <td data-label="State">{t.revoked_at ? <Badge tone="muted">revoked {formatDate(t.revoked_at)}</Badge> : <Badge tone="ok">active</Badge>}</td>
                  {canWrite && (
                    <td className="row-actions">{!t.revoked_at && <ConfirmButton className="btn btn-small btn-danger" confirmLabel="Revoke now" onConfirm={async () => {
                      setError(null);
                      try {
                        await tokensApi.revoke(tenantId, t.id);
                        setNotice(`Token "${t.name}" revoked; it stopped working at once.`);
                        list.reload();
                      } catch (err) { setError(err); }
                    }}>Revoke</ConfirmButton>}</td>
                  )}
                </tr>
              ))}
              {list.data?.items.length === 0 && <tr><td colSpan={5} className="empty">No tokens.</td></tr>}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
