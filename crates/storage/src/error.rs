//! Storage errors, shaped by what the HTTP layer must answer rather than by the driver.

use coditect_domain::SeatError;
use thiserror::Error;

/// A storage failure or a refusal decided inside a transaction.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A seat rule refused the operation (403/409/410).
    #[error(transparent)]
    Seat(#[from] SeatError),
    /// The license key matches no license (404 `license_not_found`).
    #[error("license not found")]
    LicenseNotFound,
    /// The session is unknown or not under this key (404 `session_not_found`).
    #[error("session not found")]
    SessionNotFound,
    /// A unique value is taken, or a rule of the tenant's shape refused the change (409
    /// `conflict`, its `field` detail naming which).
    #[error("conflict on {}", .0.as_str())]
    Conflict(ConflictField),
    /// The database did not answer in time or refused connections (503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else (500; the cause is logged, never sent).
    #[error("storage failure: {0}")]
    Internal(String),
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// What a 409 `conflict` is about: its wire name is the error's `field` detail, so clients
/// can tell a taken slug from a last owner without reading the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictField {
    /// A tenant slug is taken.
    Slug,
    /// A token secret hash is taken (practically never: secrets are random).
    Token,
    /// A license key is taken.
    LicenseKey,
    /// An e-mail has an account already, or stopped having one since the caller looked.
    Email,
    /// A signing key id is taken.
    Kid,
    /// The change would leave the tenant without an owner.
    Owner,
    /// First-run setup is done: a user exists already.
    User,
    /// A Stripe price sells another product already (`stripe_price_ids`).
    PriceId,
    /// A Stripe customer is billed as another tenant already.
    StripeCustomer,
    /// TOTP is on already (turn it off before enrolling again).
    Totp,
    /// A trusted issuer with this `iss` and audience is registered already.
    Issuer,
    /// The change would leave no active staff account.
    Staff,
}

impl ConflictField {
    /// The wire name (the `field` detail).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slug => "slug",
            Self::Token => "token",
            Self::LicenseKey => "license_key",
            Self::Email => "email",
            Self::Kid => "kid",
            Self::Owner => "owner",
            Self::User => "user",
            Self::PriceId => "stripe_price_ids",
            Self::StripeCustomer => "stripe_customer_id",
            Self::Totp => "totp",
            Self::Issuer => "issuer",
            Self::Staff => "staff",
        }
    }

    /// The error's human-readable message.
    pub fn message(self) -> String {
        match self {
            Self::Owner => "a tenant must keep at least one owner".to_owned(),
            Self::User => "setup is done: a user already exists".to_owned(),
            Self::PriceId => "a Stripe price of these sells another product already".to_owned(),
            Self::Totp => "two-factor sign-in is on already; turn it off first".to_owned(),
            Self::Issuer => "this issuer and audience are trusted already".to_owned(),
            Self::Staff => {
                "there must always be at least one active staff account: make another user \
                 staff first"
                    .to_owned()
            }
            other => format!("that {} is already taken", other.as_str()),
        }
    }
}
