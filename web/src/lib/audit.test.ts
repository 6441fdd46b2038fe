import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../api/types';
import { auditFiltersFrom, auditQuery, auditRangeError, auditTarget } from './audit';

const e = (p: Partial<AuditEntry>): AuditEntry => ({
  id: 'a', at: '2026-01-01T00:00:00Z', actor: { type: 'user', id: 'u', name: 'ana@acme.test' },
  action: 'license.update', resource: 'license', resource_id: 'lic-00000001', before: null, after: null, ...p,
});
const names = (id: string) => (id === 'lic-00000001' ? 'Acme CAD' : undefined);

describe('auditTarget', () => {
  it('names a license and links to it', () => {
    expect(auditTarget(e({ after: { name: 'Render' } }), 't1', names)).toEqual({ label: 'License Render', href: '/t/t1/licenses/lic-00000001', licenseId: 'lic-00000001' });
    expect(auditTarget(e({}), 't1', names).label).toBe('License Acme CAD');
  });
  it('names a session by who, which machine and its license, and links to the license', () => {
    const s = e({ resource: 'session', resource_id: 'ses-1', action: 'session.force_release', after: { license_id: 'lic-00000001', hardware_id: 'host-7', user_email: 'bo@acme.test' } });
    expect(auditTarget(s, 't1', names)).toEqual({ label: 'Session of bo@acme.test on host-7 · license Acme CAD', href: '/t/t1/licenses/lic-00000001', licenseId: 'lic-00000001' });
  });
  it('sends people and tokens to the people page', () => {
    expect(auditTarget(e({ resource: 'member', after: { email: 'cy@acme.test' } }), 't1', names)).toMatchObject({ label: 'Member cy@acme.test', href: '/t/t1/people' });
  });
});

describe('auditQuery', () => {
  it('turns local days into an inclusive range and drops empty filters', () => {
    const f = auditFiltersFrom(new URLSearchParams('actor=%20ana%20&from=2026-01-10&to=2026-01-11&resource=license'));
    const q = auditQuery(f);
    expect(q.actor).toBe('ana');
    expect(q.resource).toBe('license');
    expect(q.action).toBeUndefined();
    expect(new Date(q.from!).getDate()).toBe(10);
    expect(Date.parse(q.to!) - Date.parse(q.from!)).toBe(2 * 86_400_000);
  });
  it('flags a backwards range', () => {
    expect(auditRangeError(auditFiltersFrom(new URLSearchParams('from=2026-03-05&to=2026-03-01')))).toMatch(/before/);
    expect(auditRangeError(auditFiltersFrom(new URLSearchParams('from=2026-03-05')))).toBeNull();
  });
});
