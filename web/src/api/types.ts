// Shapes of the server's JSON, as written in /work/shared/spec/licensing-api.md (v1) and
// docs/dashboard-api.md (accounts, analytics). Only what the dashboard reads is typed.

/** A page of a cursor-paginated listing. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Role of a person in a tenant. */
export type MemberRole = 'owner' | 'admin' | 'viewer';

/** One tenant a user belongs to. */
export interface Membership {
  tenant_id: string;
  tenant_name: string;
  tenant_slug: string;
  role: MemberRole;
}

/** The signed-in person. */
export interface User {
  id: string;
  email: string;
  name: string;
  is_staff: boolean;
  /** Whether sign-in asks for a TOTP code (issue 11). */
  totp_enabled: boolean;
  memberships: Membership[];
}

/** Answer of sign-in, setup, `me`, invitation acceptance and password reset. */
export interface SessionInfo {
  user: User;
  csrf_token: string;
}

// --- identity: single sign-on, sign-up, second factor, trusted issuers (issue 11) --------

/** `GET /auth/status`: whether to show first-run setup, and whether people may sign up. */
export interface AuthStatus {
  setup_required: boolean;
  /** Absent on servers before issue 11: treat as `off`. */
  signup?: 'open' | 'off';
}

/** A single sign-on provider the sign-in page offers (`GET /auth/providers`). */
export interface SsoProvider {
  id: string;
  name: string;
}

/** Why an SSO sign-in failed: the `sso_error` the callback puts on `/dashboard/login`. */
export type SsoErrorReason =
  | 'state_mismatch' | 'provider_error' | 'token_invalid' | 'email_unverified' | 'no_account' | 'sso_unavailable'
  | 'account_deactivated';

/** Body of `POST /auth/signup`. */
export interface SignupInput {
  email: string;
  name: string;
  password: string;
  organisation: string;
}

/** The second step of a sign-in: a TOTP code or one recovery code, with the challenge. */
export type SecondFactorInput = { challenge: string; code: string } | { challenge: string; recovery_code: string };

/** `POST /auth/totp/setup`: the new, not yet confirmed secret. */
export interface TotpSetup {
  /** base32, for typing into an app by hand. */
  secret: string;
  otpauth_uri: string;
}

/** `POST /auth/totp/confirm`: TOTP is on; the recovery codes are shown this once. */
export interface TotpConfirmed {
  recovery_codes: string[];
  user: User;
  /** Only when the confirmation also signed in (enrolment during sign-in). */
  csrf_token?: string;
}

/** `POST /auth/totp/recovery-codes`: a fresh set; the old codes stop working. */
export interface RecoveryCodes {
  recovery_codes: string[];
}

/** `GET`/`PUT /tenants/{id}/sso`. */
export interface TenantSso {
  sso_required: boolean;
}

/** A JWT issuer whose tokens act as tokens of a tenant. */
export interface TrustedIssuer {
  id: string;
  tenant_id: string;
  issuer: string;
  jwks_url: string;
  audience: string;
  role_claim: string;
  /** Claim value → role; `*` for any other value or a missing claim. */
  roles: Record<string, TokenRole>;
  created_at: string;
}

/** Body of `POST /tenants/{id}/trusted-issuers`. */
export type TrustedIssuerInput = Omit<TrustedIssuer, 'id' | 'tenant_id' | 'created_at'>;

export interface Tenant {
  id: string;
  name: string;
  slug: string;
  created_at: string;
  /** The Stripe customer a checkout linked to this tenant (billing contract); absent on older servers. */
  stripe_customer_id?: string | null;
  /** Where billing mail goes (the checkout's e-mail). */
  billing_email?: string | null;
}

export interface License {
  id: string;
  tenant_id: string;
  name: string | null;
  license_key: string | null;
  key_hint: string;
  seats_total: number;
  seats_used: number;
  expires_at: string | null;
  heartbeat_ttl_seconds: number;
  entitlements: string[];
  metadata: Record<string, unknown>;
  is_active: boolean;
  created_at: string;
  updated_at: string;
  /** Longest offline borrow a client may take, in hours (0: borrowing off); absent on older servers. */
  max_borrow_hours?: number;
  /** The product the license came from; null for licenses made by hand, absent on servers without billing. */
  product_id?: string | null;
  /** The Stripe subscription that keeps the license alive; null when none. */
  subscription?: Subscription | null;
  /** When it was archived (hidden from the list and suspended); null while in use. */
  archived_at?: string | null;
}

/** Stripe's subscription statuses, as the billing contract copies them onto a license. */
export type SubscriptionStatus =
  | 'trialing' | 'active' | 'past_due' | 'unpaid' | 'canceled' | 'incomplete' | 'incomplete_expired' | 'paused';

/** The billing side of a license: which Stripe subscription pays for it and in what state it is. */
export interface Subscription {
  provider: 'stripe';
  id: string;
  customer_id: string;
  status: SubscriptionStatus;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
}

/** A license template staff sell through Stripe (billing contract, "Products"). */
export interface Product {
  id: string;
  slug: string;
  name: string;
  seats_per_unit: number;
  heartbeat_ttl_seconds: number;
  entitlements: string[];
  trial_days: number;
  trial_seats: number;
  grace_days: number;
  stripe_price_ids: string[];
  metered: boolean;
  created_at: string;
  updated_at: string;
}

/** Body of `POST /products` (slug and name required there) and of `PATCH` (any subset). */
export type ProductInput = Partial<Omit<Product, 'id' | 'created_at' | 'updated_at'>>;

/** What the server did with a stored Stripe event. */
export type BillingEventStatus = 'applied' | 'ignored' | 'pending';

/** One stored Stripe webhook event, as `GET /billing/events` lists it. */
export interface BillingEvent {
  id: string;
  type: string;
  created: string;
  received_at: string;
  status: BillingEventStatus;
  reason: string | null;
  license_ids: string[];
  /** The tenant of those licenses (for links); null when the event touched none. */
  tenant_id?: string | null;
}

/** Fields a license can be created or changed with. */
export interface LicenseInput {
  name?: string | null;
  seats_total?: number;
  expires_at?: string | null;
  heartbeat_ttl_seconds?: number;
  entitlements?: string[];
  metadata?: Record<string, unknown>;
  is_active?: boolean;
  /** 0–2160; 0 turns borrowing off. */
  max_borrow_hours?: number;
  /** Archives (true) or brings back (false). */
  archived?: boolean;
}

export type SessionStatus = 'active' | 'released' | 'expired';

export interface LicenseSession {
  id: string;
  license_id: string;
  hardware_id: string;
  user_email: string | null;
  client: Record<string, unknown> | null;
  status: SessionStatus;
  end_reason: null | 'released' | 'forced' | 'expired';
  created_at: string;
  last_heartbeat_at: string;
  expires_at: string;
  ended_at: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: { type: string; id: string | null; name: string | null };
  action: string;
  resource: string;
  resource_id: string | null;
  before: unknown;
  after: unknown;
}

export interface Member {
  id: string;
  email: string;
  name: string;
  role: MemberRole;
  created_at: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: MemberRole;
  expires_at: string;
}

export type TokenRole = 'admin' | 'read_only';

export interface ApiToken {
  id: string;
  name: string;
  role: TokenRole;
  created_at: string;
  revoked_at?: string | null;
}

export interface CreatedToken extends ApiToken {
  token: string;
}

export type Bucket = 'minute' | 'hour' | 'day';

export interface UsagePoint {
  at: string;
  seats_used_avg: number;
  seats_used_peak: number;
  denials: number;
  /** The bucket is still running: its figures are "so far" (absent from older servers). */
  partial?: boolean;
}

export interface Analytics {
  bucket: Bucket;
  from: string;
  to: string;
  series: UsagePoint[];
  peak: number;
  average: number;
  denials_total: number;
}

export interface TenantUsage {
  tenant_id: string;
  tenant_name: string;
  peak: number;
  average: number;
  denials_total: number;
  licenses: number;
  live_sessions: number;
}

/** A user as the staff listing shows it. */
export type StaffUser = User & {
  created_at?: string;
  /** When staff deactivated the account; `null` while active (issue 15). */
  deactivated_at?: string | null;
};

// --- metering and outgoing webhooks (docs/contract/billing-api.md) --------------------

/** How usage is bucketed: UTC hours, days or calendar months. */
export type Granularity = 'hour' | 'day' | 'month';

/** One license's use in one bucket, exact from its sessions. */
export interface UsageRow {
  license_id: string;
  product_id: string | null;
  start: string;
  end: string;
  seat_hours: number;
  peak_seats: number;
  sessions: number;
  denials: number;
}

/** `GET …/usage`. */
export interface UsageReport {
  items: UsageRow[];
  from: string;
  to: string;
}

/** The events an endpoint may receive. */
export const WEBHOOK_EVENTS = [
  'license.created', 'license.updated', 'license.expiring', 'license.expired',
  'seat.denied', 'session.expired', 'subscription.updated',
] as const;

/** A registered webhook receiver (`tenant_id` null: staff-wide). */
export interface WebhookEndpoint {
  id: string;
  tenant_id: string | null;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** The registration's answer: the only one with the secret. */
export interface CreatedWebhook extends WebhookEndpoint {
  secret: string;
}

/** One event's delivery to an endpoint. */
export interface WebhookDelivery {
  id: string;
  event_id: string;
  event: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** A registration or a change. */
export interface WebhookInput {
  url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
}

// --- mail honesty, outbox and invitation lifecycle (issue 15 point 1) ----------------------

/** Whether this server sends mail (`GET /auth/status` → `mail`); absent on older servers. */
export interface MailStatus {
  /** `false`: CODITECT_SMTP_URL is not set, so mails stay queued in the outbox, unsent. */
  configured: boolean;
}

/** `GET /auth/status` with the mail field. */
export interface AuthStatusWithMail extends AuthStatus {
  mail?: MailStatus;
}

/** An invitation just made by an invite or a resend: its link is shown this once. */
export interface IssuedInvitation extends Invitation {
  accept_url: string;
  mail_configured: boolean;
}

export type InvitationState = 'pending' | 'accepted' | 'expired' | 'revoked' | 'replaced';

/** An invitation in a tenant's list. */
export interface InvitationItem {
  id: string;
  email: string;
  role: MemberRole;
  state: InvitationState;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  revoked_at: string | null;
}

/** What the holder of an invitation link may learn about it (`POST /invitations/lookup`). */
export interface InvitationLookup {
  tenant_name: string;
  role: MemberRole;
  email: string;
  state: InvitationState;
}

export type MailState = 'queued' | 'sent' | 'failed';

/** A mail of the outbox, never with its body. */
export interface OutboxMail {
  id: string;
  kind: string;
  recipient: string;
  subject: string;
  state: MailState;
  attempts: number;
  last_error: string | null;
  created_at: string;
  next_attempt_at: string | null;
  sent_at: string | null;
  failed_at: string | null;
}

/** A page of the outbox with its totals. */
export interface OutboxPage extends Page<OutboxMail> {
  totals: { queued: number; sent: number; failed: number };
  mail_configured: boolean;
}

// --- staff administration of accounts (issue 15) ------------------------------------------

/** An entry of the account log: what staff did to an account (`GET /users/audit`). */
export interface AccountAuditEntry {
  id: string;
  user_id: string;
  action: 'user.promote' | 'user.demote' | 'user.deactivate' | 'user.reactivate' | 'user.unlock_sign_in';
  actor: { type: string; id: string | null; name: string | null };
  before: { email: string; is_staff: boolean; deactivated_at: string | null } | null;
  after: { email: string; is_staff: boolean; deactivated_at: string | null } | null;
  created_at: string;
}

/** A refused acquire, with who was refused (`GET …/denials`). */
export interface Denial {
  id: string;
  license_id: string;
  license_name: string | null;
  at: string;
  /** Null for denials recorded before the server kept it. */
  hardware_id: string | null;
  user_email: string | null;
}
