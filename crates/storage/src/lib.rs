//! The storage seam. What the server persists is split into role traits (tenants,
//! licenses, seats, accounts, members, outbox, usage, signing keys, billing, webhooks, meter reports), combined into one
//! [`Store`]; each backend crate (SQLite, PostgreSQL) implements every role, one module a
//! role, and the server picks one by the scheme of the database URL and never knows which
//! it talks to. What is the same on every backend (decoding rows into records, paging)
//! is written once here, in [`decode`]; rules (owner rules, audit entries, back-off) live
//! in the domain crate. Seat operations are whole transactions, not building blocks,
//! because the seat invariant is only as strong as the atomicity around it.

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod decode;
mod error;
mod event_records;
mod identity_records;
mod records;
mod roles;
pub mod shared;
pub mod sql;

pub use error::{ConflictField, StoreError, StoreResult};
pub use event_records::{
    fan_out_plan, Attempt, DueMeterReport, ExpiredLicense, MeteredLicense, NewDelivery,
    NewMeterReport, PendingEvent, WebhookScope,
};
pub use identity_records::{NewSignup, NewSsoFlow, PendingSignup, SsoFlow, TotpRecord};
pub use records::{
    AcquireOutcome, AcquireRequest, ExpiringLicense, HeartbeatOutcome, InviteeAccount, KeyRotation,
    LicenseSeatUse, LicenseWithUsage, NewApiToken, NewInvitation, NewMail, NewSigningKey, OneTime,
    OutboxCounts, OutboxMail, ReleaseOutcome, SeatUseQuery, SessionTimes, SigningKeyRecord,
    TenantUsage,
};
pub use records::{Denial, NewLicenseKey, RetiredKey};
pub use records::{InvitationRecord, OutboxEntry};
pub use roles::{
    AccountStore, BillingStore, BillingTx, EventOutbox, IdentityStore, LicenseStore, MemberStore,
    MeterStore, OutboxStore, Reseal, ResealReport, SealedSecretStore, SeatStore, SigningKeyStore,
    StoreHealth, TenantStore, UsageStore, WebhookStore,
};

/// Every role trait, for code that calls store methods on a concrete backend type (on a
/// `dyn Store` they resolve without it): `use coditect_storage::prelude::*;`.
pub mod prelude {
    pub use crate::{
        AccountStore, BillingStore, BillingTx, EventOutbox, IdentityStore, LicenseStore,
        MemberStore, MeterStore, OutboxStore, SealedSecretStore, SeatStore, SigningKeyStore, Store,
        StoreHealth, TenantStore, UsageStore, WebhookStore,
    };
}

/// What every backend's role modules speak in: the domain's records, this crate's records,
/// errors and role traits, and the shared decoders (`use coditect_storage::backend::*;`).
pub mod backend {
    pub use async_trait::async_trait;
    pub use chrono::{DateTime, Duration, Utc};
    pub use coditect_domain::account::{keeps_an_owner, takes_an_owner_away};
    pub use coditect_domain::{
        Actor, ApiToken, AuditEntry, AuditFilter, BillingEvent, BillingEventFilter,
        BillingEventStatus, BucketUsage, EndReason, Invitation, License, LicenseFilter,
        LicensePatch, LicenseState, Member, MemberRole, Membership, NewAuditEntry, NewBillingEvent,
        NewLicense, NewProduct, NewTenant, OneTimeState, Page, PageRequest, Product, ProductPatch,
        SeatError, Session, SessionStatus, Subscription, Tenant, User, UserCredentials,
        UserProfile,
    };
    pub use uuid::Uuid;

    pub use crate::decode;
    pub use crate::prelude::*;
    pub use crate::{
        AcquireOutcome, AcquireRequest, ConflictField, ExpiringLicense, HeartbeatOutcome,
        InviteeAccount, KeyRotation, LicenseSeatUse, LicenseWithUsage, NewApiToken, NewInvitation,
        NewMail, NewSigningKey, OneTime, OutboxCounts, OutboxMail, ReleaseOutcome, Reseal,
        ResealReport, SeatUseQuery, SigningKeyRecord, StoreError, StoreResult, TenantUsage,
    };
    pub use crate::{
        Attempt, DueMeterReport, ExpiredLicense, MeteredLicense, NewDelivery, NewMeterReport,
        PendingEvent, WebhookScope,
    };
    pub use crate::{Denial, NewLicenseKey, RetiredKey};
    pub use crate::{InvitationRecord, OutboxEntry};
    pub use crate::{NewSignup, NewSsoFlow, PendingSignup, SsoFlow, TotpRecord};
    pub use coditect_domain::invitation::InvitationState;
    pub use coditect_domain::mail::MailState;
    pub use coditect_domain::{
        DueDelivery, NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WebhookPatch,
    };
    pub use coditect_domain::{NewTrustedIssuer, TrustedIssuer};
}

/// Everything the server persists: every role at once. Implementations must make each
/// seat operation atomic with respect to every other, across all processes that share the
/// database. Implemented for any type that implements every role.
pub trait Store:
    StoreHealth
    + TenantStore
    + LicenseStore
    + BillingStore
    + SeatStore
    + SigningKeyStore
    + AccountStore
    + MemberStore
    + OutboxStore
    + UsageStore
    + WebhookStore
    + EventOutbox
    + IdentityStore
    + MeterStore
    + SealedSecretStore
    + 'static
{
}

impl<T> Store for T where
    T: StoreHealth
        + TenantStore
        + LicenseStore
        + BillingStore
        + SeatStore
        + SigningKeyStore
        + AccountStore
        + MemberStore
        + OutboxStore
        + UsageStore
        + WebhookStore
        + EventOutbox
        + IdentityStore
        + MeterStore
        + SealedSecretStore
        + 'static
{
}
