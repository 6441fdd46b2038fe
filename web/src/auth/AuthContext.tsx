// Who is signed in, and what they may do in a tenant. Loads the session with `me` on start,
// keeps the CSRF token in the API client, and sends people to sign-in when a call gets 401.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { configureClient, setCsrfToken } from '../api/client';
import { auth } from '../api/endpoints';
import type { Membership, SessionInfo, User } from '../api/types';

interface AuthValue {
  /** `undefined` while loading, `null` when signed out. */
  user: User | null | undefined;
  /** Stores the answer of sign-in, setup, invitation or reset. */
  signedIn: (s: SessionInfo) => void;
  /** Replaces the signed-in person after a change of their own (TOTP turned on or off). */
  updateUser: (u: User) => void;
  signOut: () => Promise<void>;
  refresh: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);

  const signedIn = useCallback((s: SessionInfo) => {
    setCsrfToken(s.csrf_token);
    setUser(s.user);
  }, []);

  const refresh = useCallback(async () => {
    try {
      signedIn(await auth.me());
    } catch {
      setCsrfToken(null);
      setUser(null);
    }
  }, [signedIn]);

  useEffect(() => {
    configureClient({
      unauthorized: () => { setCsrfToken(null); setUser(null); },
      refresh: async () => {
        try {
          const s = await auth.me();
          setUser(s.user);
          return s.csrf_token;
        } catch {
          return null;
        }
      },
    });
    void refresh();
  }, [refresh]);

  const signOut = useCallback(async () => {
    try {
      await auth.logout();
    } finally {
      setCsrfToken(null);
      setUser(null);
    }
  }, []);

  const updateUser = useCallback((u: User) => setUser(u), []);

  const value = useMemo(() => ({ user, signedIn, updateUser, signOut, refresh }), [user, signedIn, updateUser, signOut, refresh]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

/** The auth state; only inside `AuthProvider`. */
export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}

/** What a person may do in one tenant. */
export interface TenantAccess {
  membership: Membership | undefined;
  /** owner, admin or staff: may change licenses, people and tokens. */
  canWrite: boolean;
  /** Label of the role for the header. */
  roleLabel: string;
}

/** The access of `user` to `tenantId`: staff act as superadmin on every tenant. */
export function tenantAccess(user: User | null | undefined, tenantId: string | undefined): TenantAccess {
  const membership = user?.memberships.find((m) => m.tenant_id === tenantId);
  if (user?.is_staff) return { membership, canWrite: true, roleLabel: membership ? `${membership.role} · staff` : 'staff' };
  if (!membership) return { membership, canWrite: false, roleLabel: 'no access' };
  return { membership, canWrite: membership.role !== 'viewer', roleLabel: membership.role };
}
