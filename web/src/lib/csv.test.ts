import { describe, expect, it } from 'vitest';
import type { License } from '../api/types';
import { csvField, licensesCsv } from './csv';

describe('CSV export of the view', () => {
  it('has the server columns and never the key', () => {
    const l = { id: 'i', name: 'Acme, "Pro"', key_hint: 'WXYZ', license_key: 'SECRET-KEY', seats_total: 5, seats_used: 2, expires_at: null, is_active: true, created_at: '2026-01-01T00:00:00Z' } as License;
    const text = licensesCsv([l]);
    expect(text).toBe('id,name,key_hint,seats_total,seats_used,expires_at,is_active,created_at\r\ni,"Acme, ""Pro""",WXYZ,5,2,,true,2026-01-01T00:00:00Z\r\n');
    expect(text).not.toContain('SECRET');
  });
  it('defuses spreadsheet formulas', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-5')).toBe("'-5");
    expect(csvField(3)).toBe('3');
    expect(csvField(-3)).toBe('-3');
  });
});
