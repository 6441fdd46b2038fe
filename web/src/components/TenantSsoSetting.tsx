// The tenant's "Require single sign-on for members" switch. Owners and staff change it;
// everyone else sees its state. With it on, a member's correct password is refused with
// `403 sso_required` and they sign in through a provider.
import { useState } from 'react';
import { auth, tenantSso } from '../api/endpoints';
import { useAsync } from '../lib/hooks';
import { ErrorNotice, Notice } from './ui';

/** The switch and what it means; `canChange` for owners and staff (the server enforces it too). */
export function TenantSsoSetting({ tenantId, canChange }: { tenantId: string; canChange: boolean }) {
  const state = useAsync(() => tenantSso.get(tenantId), [tenantId]);
  const providers = useAsync(() => auth.providers(), []);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const required = state.data?.sso_required ?? false;

  const change = async (value: boolean) => {
    if (!canChange) return;
    setBusy(true);
    setError(null);
    try { state.setData(await tenantSso.set(tenantId, value)); } catch (err) { setError(err); } finally { setBusy(false); }
  };

  return (
    <section className="card" aria-label="Single sign-on">
      <h2>Single sign-on</h2>
      <ErrorNotice error={error ?? state.error} />
      <label className="check">
        <input type="checkbox" role="switch" checked={required} disabled={!canChange || busy || !state.data}
          onChange={(e) => void change(e.target.checked)} />
        Require single sign-on for members
      </label>
      <p className="muted small">
        {required
          ? 'Members sign in only through a single sign-on provider; their passwords are refused (staff too, while they belong to this tenant).'
          : 'Members may sign in with their password or through a provider.'}
        {!canChange && ' Only an owner of this tenant, or staff, can change this.'}
      </p>
      {canChange && !required && providers.data && providers.data.items.length === 0 && (
        <Notice kind="warn">This server offers no single sign-on provider (CODITECT_OIDC_PROVIDERS): with this on, members could not sign in.</Notice>
      )}
    </section>
  );
}
