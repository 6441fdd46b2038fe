//! The store's roles, one trait a file. A feature adds its methods to the role it
//! belongs to (or a new role), and a reader finds each backend's implementation in the
//! backend module of the same name.

mod accounts;
mod billing;
mod billing_tx;
mod health;
mod identity;
mod licenses;
mod members;
mod meter;
mod outbox;
mod sealed;
mod seats;
mod signing;
mod tenants;
mod usage;
mod webhooks;

pub use accounts::AccountStore;
pub use billing::BillingStore;
pub use billing_tx::BillingTx;
pub use health::StoreHealth;
pub use identity::IdentityStore;
pub use licenses::LicenseStore;
pub use members::MemberStore;
pub use meter::MeterStore;
pub use outbox::OutboxStore;
pub use sealed::{Reseal, ResealReport, SealedSecretStore};
pub use seats::SeatStore;
pub use signing::SigningKeyStore;
pub use tenants::TenantStore;
pub use usage::UsageStore;
pub use webhooks::{EventOutbox, WebhookStore};

/// What every role file speaks in.
mod prelude {
    pub(super) use async_trait::async_trait;
    pub(super) use chrono::{DateTime, Duration, Utc};
    pub(super) use coditect_domain::{
        Actor, ApiToken, AuditEntry, AuditFilter, BucketUsage, Invitation, LicenseFilter,
        LicensePatch, Member, MemberRole, NewLicense, NewTenant, Page, PageRequest, Session,
        SessionStatus, Tenant, User, UserCredentials, UserProfile,
    };
    pub(super) use uuid::Uuid;

    pub(super) use crate::{
        AcquireOutcome, AcquireRequest, HeartbeatOutcome, InviteeAccount, KeyRotation,
        LicenseSeatUse, LicenseWithUsage, NewApiToken, NewInvitation, NewMail, NewSigningKey,
        OneTime, OutboxCounts, OutboxMail, ReleaseOutcome, SeatUseQuery, SigningKeyRecord,
        StoreResult, TenantUsage,
    };
    pub(super) use crate::{InvitationRecord, OutboxEntry};
    pub(super) use coditect_domain::invitation::InvitationState;
    pub(super) use coditect_domain::mail::MailState;
}
