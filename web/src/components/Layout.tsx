// The frame of every signed-in page: brand, tenant switcher, navigation, theme toggle and
// the signed-in person. A sidebar on wide screens, a top bar with a menu on phones.
import { useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { tenants as tenantsApi } from '../api/endpoints';
import type { Tenant } from '../api/types';
import { tenantAccess, useAuth } from '../auth/AuthContext';
import { applyTheme, nextTheme, storedTheme, type ThemeChoice } from '../lib/theme';

const THEME_LABEL: Record<ThemeChoice, string> = { system: 'Theme: system', dark: 'Theme: dark', light: 'Theme: light' };

export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  return (
    <button type="button" className="btn btn-ghost btn-small theme-toggle" aria-label="Change colour theme" title="Change colour theme"
      onClick={() => { const n = nextTheme(choice); applyTheme(n); setChoice(n); }}>
      {choice === 'dark' ? '☾' : choice === 'light' ? '☀' : '◐'} <span className="theme-label">{THEME_LABEL[choice]}</span>
    </button>
  );
}

/** Tenants the person can open: their memberships, plus every tenant for staff. */
function useTenantChoices(): { id: string; name: string }[] {
  const { user } = useAuth();
  const [all, setAll] = useState<Tenant[]>([]);
  useEffect(() => {
    if (!user?.is_staff) return;
    tenantsApi.list().then((r) => setAll(r.items), () => setAll([]));
  }, [user?.is_staff]);
  const mine = (user?.memberships ?? []).map((m) => ({ id: m.tenant_id, name: m.tenant_name }));
  const seen = new Set(mine.map((m) => m.id));
  return [...mine, ...all.filter((t) => !seen.has(t.id)).map((t) => ({ id: t.id, name: t.name }))];
}

export function Layout() {
  const { user, signOut } = useAuth();
  const { tenantId } = useParams();
  const navigate = useNavigate();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const choices = useTenantChoices();
  const access = tenantAccess(user, tenantId);
  useEffect(() => setMenuOpen(false), [location.pathname]);

  const switchTenant = (id: string) => {
    // Keep the same section when switching tenants (licenses → licenses).
    const section = location.pathname.split('/')[3] ?? 'licenses';
    navigate(`/t/${id}/${['licenses', 'analytics', 'usage', 'webhooks', 'audit', 'people', 'trusted-issuers'].includes(section) ? section : 'licenses'}`);
  };

  return (
    <div className={`shell ${menuOpen ? 'menu-open' : ''}`}>
      <header className="topbar">
        <button type="button" className="btn btn-ghost menu-button" aria-label="Menu" aria-expanded={menuOpen} onClick={() => setMenuOpen((o) => !o)}>☰</button>
        <span className="brand"><span className="brand-mark" aria-hidden>✓</span> CODITECT</span>
      </header>
      <aside className="sidebar">
        <div className="brand sidebar-brand"><span className="brand-mark" aria-hidden>✓</span> CODITECT <span className="muted small">Licensing</span></div>
        {choices.length > 0 && (
          <label className="tenant-switch">
            <span className="small muted">Tenant</span>
            <select value={tenantId ?? ''} onChange={(e) => switchTenant(e.target.value)} aria-label="Tenant">
              {!tenantId && <option value="">Choose a tenant…</option>}
              {choices.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
          </label>
        )}
        {tenantId && (
          <nav className="nav" aria-label="Tenant">
            <NavLink to={`/t/${tenantId}/licenses`}>Licenses</NavLink>
            <NavLink to={`/t/${tenantId}/analytics`}>Analytics</NavLink>
            <NavLink to={`/t/${tenantId}/usage`}>Usage</NavLink>
            {access.canWrite && <NavLink to={`/t/${tenantId}/webhooks`}>Webhooks</NavLink>}
            <NavLink to={`/t/${tenantId}/audit`}>Audit log</NavLink>
            <NavLink to={`/t/${tenantId}/people`}>Users &amp; tokens</NavLink>
            {access.canWrite && <NavLink to={`/t/${tenantId}/trusted-issuers`}>Trusted issuers</NavLink>}
          </nav>
        )}
        {user?.is_staff && (
          <nav className="nav" aria-label="Staff">
            <NavLink to="/staff">Staff: all tenants</NavLink>
            <NavLink to="/products">Products</NavLink>
            <NavLink to="/billing/events">Billing events</NavLink>
            <NavLink to="/webhooks">Staff webhooks</NavLink>
          </nav>
        )}
        <div className="sidebar-foot">
          {tenantId && <div className="small muted" data-testid="role">Role: {access.roleLabel}</div>}
          <div className="small" title={user?.email}>{user?.name} <span className="muted">({user?.email})</span></div>
          <nav className="nav" aria-label="Account"><NavLink to="/account">Account security</NavLink></nav>
          <div className="row">
            <ThemeToggle />
            <button type="button" className="btn btn-ghost btn-small" onClick={async () => { await signOut(); navigate('/login'); }}>Sign out</button>
          </div>
        </div>
      </aside>
      <main className="content" id="main">
        <Outlet />
      </main>
    </div>
  );
}
