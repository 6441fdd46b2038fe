// What a tenant page shows when the address names a tenant the person cannot open: one of
// another organisation, or none at all. The server answers both with `404 not_found`.
import { Link } from 'react-router';
import { useAuth } from '../auth/AuthContext';

export function NoTenantAccess() {
  const { user } = useAuth();
  return (
    <section className="card no-access" aria-labelledby="no-access-title">
      <h1 id="no-access-title">You don't have access to this tenant</h1>
      <p className="muted">It does not exist, or {user?.email ?? 'your account'} is not one of its members. If you need it, ask one of its owners or admins to invite you.</p>
      <p className="row">
        {user?.is_staff
          ? <Link className="btn btn-primary" to="/staff">Back to all tenants</Link>
          : <Link className="btn btn-primary" to="/">Back to your tenants</Link>}
      </p>
    </section>
  );
}
