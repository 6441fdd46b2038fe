// Staff view across tenants: usage per tenant, creating tenants, and every user with the
// staff actions on accounts (StaffUsers).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate } from 'react-router';
import { analytics as analyticsApi, tenants as tenantsApi } from '../api/endpoints';
import { useAuth } from '../auth/AuthContext';
import { useTenants } from '../auth/TenantsContext';
import { RankBars } from '../components/Charts';
import { StaffUsers } from '../components/StaffUsers';
import { ErrorNotice, PageHeader, Spinner } from '../components/ui';
import { RANGE_PRESETS, rangeQuery } from '../lib/chart';
import { formatDate, formatNumber } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { SLUG_HINT, SLUG_PATTERN, slugify } from '../lib/slug';

export function StaffPage() {
  const { user } = useAuth();
  const navigate = useNavigate();
  const [range, setRange] = useState('7d');
  const tenants = useAsync(() => tenantsApi.list(), []);
  const usage = useAsync(() => { const q = rangeQuery(range); return analyticsApi.acrossTenants(q.from, q.to); }, [range]);
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugTouched, setSlugTouched] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const switcher = useTenants();
  const slugInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // The browser checks the pattern; the message says what a slug is.
    const el = slugInput.current;
    if (!el) return;
    el.setCustomValidity('');
    if (el.validity.patternMismatch) el.setCustomValidity(SLUG_HINT);
  }, [slug]);

  if (user && !user.is_staff) return <Navigate to="/" replace />;

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const t = await tenantsApi.create(name.trim(), slug);
      await switcher.refresh();
      navigate(`/t/${t.id}/licenses`);
    } catch (err) {
      setError(err);
    }
  };
  const usageById = new Map((usage.data?.items ?? []).map((u) => [u.tenant_id, u]));

  return (
    <div>
      <PageHeader title="All tenants" subtitle="Staff view across every tenant of this server."
        actions={<select aria-label="Time range" value={range} onChange={(e) => setRange(e.target.value)}>
          {RANGE_PRESETS.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
        </select>} />

      <section className="card">
        <h2>New tenant</h2>
        <form className="inline-form" onSubmit={create} aria-label="New tenant">
          <input required placeholder="Name, e.g. Acme Corp" aria-label="Tenant name" value={name} onChange={(e) => { setName(e.target.value); if (!slugTouched) setSlug(slugify(e.target.value)); }} />
          <input ref={slugInput} required placeholder="slug" aria-label="Tenant slug" pattern={SLUG_PATTERN} title={SLUG_HINT} value={slug} onChange={(e) => { setSlug(e.target.value); setSlugTouched(true); }} />
          <button type="submit" className="btn btn-primary">Create tenant</button>
        </form>
        <ErrorNotice error={error} />
      </section>

      <ErrorNotice error={tenants.error ?? usage.error} />
      {tenants.loading && !tenants.data ? <Spinner /> : (
        <section className="card table-wrap">
          <table className="table table-cards" data-testid="tenants-table">
            <thead><tr><th>Tenant</th><th className="hide-sm">Slug</th><th>Licenses</th><th>Live sessions</th><th>Peak</th><th className="hide-sm">Average</th><th>Denials</th><th className="hide-sm">Created</th></tr></thead>
            <tbody>
              {tenants.data?.items.map((t) => {
                const u = usageById.get(t.id);
                return (
                  <tr key={t.id}>
                    <td className="card-title"><Link to={`/t/${t.id}/licenses`}>{t.name}</Link></td>
                    <td className="hide-sm" data-label="Slug"><code>{t.slug}</code></td>
                    <td data-label="Licenses">{u?.licenses ?? '—'}</td>
                    <td data-label="Live sessions">{u?.live_sessions ?? '—'}</td>
                    <td data-label="Peak">{u ? formatNumber(u.peak) : '—'}</td>
                    <td className="hide-sm" data-label="Average">{u ? formatNumber(u.average, 2) : '—'}</td>
                    <td data-label="Denials">{u?.denials_total ?? '—'}</td>
                    <td className="hide-sm" data-label="Created">{formatDate(t.created_at)}</td>
                  </tr>
                );
              })}
              {tenants.data?.items.length === 0 && <tr><td colSpan={8} className="empty">No tenants yet: create the first one above.</td></tr>}
            </tbody>
          </table>
        </section>
      )}

      {usage.data && (
        <div className="grid-2">
          <section className="card"><h2>Peak seats per tenant</h2>
            <RankBars unit="seats" items={[...usage.data.items].sort((a, b) => b.peak - a.peak).map((u) => ({ label: u.tenant_name, value: u.peak }))} />
          </section>
          <section className="card"><h2>Denials per tenant</h2>
            <RankBars unit="denials" items={[...usage.data.items].filter((u) => u.denials_total > 0).sort((a, b) => b.denials_total - a.denials_total).map((u) => ({ label: u.tenant_name, value: u.denials_total }))} />
          </section>
        </div>
      )}

      <StaffUsers />
    </div>
  );
}
