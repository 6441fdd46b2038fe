// Trusted issuers of a tenant: external identity providers (CI systems, workload identity)
// whose signed JWTs act as API tokens of this tenant, with a role taken from a claim.
import { useState } from 'react';
import { useParams } from 'react-router';
import { trustedIssuers as issuersApi } from '../api/endpoints';
import { tenantAccess, useAuth } from '../auth/AuthContext';
import { TrustedIssuerForm } from '../components/TrustedIssuerForm';
import { ConfirmButton, ErrorNotice, Notice, PageHeader, Spinner } from '../components/ui';
import { formatDate } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { rolesAsRows } from '../lib/trustedIssuerForm';

/** The list of trusted issuers with an add form and delete buttons (owners, admins, staff). */
export function TrustedIssuersPage() {
  const { tenantId = '' } = useParams();
  const { user } = useAuth();
  const { canWrite } = tenantAccess(user, tenantId);
  const list = useAsync(() => issuersApi.list(tenantId), [tenantId]);
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  return (
    <div>
      <PageHeader
        title="Trusted issuers"
        subtitle="Machines can call the API with a JWT from a trusted issuer instead of a stored token: its iss and aud must match, and a claim picks the role."
        actions={canWrite && !adding && <button type="button" className="btn btn-primary" onClick={() => { setAdding(true); setNotice(null); }}>Add issuer</button>}
      />
      {notice && <Notice>{notice}</Notice>}
      <ErrorNotice error={error ?? list.error} />
      {adding && (
        <section className="card">
          <h2>Add a trusted issuer</h2>
          <TrustedIssuerForm
            onCancel={() => setAdding(false)}
            onSubmit={async (body) => {
              const created = await issuersApi.create(tenantId, body);
              setAdding(false);
              setNotice(`Tokens from ${created.issuer} for audience ${created.audience} are now accepted.`);
              list.reload();
            }}
          />
        </section>
      )}
      {list.loading && !list.data ? <Spinner /> : list.data && (
        <div className="table-wrap card">
          <table className="table" data-testid="issuers-table">
            <thead><tr><th>Issuer</th><th>Audience</th><th>Roles (claim <span className="muted">value → role</span>)</th><th className="hide-sm">JWKS</th><th className="hide-sm">Added</th>{canWrite && <th />}</tr></thead>
            <tbody>
              {list.data.items.map((i) => (
                <tr key={i.id}>
                  <td><code>{i.issuer}</code></td>
                  <td><code>{i.audience}</code></td>
                  <td>
                    <div className="small muted"><code>{i.role_claim}</code></div>
                    {rolesAsRows(i.roles).map((r) => (
                      <span className="chip nowrap" key={r.value}><code>{r.value}</code> → {r.role}</span>
                    ))}
                  </td>
                  <td className="hide-sm small">{i.jwks_url}</td>
                  <td className="hide-sm">{formatDate(i.created_at)}</td>
                  {canWrite && (
                    <td><ConfirmButton className="btn btn-small btn-danger" confirmLabel="Delete issuer" onConfirm={async () => {
                      setError(null);
                      setNotice(null);
                      try {
                        await issuersApi.remove(tenantId, i.id);
                        setNotice(`Tokens from ${i.issuer} are no longer accepted.`);
                        list.reload();
                      } catch (err) { setError(err); }
                    }}>Delete</ConfirmButton></td>
                  )}
                </tr>
              ))}
              {list.data.items.length === 0 && <tr><td colSpan={6} className="empty">No trusted issuer. API calls need a stored token.</td></tr>}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
