// The trusted-issuer form's values, their checks, and the API body: the role mapping is
// edited as rows "claim value → role" and sent as the `roles` object.
import type { TokenRole, TrustedIssuerInput } from '../api/types';

/** One line of the role mapping; `*` stands for any other value or a missing claim. */
export interface RoleRow {
  value: string;
  role: TokenRole;
}

/** What the form edits. */
export interface TrustedIssuerFormValues {
  issuer: string;
  jwks_url: string;
  audience: string;
  role_claim: string;
  rows: RoleRow[];
}

/** The value of the default row. */
export const DEFAULT_CLAIM_VALUE = '*';

export const EMPTY_TRUSTED_ISSUER_FORM: TrustedIssuerFormValues = {
  issuer: '',
  jwks_url: '',
  audience: '',
  role_claim: 'roles',
  rows: [{ value: DEFAULT_CLAIM_VALUE, role: 'read_only' }],
};

/** The body of `POST …/trusted-issuers`, or per-field messages (`roles` for the mapping) when the form is not ready. */
export function trustedIssuerBody(v: TrustedIssuerFormValues): { body: TrustedIssuerInput | null; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const issuer = v.issuer.trim();
  const jwks_url = v.jwks_url.trim();
  const audience = v.audience.trim();
  const role_claim = v.role_claim.trim();
  if (!issuer) errors.issuer = 'Enter the issuer (the `iss` of its tokens).';
  if (!jwks_url) errors.jwks_url = 'Enter the URL of the issuer\'s JWKS.';
  // https://, or http:// to loopback (which the server accepts only in its test mode).
  else if (!/^https:\/\//i.test(jwks_url) && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/i.test(jwks_url)) errors.jwks_url = 'The JWKS URL must start with https://.';
  if (!audience) errors.audience = 'Enter the audience (the `aud` its tokens carry for this server).';
  if (!role_claim) errors.role_claim = 'Enter the claim that holds the role, e.g. roles.';
  const roles: Record<string, TokenRole> = {};
  for (const row of v.rows) {
    const value = row.value.trim();
    if (!value) { errors.roles = 'Every row needs a claim value (use * for "any other").'; continue; }
    if (value in roles) { errors.roles = `The value "${value}" is there twice.`; continue; }
    roles[value] = row.role;
  }
  if (v.rows.length === 0) errors.roles = 'Map at least one claim value (or * for everyone) to a role.';
  if (Object.keys(errors).length) return { body: null, errors };
  return { body: { issuer, jwks_url, audience, role_claim, roles }, errors };
}

/** The mapping as rows, in the server's order but with `*` last (for showing an issuer). */
export function rolesAsRows(roles: Record<string, TokenRole>): RoleRow[] {
  const rows = Object.entries(roles).map(([value, role]) => ({ value, role }));
  return [...rows.filter((r) => r.value !== DEFAULT_CLAIM_VALUE), ...rows.filter((r) => r.value === DEFAULT_CLAIM_VALUE)];
}
