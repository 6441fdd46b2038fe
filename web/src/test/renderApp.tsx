// Renders the whole app at a route, signed in as a given user, against a fake server.
import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { App } from '../App';
import type { MemberRole, User } from '../api/types';
import { AuthProvider } from '../auth/AuthContext';

export const TENANT = '0190aaaa-0000-7000-8000-000000000001';

export function userWith(role: MemberRole | 'staff'): User {
  return {
    id: 'u1', email: 'ana@example.com', name: 'Ana', is_staff: role === 'staff', totp_enabled: false,
    memberships: role === 'staff' ? [] : [{ tenant_id: TENANT, tenant_name: 'Acme', tenant_slug: 'acme', role }],
  };
}

export function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AuthProvider>
        <App />
      </AuthProvider>
    </MemoryRouter>,
  );
}
