import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { qrPath } from '../components/QrCode';
import { isExpired, isWrongCode, normalizeTotp, totpCodeProblem } from './secondFactor';
import { ssoReturnTo, ssoStartHref } from './sso';
import { EMPTY_TRUSTED_ISSUER_FORM, rolesAsRows, trustedIssuerBody } from './trustedIssuerForm';

describe('single sign-on links', () => {
  it('come back under /dashboard to the wanted path only', () => {
    expect(ssoReturnTo('/t/x/audit')).toBe('/dashboard/t/x/audit');
    expect(ssoReturnTo(null)).toBe('/dashboard/');
    expect(ssoReturnTo('/')).toBe('/dashboard/');
    expect(ssoReturnTo('//evil.example')).toBe('/dashboard/');
    expect(ssoReturnTo('/\\evil.example')).toBe('/dashboard/');
    expect(ssoReturnTo('https://evil.example')).toBe('/dashboard/');
    expect(ssoStartHref('my idp', '/t/a b')).toBe('/api/v1/auth/oidc/my%20idp/start?return_to=%2Fdashboard%2Ft%2Fa+b');
  });
});

describe('second factor input', () => {
  it('accepts six digits, with spaces people paste', () => {
    expect(normalizeTotp(' 123 456 ')).toBe('123456');
    expect(totpCodeProblem('123 456')).toBeNull();
    expect(totpCodeProblem('12345')).toMatch(/6 digits/);
    expect(totpCodeProblem('abcdef')).toMatch(/6 digits/);
  });
  it('tells a wrong code from an expired challenge', () => {
    const wrong = new ApiError(401, 'invalid_second_factor', 'x');
    const gone = new ApiError(401, 'unauthorized', 'x');
    expect([isWrongCode(wrong), isExpired(wrong)]).toEqual([true, false]);
    expect([isWrongCode(gone), isExpired(gone)]).toEqual([false, true]);
  });
});

describe('QR code', () => {
  it('draws the modules of a version 1 code inside a quiet zone', () => {
    const { d, side } = qrPath('hello');
    expect(side).toBe(21 + 8);
    // The top-left finder pattern starts at the quiet zone's corner.
    expect(d.startsWith('M4 4h1v1h-1z')).toBe(true);
  });
});

describe('trusted issuer form', () => {
  it('turns rows into the roles map', () => {
    const { body, errors } = trustedIssuerBody({
      ...EMPTY_TRUSTED_ISSUER_FORM, issuer: ' https://ci.example.com ', jwks_url: 'https://ci.example.com/jwks', audience: 'aud',
      rows: [{ value: ' deployer ', role: 'admin' }, { value: '*', role: 'read_only' }],
    });
    expect(errors).toEqual({});
    expect(body).toEqual({ issuer: 'https://ci.example.com', jwks_url: 'https://ci.example.com/jwks', audience: 'aud', role_claim: 'roles', roles: { deployer: 'admin', '*': 'read_only' } });
  });
  it('names the fields that are missing or wrong', () => {
    const { body, errors } = trustedIssuerBody({ ...EMPTY_TRUSTED_ISSUER_FORM, jwks_url: 'http://x', role_claim: ' ', rows: [{ value: '', role: 'admin' }] });
    expect(body).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(['audience', 'issuer', 'jwks_url', 'role_claim', 'roles']);
  });
  it('lists the default row last', () => {
    expect(rolesAsRows({ '*': 'read_only', a: 'admin' }).map((r) => r.value)).toEqual(['a', '*']);
  });
});
