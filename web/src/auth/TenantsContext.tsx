// The tenants the signed-in person can open, for the switcher, the header and the no-access
// page. Staff see every tenant (listed from the server); others their memberships. Pages that
// create a tenant call `refresh`; an address naming an unknown tenant makes the frame ask once
// more (`recheck`) before it says the person has no access.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { auth, tenants as tenantsApi } from '../api/endpoints';
import type { Tenant } from '../api/types';
import { tenantChoices, type ListState, type TenantChoice } from '../lib/tenantNav';
import { useAuth } from './AuthContext';

interface TenantsValue {
  choices: TenantChoice[];
  list: ListState;
  /** Loads the list again (after a tenant was created). */
  refresh: () => Promise<void>;
  /** Whether `tenantId` was already asked for again. */
  rechecked: (tenantId: string) => boolean;
  /** Loads the list again once for a tenant the list lacks. */
  recheck: (tenantId: string) => void;
}

const TenantsContext = createContext<TenantsValue | null>(null);

export function TenantsProvider({ children }: { children: ReactNode }) {
  const { user, updateUser } = useAuth();
  const staff = Boolean(user?.is_staff);
  const [all, setAll] = useState<Tenant[] | null>(null);
  const [list, setList] = useState<ListState>(staff ? 'loading' : 'ready');
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  const asked = useRef(new Set<string>());

  const load = useCallback(async () => {
    try {
      if (!staff) { updateUser((await auth.me()).user); return; }
      setAll((await tenantsApi.list()).items);
      setList('ready');
    } catch {
      if (staff) setList((l) => (l === 'ready' ? l : 'failed'));
    }
  }, [staff, updateUser]);

  useEffect(() => {
    if (!staff) { setAll(null); setList('ready'); return; }
    setList('loading');
    void load();
  }, [staff, load]);

  const recheck = useCallback((tenantId: string) => {
    if (asked.current.has(tenantId)) return;
    asked.current.add(tenantId);
    void load().finally(() => setChecked((s) => new Set(s).add(tenantId)));
  }, [load]);

  const memberships = user?.memberships;
  const value = useMemo<TenantsValue>(() => ({
    choices: tenantChoices(memberships ?? [], all),
    list,
    refresh: load,
    rechecked: (id) => checked.has(id),
    recheck,
  }), [memberships, all, list, load, checked, recheck]);
  return <TenantsContext.Provider value={value}>{children}</TenantsContext.Provider>;
}

/** The tenants of the signed-in person; only inside `TenantsProvider` (the signed-in frame). */
export function useTenants(): TenantsValue {
  const v = useContext(TenantsContext);
  if (!v) throw new Error('useTenants outside TenantsProvider');
  return v;
}
