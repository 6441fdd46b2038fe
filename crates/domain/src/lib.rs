//! The licensing domain: what a license, a session and a seat are, and the rules that
//! decide who gets a seat. Nothing here does I/O, so every rule is testable on its own
//! and every storage backend applies the very same decisions inside its own transaction.
//! The wire vocabulary that server and client share lives here too, so that each part of
//! it is declared once: error codes ([`ErrorCode`]), token claims ([`Claims`]) and the
//! client endpoints' bodies ([`wire`]).

pub mod account;
pub mod audit;
mod audit_entries;
pub mod billing;
pub mod error_code;
pub mod identity;
pub mod input;
pub mod invitation;
pub mod license;
pub mod mail;
pub mod metering;
pub mod page;
pub mod rate;
pub mod seats;
pub mod session;
pub mod staff;
pub mod tenant;
pub mod token;
pub mod usage;
pub mod webhooks;
pub mod wire;

pub use account::{
    Invitation, Member, MemberRole, Membership, OneTimeState, User, UserCredentials, UserProfile,
};
pub use audit::{Actor, ActorType, AuditAction, AuditEntry, AuditFilter, NewAuditEntry};
pub use billing::{
    BillingEvent, BillingEventFilter, BillingEventStatus, NewBillingEvent, NewProduct, Product,
    ProductPatch, StripeEvent, StripeEventBody, Subscription, SubscriptionStatus, PRODUCT_RANGES,
};
pub use error_code::{ErrorCode, UnknownErrorCode};
pub use identity::{NewTrustedIssuer, SsoFailure, TrustedIssuer};
pub use license::{ArchivedFilter, License, LicenseFilter, LicensePatch, LicenseState, NewLicense};
pub use page::{Page, PageRequest};
pub use seats::{AcquireDecision, SeatError};
pub use session::{EndReason, Session, SessionStatus};
pub use tenant::{ApiToken, NewTenant, Role, Tenant};
pub use token::{license_audience, Claims, AUDIENCE_PREFIX};
pub use usage::{Bucket, BucketUsage, SeriesPoint, UsageSeries};
pub use webhooks::{
    DeliveryStatus, DueDelivery, NewWebhookEndpoint, RetrySchedule, WebhookDelivery,
    WebhookEndpoint, WebhookEvent, WebhookPatch,
};
pub use wire::{ReleaseResponse, SeatResponse, ValidateCode, ValidateResponse, ValidatedLicense};
