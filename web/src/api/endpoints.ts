// One function per documented endpoint the dashboard uses (see docs/dashboard-api.md).
import { api, fetchAll, withQuery } from './client';
import type {
  Analytics, ApiToken, AuditEntry, AuthStatus, RecoveryCodes, SecondFactorInput, SignupInput, SsoProvider, TenantSso,
  TotpConfirmed, TotpSetup, TrustedIssuer, TrustedIssuerInput, BillingEvent, BillingEventStatus, Bucket, CreatedToken, Invitation, License,
  LicenseInput, LicenseSession, Member, MemberRole, Page, Product, ProductInput, SessionInfo, StaffUser, Tenant,
  TenantUsage, TokenRole, CreatedWebhook, Granularity, UsageReport, WebhookDelivery, WebhookEndpoint, WebhookInput,
} from './types';
import type { AccountAuditEntry, Denial } from './types';
import type {
  AuthStatusWithMail, InvitationItem, InvitationLookup, InvitationState, IssuedInvitation, MailState, OutboxMail, OutboxPage,
} from './types';

const V1 = '/api/v1';
const t = (tenantId: string) => `${V1}/tenants/${encodeURIComponent(tenantId)}`;

// --- sign-in ---------------------------------------------------------------------------

export const auth = {
  setupStatus: () => api<AuthStatus>(`${V1}/auth/status`, { quiet401: true }),
  setup: (body: { bootstrap_token: string; email: string; name: string; password: string }) =>
    api<SessionInfo>(`${V1}/auth/setup`, { method: 'POST', body, quiet401: true }),
  login: (email: string, password: string) =>
    api<SessionInfo>(`${V1}/auth/login`, { method: 'POST', body: { email, password }, quiet401: true }),
  logout: () => api<{ signed_out: boolean }>(`${V1}/auth/logout`, { method: 'POST', quiet401: true }),
  me: () => api<SessionInfo>(`${V1}/auth/me`, { quiet401: true }),
  requestReset: (email: string) =>
    api<{ queued: boolean }>(`${V1}/auth/password-reset`, { method: 'POST', body: { email }, quiet401: true }),
  confirmReset: (token: string, password: string) =>
    api<SessionInfo>(`${V1}/auth/password-reset/confirm`, { method: 'POST', body: { token, password }, quiet401: true }),
  acceptInvitation: (token: string, name: string, password: string) =>
    api<SessionInfo>(`${V1}/invitations/accept`, { method: 'POST', body: { token, name, password }, quiet401: true }),
  providers: () => api<{ items: SsoProvider[] }>(`${V1}/auth/providers`, { quiet401: true }),
  /** Where a "Sign in with …" link goes; `returnTo` is a server path such as `/dashboard/t/x/licenses`. */
  ssoStartUrl: (providerId: string, returnTo: string) =>
    withQuery(`${V1}/auth/oidc/${encodeURIComponent(providerId)}/start`, { return_to: returnTo }),
  secondFactor: (body: SecondFactorInput) =>
    api<SessionInfo>(`${V1}/auth/login/second-factor`, { method: 'POST', body, quiet401: true }),
  signup: (body: SignupInput) => api<{ queued: boolean }>(`${V1}/auth/signup`, { method: 'POST', body, quiet401: true }),
  verifySignup: (token: string) =>
    api<SessionInfo>(`${V1}/auth/signup/verify`, { method: 'POST', body: { token }, quiet401: true }),
};

// --- second factor (TOTP) ------------------------------------------------------------------
// Every call is `quiet401`: a wrong code is `401 invalid_second_factor`, which must not end
// the session in the client; the pages handle a real `401 unauthorized` themselves.

export const totp = {
  /** With a session, or with the challenge of a sign-in that must enrol first. */
  setup: (challenge?: string) =>
    api<TotpSetup>(`${V1}/auth/totp/setup`, { method: 'POST', body: challenge ? { challenge } : {}, quiet401: true }),
  confirm: (code: string, challenge?: string) =>
    api<TotpConfirmed>(`${V1}/auth/totp/confirm`, { method: 'POST', body: challenge ? { code, challenge } : { code }, quiet401: true }),
  newRecoveryCodes: (code: string) =>
    api<RecoveryCodes>(`${V1}/auth/totp/recovery-codes`, { method: 'POST', body: { code }, quiet401: true }),
  disable: (code: string) => api<{ totp_enabled: boolean }>(`${V1}/auth/totp`, { method: 'DELETE', body: { code }, quiet401: true }),
};

// --- tenants, people, tokens -----------------------------------------------------------

export const tenants = {
  list: () => fetchAll<Tenant>(`${V1}/tenants`),
  get: (id: string) => api<Tenant>(t(id)),
  create: (name: string, slug: string) => api<Tenant>(`${V1}/tenants`, { method: 'POST', body: { name, slug } }),
};

/** Whether a tenant's members must sign in through a provider. */
export const tenantSso = {
  get: (tenantId: string) => api<TenantSso>(`${t(tenantId)}/sso`),
  set: (tenantId: string, required: boolean) => api<TenantSso>(`${t(tenantId)}/sso`, { method: 'PUT', body: { sso_required: required } }),
};

/** External JWT issuers whose tokens act as tokens of a tenant. */
export const trustedIssuers = {
  list: (tenantId: string) => api<{ items: TrustedIssuer[] }>(`${t(tenantId)}/trusted-issuers`),
  create: (tenantId: string, body: TrustedIssuerInput) =>
    api<TrustedIssuer>(`${t(tenantId)}/trusted-issuers`, { method: 'POST', body }),
  remove: (tenantId: string, id: string) =>
    api<TrustedIssuer>(`${t(tenantId)}/trusted-issuers/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};

export const members = {
  list: (tenantId: string) => fetchAll<Member>(`${t(tenantId)}/users`),
  invite: (tenantId: string, email: string, role: MemberRole) =>
    api<Invitation>(`${t(tenantId)}/invitations`, { method: 'POST', body: { email, role } }),
  setRole: (tenantId: string, userId: string, role: MemberRole) =>
    api<Member>(`${t(tenantId)}/users/${encodeURIComponent(userId)}`, { method: 'PATCH', body: { role } }),
  remove: (tenantId: string, userId: string) =>
    api<Member>(`${t(tenantId)}/users/${encodeURIComponent(userId)}`, { method: 'DELETE' }),
};

export const tokens = {
  list: (tenantId: string) => fetchAll<ApiToken>(`${t(tenantId)}/tokens`),
  create: (tenantId: string, name: string, role: TokenRole) =>
    api<CreatedToken>(`${t(tenantId)}/tokens`, { method: 'POST', body: { name, role } }),
  revoke: (tenantId: string, tokenId: string) =>
    api<unknown>(`${t(tenantId)}/tokens/${encodeURIComponent(tokenId)}`, { method: 'DELETE' }),
};

// --- licenses and sessions -------------------------------------------------------------

/** Server-side filters of the license listing. */
export interface LicenseQuery {
  q?: string;
  state?: '' | 'valid' | 'suspended' | 'expired';
  expires_before?: string;
  /** Only the licenses of this product (billing contract). */
  product_id?: string;
  /** Only the licenses of this Stripe subscription (`sub_…`). */
  subscription_id?: string;
  /** Archived licenses too (`include`) or only them (`only`); absent leaves them out. */
  archived?: 'include' | 'only';
}

export const licenses = {
  listAll: (tenantId: string, query: LicenseQuery = {}) => fetchAll<License>(`${t(tenantId)}/licenses`, { ...query }),
  get: (tenantId: string, id: string) => api<License>(`${t(tenantId)}/licenses/${encodeURIComponent(id)}`),
  create: (tenantId: string, body: LicenseInput) => api<License>(`${t(tenantId)}/licenses`, { method: 'POST', body }),
  update: (tenantId: string, id: string, body: LicenseInput) =>
    api<License>(`${t(tenantId)}/licenses/${encodeURIComponent(id)}`, { method: 'PATCH', body }),
  bulkSetActive: (tenantId: string, ids: string[], isActive: boolean) =>
    api<{ updated: number }>(`${t(tenantId)}/licenses/bulk`, { method: 'POST', body: { ids, is_active: isActive } }),
  csvUrl: (tenantId: string) => `${t(tenantId)}/licenses.csv`,
  sessions: (tenantId: string, licenseId: string, status?: string, cursor?: string | null, limit = 100, range: { from?: string; to?: string } = {}) =>
    api<Page<LicenseSession>>(`${t(tenantId)}/licenses/${encodeURIComponent(licenseId)}/sessions`, {
      query: { status, cursor, limit, from: range.from, to: range.to },
    }),
  forceRelease: (tenantId: string, sessionId: string) =>
    api<LicenseSession>(`${t(tenantId)}/sessions/${encodeURIComponent(sessionId)}`, { method: 'DELETE' }),
  /** A new key for the license; the old one takes no new seats, running seats go on. */
  reissueKey: (tenantId: string, id: string) =>
    api<License>(`${t(tenantId)}/licenses/${encodeURIComponent(id)}/key`, { method: 'POST' }),
};

// --- audit and analytics ---------------------------------------------------------------

/** Who was refused a seat, newest first. */
export const denials = {
  page: (tenantId: string, q: { license_id?: string; cursor?: string | null; limit?: number } = {}) =>
    api<Page<Denial>>(`${t(tenantId)}/denials`, { query: { license_id: q.license_id, cursor: q.cursor, limit: q.limit } }),
};

export const audit = {
  page: (tenantId: string, cursor?: string | null, limit = 50) =>
    api<Page<AuditEntry>>(`${t(tenantId)}/audit`, { query: { cursor, limit } }),
  /** A page of the entries matching `filter` (actor, resource, resource_id, action, from, to), filtered by the server before paging. */
  filtered: (tenantId: string, filter: Record<string, string | undefined>, cursor?: string | null, limit = 50) =>
    api<Page<AuditEntry>>(`${t(tenantId)}/audit`, { query: { ...filter, cursor, limit } }),
};

export interface AnalyticsQuery {
  license_id?: string;
  from?: string;
  to?: string;
  bucket?: Bucket;
}

export const analytics = {
  tenant: (tenantId: string, q: AnalyticsQuery) => api<Analytics>(`${t(tenantId)}/analytics`, { query: { ...q } }),
  acrossTenants: (from?: string, to?: string) =>
    api<{ items: TenantUsage[] }>(`${V1}/analytics/tenants`, { query: { from, to } }),
};

// --- billing: products and Stripe events (docs/contract/billing-api.md) --------------------

/** Products staff sell: one page at a time for the Products page, all of them for pickers. */
export const products = {
  page: (cursor?: string | null, limit = 50) => api<Page<Product>>(`${V1}/products`, { query: { cursor, limit } }),
  listAll: () => fetchAll<Product>(`${V1}/products`),
  get: (id: string) => api<Product>(`${V1}/products/${encodeURIComponent(id)}`),
  create: (body: ProductInput) => api<Product>(`${V1}/products`, { method: 'POST', body }),
  update: (id: string, body: ProductInput) => api<Product>(`${V1}/products/${encodeURIComponent(id)}`, { method: 'PATCH', body }),
};

/** Server-side filters of the billing events listing. */
export interface BillingEventQuery {
  type?: string;
  status?: '' | BillingEventStatus;
}

/** The Stripe events the server stored, newest first, so staff can see what each did. */
export const billing = {
  events: (q: BillingEventQuery, cursor?: string | null, limit = 50) =>
    api<Page<BillingEvent>>(`${V1}/billing/events`, { query: { ...q, cursor, limit } }),
};

export const staff = {
  users: () => fetchAll<StaffUser>(`${V1}/users`),
  // Staff administration of accounts (issue 15): each answers the user as listed.
  promote: (userId: string) => api<StaffUser>(`${V1}/users/${encodeURIComponent(userId)}/promote`, { method: 'POST' }),
  demote: (userId: string) => api<StaffUser>(`${V1}/users/${encodeURIComponent(userId)}/demote`, { method: 'POST' }),
  deactivate: (userId: string) => api<StaffUser>(`${V1}/users/${encodeURIComponent(userId)}/deactivate`, { method: 'POST' }),
  reactivate: (userId: string) => api<StaffUser>(`${V1}/users/${encodeURIComponent(userId)}/reactivate`, { method: 'POST' }),
  unlockSignIn: (userId: string) =>
    api<{ unlocked: boolean }>(`${V1}/users/${encodeURIComponent(userId)}/unlock-sign-in`, { method: 'POST' }),
  accountLog: () => api<{ items: AccountAuditEntry[] }>(`${V1}/users/audit`),
};

// --- metering and outgoing webhooks ------------------------------------------------------

/** The usage query: an RFC 3339 range, its buckets, maybe one license. */
export interface UsageQuery {
  from: string;
  to: string;
  granularity: Granularity;
  license_id?: string;
}

export const usage = {
  report: (tenantId: string, q: UsageQuery) => api<UsageReport>(`${t(tenantId)}/usage`, { query: { ...q } }),
  /** The same rows as CSV (the server's formula-safe cells), as a file to save. */
  csv: async (tenantId: string, q: UsageQuery): Promise<Blob> => {
    const r = await fetch(withQuery(`${t(tenantId)}/usage`, { ...q }), { headers: { accept: 'text/csv' }, credentials: 'same-origin' });
    if (!r.ok) throw new Error(`the CSV download failed (HTTP ${r.status})`);
    return r.blob();
  },
};

/** Webhooks of a tenant (`tenantId`), or staff-wide ones (`null`). */
const hooks = (tenantId: string | null) => (tenantId ? `${t(tenantId)}/webhooks` : `${V1}/webhooks`);

export const webhooks = {
  list: (tenantId: string | null) => fetchAll<WebhookEndpoint>(hooks(tenantId)),
  create: (tenantId: string | null, body: WebhookInput) => api<CreatedWebhook>(hooks(tenantId), { method: 'POST', body }),
  update: (tenantId: string | null, id: string, body: WebhookInput) =>
    api<WebhookEndpoint>(`${hooks(tenantId)}/${encodeURIComponent(id)}`, { method: 'PATCH', body }),
  remove: (tenantId: string | null, id: string) => api<unknown>(`${hooks(tenantId)}/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  deliveries: (tenantId: string | null, id: string, cursor?: string | null, limit = 25) =>
    api<Page<WebhookDelivery>>(`${hooks(tenantId)}/${encodeURIComponent(id)}/deliveries`, { query: { cursor, limit } }),
  redeliver: (tenantId: string | null, id: string, deliveryId: string) =>
    api<WebhookDelivery>(`${hooks(tenantId)}/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`, { method: 'POST' }),
};

// --- mail honesty, outbox and invitation lifecycle (issue 15 point 1) ----------------------

/** Whether this server sends mail (from `GET /auth/status`). */
export const mailStatus = () => api<AuthStatusWithMail>(`${V1}/auth/status`, { quiet401: true });

export const invitations = {
  /** Invites (replacing a live invitation to the same address); the answer carries the link once. */
  invite: (tenantId: string, email: string, role: MemberRole) =>
    api<IssuedInvitation>(`${t(tenantId)}/invitations`, { method: 'POST', body: { email, role } }),
  list: (tenantId: string, state?: InvitationState) =>
    fetchAll<InvitationItem>(`${t(tenantId)}/invitations`, { state }),
  resend: (tenantId: string, id: string) =>
    api<IssuedInvitation>(`${t(tenantId)}/invitations/${encodeURIComponent(id)}/resend`, { method: 'POST' }),
  revoke: (tenantId: string, id: string) =>
    api<InvitationItem>(`${t(tenantId)}/invitations/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  /** The token goes in the body, not the address, so that it stays out of logs. */
  lookup: (token: string) =>
    api<InvitationLookup>(`${V1}/invitations/lookup`, { method: 'POST', body: { token }, quiet401: true }),
};

export const outbox = {
  list: (state?: MailState, cursor?: string | null) =>
    api<OutboxPage>(`${V1}/outbox`, { query: { state, cursor, limit: 50 } }),
  retry: (id: string) => api<OutboxMail>(`${V1}/outbox/${encodeURIComponent(id)}/retry`, { method: 'POST' }),
};

export { withQuery };
