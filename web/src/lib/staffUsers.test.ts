import { describe, expect, it } from 'vitest';
import type { StaffUser } from '../api/types';
import { accountState, staffActions } from './staffUsers';

function user(over: Partial<StaffUser>): StaffUser {
  return { id: 'u2', email: 'bo@example.com', name: 'Bo', is_staff: false, totp_enabled: false, memberships: [], deactivated_at: null, ...over };
}

describe('staffActions', () => {
  it('offers promotion to a member and demotion to staff, each with deactivate and unlock', () => {
    expect(staffActions(user({}), 'u1').map((a) => a.action)).toEqual(['promote', 'deactivate', 'unlock']);
    expect(staffActions(user({ is_staff: true }), 'u1').map((a) => a.action)).toEqual(['demote', 'deactivate', 'unlock']);
  });

  it('offers only reactivation and unlock for a deactivated account', () => {
    const off = user({ is_staff: true, deactivated_at: '2026-01-01T00:00:00Z' });
    expect(staffActions(off, 'u1').map((a) => a.action)).toEqual(['reactivate', 'unlock']);
    expect(accountState(off)).toBe('deactivated');
  });

  it('names the account in every question and warns about acting on oneself', () => {
    for (const a of staffActions(user({ is_staff: true }), 'u1')) expect(a.confirm.title).toContain('bo@example.com');
    const self = staffActions(user({ id: 'u1', is_staff: true }), 'u1');
    expect(String(self.find((a) => a.action === 'deactivate')!.confirm.body)).toMatch(/You will be signed out/);
    expect(String(self.find((a) => a.action === 'demote')!.confirm.body)).toMatch(/no longer see the staff pages/);
    // Taking something away is red; giving is not.
    expect(self.find((a) => a.action === 'demote')!.confirm.danger).toBe(true);
    expect(staffActions(user({}), 'u1')[0].confirm.danger).toBeFalsy();
  });

  it('says what an account is', () => {
    expect(accountState(user({}))).toBe('member');
    expect(accountState(user({ is_staff: true }))).toBe('staff');
  });
});
