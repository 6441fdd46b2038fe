// The frame of every signed-in page: brand, tenant switcher, navigation, theme button and
// the signed-in person in a sidebar (a menu on phones); a header naming the current tenant,
// and above the page its breadcrumb, or the no-access page for a tenant the person cannot open.
import { useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { tenantAccess, useAuth } from '../auth/AuthContext';
import { TenantsProvider, useTenants } from '../auth/TenantsContext';
import { breadcrumbs, sectionOf, TENANT_SECTIONS, tenantGate } from '../lib/tenantNav';
import { Breadcrumbs, CrumbLeafProvider } from './Breadcrumbs';
import { MailBanner } from './MailBanner';
import { NoTenantAccess } from './NoTenantAccess';
import { ThemeToggle } from './ThemeToggle';
import { Spinner } from './ui';

export function Layout() {
  return <TenantsProvider><CrumbLeafProvider>{(leaf) => <Frame leaf={leaf} />}</CrumbLeafProvider></TenantsProvider>;
}

function Frame({ leaf }: { leaf: { path: string; label: string } | null }) {
  const { user, signOut } = useAuth();
  const { tenantId } = useParams();
  const navigate = useNavigate();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const tenants = useTenants();
  const access = tenantAccess(user, tenantId);
  const gate = tenantGate(tenantId, tenants.choices, tenants.list, tenantId ? tenants.rechecked(tenantId) : false);
  const current = tenants.choices.find((c) => c.id === tenantId);
  useEffect(() => setMenuOpen(false), [location.pathname]);
  useEffect(() => {
    if (tenantId && gate === 'checking' && tenants.list === 'ready') tenants.recheck(tenantId);
  }, [tenantId, gate, tenants]);

  // Keep the same section when switching tenants (licenses → licenses).
  const switchTenant = (id: string) => navigate(`/t/${id}/${sectionOf(location.pathname)}`);
  const crumbs = current ? breadcrumbs(location.pathname, current, { staff: user?.is_staff, leaf: leaf?.path === location.pathname ? leaf.label : null }) : [];
  const open = gate === 'open' && Boolean(tenantId);

  return (
    <div className={`shell ${menuOpen ? 'menu-open' : ''}`}>
      <header className={`topbar ${current ? 'with-tenant' : ''}`}>
        <button type="button" className="btn btn-ghost menu-button" aria-label="Menu" aria-expanded={menuOpen} onClick={() => setMenuOpen((o) => !o)}>☰</button>
        <span className="brand topbar-brand"><span className="brand-mark" aria-hidden>✓</span> CODITECT</span>
        {current && (
          <span className="topbar-tenant" title={`Tenant: ${current.name}`}>
            <span className="muted small topbar-tenant-label">Tenant</span>{' '}
            <strong data-testid="header-tenant">{current.name}</strong>{' '}
            <span className="badge badge-muted topbar-role">{access.roleLabel}</span>
          </span>
        )}
      </header>
      <aside className="sidebar">
        <div className="brand sidebar-brand"><span className="brand-mark" aria-hidden>✓</span> CODITECT <span className="muted small">Licensing</span></div>
        {tenants.choices.length > 0 && (
          <label className="tenant-switch">
            <span className="small muted">Tenant</span>
            <select value={current ? current.id : ''} onChange={(e) => switchTenant(e.target.value)} aria-label="Tenant">
              {!current && <option value="">Choose a tenant…</option>}
              {tenants.choices.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
          </label>
        )}
        {open && (
          <nav className="nav" aria-label="Tenant">
            {TENANT_SECTIONS.filter((s) => !s.write || access.canWrite).map((s) => <NavLink key={s.path} to={`/t/${tenantId}/${s.path}`}>{s.label}</NavLink>)}
          </nav>
        )}
        {user?.is_staff && (
          <nav className="nav" aria-label="Staff">
            <NavLink to="/staff">Staff: all tenants</NavLink>
            <NavLink to="/products">Products</NavLink>
            <NavLink to="/billing/events">Billing events</NavLink>
            <NavLink to="/webhooks">Staff webhooks</NavLink>
            <NavLink to="/outbox">Mail outbox</NavLink>
          </nav>
        )}
        <div className="sidebar-foot">
          {open && <div className="small muted" data-testid="role">Role: {access.roleLabel}</div>}
          <div className="small" title={user?.email}>{user?.name} <span className="muted">({user?.email})</span></div>
          <nav className="nav" aria-label="Account">
            <NavLink to="/account">Account security</NavLink>
            {/* The API reference is served by this binary (not the dashboard app): a plain link. */}
            <a href="/api/docs" target="_blank" rel="noopener">API reference</a>
          </nav>
          <div className="row">
            <ThemeToggle />
            <button type="button" className="btn btn-ghost btn-small" onClick={async () => { await signOut(); navigate('/login'); }}>Sign out</button>
          </div>
        </div>
      </aside>
      <main className="content" id="main">
        <MailBanner />
        {gate === 'no-access' ? <NoTenantAccess /> : gate === 'checking' ? <Spinner /> : (
          <>
            <Breadcrumbs crumbs={crumbs} />
            <Outlet />
          </>
        )}
      </main>
    </div>
  );
}
