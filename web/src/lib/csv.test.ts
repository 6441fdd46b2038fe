import { describe, expect, it } from 'vitest';
import type { License } from '../api/types';
import { auditCsv, csvField, licensesCsv } from './csv';

describe('CSV export of the view', () => {
  it('has the server columns, state, TTL, borrow, entitlements and metadata, and never the key', () => {
    const l = { id: 'i', name: 'Acme, "Pro"', key_hint: 'WXYZ', license_key: 'SECRET-KEY', seats_total: 5, seats_used: 2, expires_at: null, is_active: true, created_at: '2026-01-01T00:00:00Z', heartbeat_ttl_seconds: 360, entitlements: ['export', 'render'], metadata: { plan: 'pro' }, max_borrow_hours: 24, tenant_id: 't', updated_at: '2026-01-01T00:00:00Z' } as License;
    const text = licensesCsv([l]);
    expect(text).toBe('id,name,key_hint,seats_total,seats_used,expires_at,is_active,created_at,state,heartbeat_ttl_seconds,max_borrow_hours,entitlements,metadata\r\n'
      + 'i,"Acme, ""Pro""",WXYZ,5,2,,true,2026-01-01T00:00:00Z,valid,360,24,export;render,"{""plan"":""pro""}"\r\n');
    expect(text).not.toContain('SECRET');
    expect(licensesCsv([{ ...l, is_active: false }])).toContain(',suspended,');
  });
  it('defuses spreadsheet formulas', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-5')).toBe("'-5");
    expect(csvField(3)).toBe('3');
    expect(csvField(-3)).toBe('-3');
  });
});

describe('CSV export of the audit log', () => {
  it('writes one line per entry, naming what it is about, with before and after as JSON', () => {
    const text = auditCsv([{ id: 'a', at: '2026-01-01T00:00:00Z', actor: { type: 'user', id: 'u', name: 'ana@acme.test' }, action: 'license.update', resource: 'license', resource_id: 'l1', before: { seats_total: 1 }, after: { seats_total: 2 } }],
      () => ({ label: 'License CAD', licenseId: 'l1' }));
    expect(text).toBe('at,action,actor_type,actor,resource,resource_id,about,license_id,before,after\r\n'
      + '2026-01-01T00:00:00Z,license.update,user,ana@acme.test,license,l1,License CAD,l1,"{""seats_total"":1}","{""seats_total"":2}"\r\n');
  });
});
