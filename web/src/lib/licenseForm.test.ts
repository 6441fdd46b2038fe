import { describe, expect, it } from 'vitest';
import type { License } from '../api/types';
import { borrowHint, EMPTY_LICENSE_FORM, formFromLicense, licenseBody, parseEntitlements } from './licenseForm';

const original: License = {
  id: 'l1', tenant_id: 't1', name: 'CAD', license_key: 'KEY', key_hint: 'ABCD', seats_total: 5, seats_used: 1,
  expires_at: '2030-01-01T10:00:00Z', heartbeat_ttl_seconds: 360, entitlements: ['export'], metadata: { plan: 'pro' },
  is_active: true, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
};

describe('licenseBody', () => {
  it('builds a full create body', () => {
    const { body, errors } = licenseBody({ ...EMPTY_LICENSE_FORM, name: ' New ', seats_total: '10', entitlements: 'a, b\nb', metadata: '{"x":1}' });
    expect(errors).toEqual({});
    expect(body).toEqual({ name: 'New', seats_total: 10, expires_at: null, heartbeat_ttl_seconds: 360, entitlements: ['a', 'b'], metadata: { x: 1 }, is_active: true, max_borrow_hours: 0 });
  });

  it('sends nothing for an unchanged edit and only the changed fields otherwise', () => {
    expect(licenseBody(formFromLicense(original), original).body).toEqual({});
    const v = { ...formFromLicense(original), seats_total: '8', is_active: false, name: '' };
    expect(licenseBody(v, original).body).toEqual({ seats_total: 8, is_active: false, name: null });
  });

  it('clears the expiry with an empty input', () => {
    expect(licenseBody({ ...formFromLicense(original), expires_at: '' }, original).body).toEqual({ expires_at: null });
  });

  it('refuses bad numbers and bad metadata with per-field messages', () => {
    const { errors } = licenseBody({ ...EMPTY_LICENSE_FORM, seats_total: '0', heartbeat_ttl_seconds: '1.5', metadata: '[1]' });
    expect(Object.keys(errors).sort()).toEqual(['heartbeat_ttl_seconds', 'metadata', 'seats_total']);
    expect(licenseBody({ ...EMPTY_LICENSE_FORM, metadata: '{oops' }).errors.metadata).toMatch(/not valid JSON/);
    expect(licenseBody({ ...EMPTY_LICENSE_FORM, seats_total: '1000001' }).errors.seats_total).toMatch(/between 1 and 1000000/);
  });

  it('splits entitlements on commas and lines, dropping blanks and repeats', () => {
    expect(parseEntitlements(' a,,b \n a\n\nc ')).toEqual(['a', 'b', 'c']);
  });

  it('edits the longest borrow: only when changed, within 0 to 2160 hours', () => {
    const withBorrow = { ...original, max_borrow_hours: 72 };
    expect(formFromLicense(withBorrow).max_borrow_hours).toBe('72');
    expect(licenseBody(formFromLicense(withBorrow), withBorrow).body).toEqual({});
    expect(licenseBody({ ...formFromLicense(withBorrow), max_borrow_hours: '0' }, withBorrow).body).toEqual({ max_borrow_hours: 0 });
    expect(licenseBody({ ...EMPTY_LICENSE_FORM, max_borrow_hours: '48' }).body.max_borrow_hours).toBe(48);
    expect(licenseBody({ ...EMPTY_LICENSE_FORM, max_borrow_hours: '2161' }).errors.max_borrow_hours).toMatch(/between 0 and 2160/);
    expect(licenseBody({ ...EMPTY_LICENSE_FORM, max_borrow_hours: 'lots' }).errors.max_borrow_hours).toMatch(/whole number/);
  });

  it('says what the borrow value means', () => {
    expect(borrowHint('0')).toMatch(/off/);
    expect(borrowHint('72')).toMatch(/72 hours \(3 days\)/);
  });
});
