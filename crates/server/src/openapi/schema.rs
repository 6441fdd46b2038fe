//! Schemas of the request values the server validates, built from the same constants as
//! its parsers, so the document states each rule exactly once and cannot drift from it.
//! The routes' body types name these as field types; each becomes one named component.

use coditect_domain::account::{PASSWORD_MAX, PASSWORD_MIN};
use coditect_domain::input::{
    BORROW_HOURS_RANGE, EMAIL_MAX, ENTITLEMENTS_MAX, ENTITLEMENT_CHARS_MAX, HARDWARE_ID_CHARS,
    HEARTBEAT_TTL_RANGE, LICENSE_KEY_CHARS, MAX_BORROW_HOURS_RANGE, NAME_CHARS, SEATS_RANGE,
    SLUG_MAX, WAIT_SECONDS_RANGE,
};
use coditect_domain::webhooks::EVENT_TYPES;
use coditect_domain::PRODUCT_RANGES;
use std::ops::RangeInclusive;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{Ref, RefOr};

use crate::outgoing::address::URL_MAX;
use crate::routes::auth::{ONE_TIME_TOKEN_MAX, SIGN_IN_PASSWORD_MAX};
use crate::routes::client::{CLIENT_ENTRIES_MAX, CLIENT_KEY_CHARS, CLIENT_VALUE_MAX};
use crate::routes::second_factor::SHORT_CODE_MAX;
use crate::routes::trusted_issuers::{ISSUER_MAX, ROLES_MAX, ROLE_CLAIM_MAX, ROLE_VALUE_MAX};
use crate::routes::{licenses_bulk, products};

/// Rust's `char::is_control` (Unicode category Cc), as a regex character range.
const CONTROL: &str = r"\u0000-\u001F\u007F-\u009F";
/// Rust's `char::is_whitespace` (Unicode `White_Space`) outside [`CONTROL`].
const SPACE: &str = r"\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// An RFC 3339 time as a regex: the format's shape, as `format` alone is only an annotation
/// in JSON Schema 2020-12.
const RFC_3339: &str = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3])\
    :[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";

/// A string of `chars` characters none of which is a control character.
pub(crate) fn plain_text(chars: RangeInclusive<usize>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(*chars.start()))
        .max_length(Some(*chars.end()))
        .pattern(Some(format!("^[^{CONTROL}]*$")))
}

/// A string of 1 to `max` visible ASCII characters: what the server compares with values
/// it issued itself (tokens, codes, Stripe ids), whose limits it counts in bytes.
pub(crate) fn visible_ascii(min: usize, max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(Some(format!("^[!-~]{{{min},{max}}}$")))
}

/// An integer within `range`.
pub(crate) fn int_in(range: RangeInclusive<i64>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(*range.start() as f64))
        .maximum(Some(*range.end() as f64))
}

/// One string out of `values`.
fn one_of(values: &[&str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
}

/// A reference to the component of `T`.
fn reference<T: utoipa::ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(T::name()))
}

/// Declares doc-only schema types: each a unit struct whose schema `$build` makes.
/// The doc comment is also the schema's description.
macro_rules! doc_schemas {
    ($($(#[doc = $doc:literal])* $name:ident => $build:expr;)*) => {$(
        $(#[doc = $doc])*
        pub struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let lines: &[&str] = &[$($doc),*];
                let description = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
                let schema: Schema = $build.description(Some(description)).build().into();
                schema.into()
            }
        }
        impl utoipa::ToSchema for $name {}
    )*};
}

doc_schemas! {
    /// A display name: 1–200 characters, no control characters.
    Name => plain_text(NAME_CHARS);
    /// A URL-safe unique handle: 1–63 of `a-z`, `0-9` and `-`.
    Slug => ObjectBuilder::new().schema_type(Type::String).min_length(Some(1))
        .max_length(Some(SLUG_MAX)).pattern(Some(format!("^[a-z0-9-]{{1,{SLUG_MAX}}}$")));
    /// An e-mail address (`local@domain.tld`), at most 254 characters.
    Email => ObjectBuilder::new().schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email))).max_length(Some(EMAIL_MAX));
    /// An opaque per-installation id: 1–256 characters, no control characters.
    HardwareId => plain_text(HARDWARE_ID_CHARS);
    /// A license key as the client presents it (either case): 1–128 characters, no
    /// control characters.
    LicenseKey => plain_text(LICENSE_KEY_CHARS);
    /// A new password: 10–200 characters.
    NewPassword => ObjectBuilder::new().schema_type(Type::String)
        .min_length(Some(PASSWORD_MIN)).max_length(Some(PASSWORD_MAX));
    /// A password to check: 1–1024 characters.
    Password => ObjectBuilder::new().schema_type(Type::String)
        .min_length(Some(1)).max_length(Some(SIGN_IN_PASSWORD_MAX));
    /// A one-time token from a mail's link or a sign-in answer.
    OneTimeToken => visible_ascii(1, ONE_TIME_TOKEN_MAX);
    /// A 6-digit TOTP code, or a recovery code.
    Code => visible_ascii(1, SHORT_CODE_MAX);
    /// One entitlement: 1–128 characters, no control characters.
    Entitlement => plain_text(1..=ENTITLEMENT_CHARS_MAX);
    /// At most 256 entitlements.
    Entitlements => ArrayBuilder::new().items(reference::<Entitlement>())
        .max_items(Some(ENTITLEMENTS_MAX));
    /// Seats of a license: 1–1,000,000.
    Seats => int_in(SEATS_RANGE);
    /// Seconds a session lives without a heartbeat: 1–604,800 (7 days).
    HeartbeatTtl => int_in(HEARTBEAT_TTL_RANGE);
    /// The longest offline borrow in hours: 0 (borrowing disabled) to 2160 (90 days).
    MaxBorrowHours => int_in(MAX_BORROW_HOURS_RANGE);
    /// Hours of one borrow: 1–2160, and at most the license's `max_borrow_hours`.
    BorrowHours => int_in(BORROW_HOURS_RANGE);
    /// Seconds an acquire waits for a seat: 0–300.
    WaitSeconds => int_in(WAIT_SECONDS_RANGE);
    /// Seats per unit of a product: 1–100,000.
    SeatsPerUnit => int_in(PRODUCT_RANGES.seats_per_unit);
    /// Days of a product's self-service trial: 0 (no trials) to 365.
    TrialDays => int_in(PRODUCT_RANGES.trial_days);
    /// Seats of a trial license: 1–1000.
    TrialSeats => int_in(PRODUCT_RANGES.trial_seats);
    /// Days a lapsed subscription's licenses stay valid: 0–90.
    GraceDays => int_in(PRODUCT_RANGES.grace_days);
    /// Distinct Stripe price ids (1–255 characters, no spaces or control characters), at
    /// most 100.
    StripePriceIds => ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1))
            .max_length(Some(products::MAX_PRICE_LEN))
            .pattern(Some(format!("^[^{CONTROL}{SPACE}]*$"))))
        .max_items(Some(products::MAX_PRICES)).unique_items(true);
    /// The client's name, version and the like: at most 32 strings of at most 256
    /// characters, keys of 1–64 characters, no control characters.
    ClientInfo => ObjectBuilder::new().schema_type(Type::Object)
        .max_properties(Some(CLIENT_ENTRIES_MAX))
        .property_names(Some(plain_text(CLIENT_KEY_CHARS)))
        .additional_properties(Some(plain_text(0..=CLIENT_VALUE_MAX)));
    /// Free-form JSON: no key or string holds U+0000 and every number is below 1e307 in
    /// magnitude, so both storage backends keep it exactly.
    Metadata => ObjectBuilder::new().schema_type(Type::Object)
        .property_names(Some(no_nul()))
        .additional_properties(Some(reference::<MetadataValue>()));
    /// A value inside [`Metadata`].
    MetadataValue => metadata_value();
    /// What a webhook is told about.
    WebhookEvent => one_of(&EVENT_TYPES);
    /// One or more distinct event types.
    WebhookEvents => ArrayBuilder::new().items(reference::<WebhookEvent>())
        .min_items(Some(1)).max_items(Some(EVENT_TYPES.len())).unique_items(true);
    /// A note about a webhook: at most 500 characters, no control characters.
    WebhookDescription => plain_text(0..=crate::routes::webhooks::MAX_DESCRIPTION);
    /// An absolute `https://` URL (`http://` only to loopback when the operator allows
    /// it), at most 2048 characters; its host may not resolve to a private address.
    WebhookUrl => ObjectBuilder::new().schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uri".into())))
        .max_length(Some(URL_MAX)).pattern(Some("^https?://"));
    /// The role of an API token.
    TokenRole => one_of(&["admin", "read_only"]);
    /// The role of a tenant member.
    MemberRole => one_of(&["owner", "admin", "viewer"]);
    /// An issuer or audience: 1–512 characters once surrounding spaces are trimmed.
    IssuerText => trimmed(ISSUER_MAX);
    /// The JWKS address: `https://`, 1–2048 characters, not resolving to a private address.
    JwksUrl => trimmed(URL_MAX);
    /// The claim holding the role: 1–128 characters once trimmed.
    RoleClaim => trimmed(ROLE_CLAIM_MAX);
    /// Claim values (1–200 characters) mapped to the token role they grant, 1–50 of them.
    IssuerRoles => ObjectBuilder::new().schema_type(Type::Object)
        .min_properties(Some(1)).max_properties(Some(ROLES_MAX))
        .property_names(Some(ObjectBuilder::new().schema_type(Type::String)
            .min_length(Some(1)).max_length(Some(ROLE_VALUE_MAX))))
        .additional_properties(Some(reference::<TokenRole>()));
    /// License ids of one bulk change: 1–500.
    BulkIds => ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))))
        .min_items(Some(1)).max_items(Some(licenses_bulk::MAX_BULK));
}

/// A string without U+0000.
fn no_nul() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^[^\u0000]*$"))
}

/// A string of 1 to `max` characters once surrounding white space is trimmed.
fn trimmed(max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(r"\S"))
}

/// Any JSON value [`Metadata`] may hold, recursively.
fn metadata_value() -> AnyOfBuilder {
    let bound = crate::http::fields::MAX_FREE_FORM_NUMBER;
    AnyOfBuilder::new()
        .item(no_nul())
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .exclusive_minimum(Some(-bound))
                .exclusive_maximum(Some(bound)),
        )
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(ArrayBuilder::new().items(reference::<MetadataValue>()))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property_names(Some(no_nul()))
                .additional_properties(Some(reference::<MetadataValue>())),
        )
}

doc_schemas! {
    /// Items per page: 1–200 (default 50).
    PageLimit => ObjectBuilder::new().schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(1)).maximum(Some(coditect_domain::page::MAX_LIMIT));
    /// `next_cursor` of the previous page (the base64url of an id); empty for the first.
    Cursor => ObjectBuilder::new().schema_type(Type::String)
        .pattern(Some("^([A-Za-z0-9_-]{21}[AQgw])?$"));
    /// An RFC 3339 time such as 2026-11-25T16:00:00Z.
    Time => ObjectBuilder::new().schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .pattern(Some(format!("^{RFC_3339}$")));
    /// An RFC 3339 time such as 2026-11-25T16:00:00Z, or empty for the default.
    TimeFilter => AnyOfBuilder::new().item(reference::<Time>())
        .item(ObjectBuilder::new().schema_type(Type::String).max_length(Some(0)));
    /// `valid`, `suspended` or `expired`; empty for any.
    LicenseStateFilter => choice(&["valid", "suspended", "expired"]);
    /// `queued`, `sent` or `failed`; empty for any.
    OutboxStateFilter => choice(&["queued", "sent", "failed"]);
    /// `pending`, `accepted`, `expired`, `revoked` or `replaced`; empty for any.
    InvitationStateFilter => choice(&["pending", "accepted", "expired", "revoked", "replaced"]);
    /// A UUID, or empty for none.
    UuidFilter => AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))))
        .item(ObjectBuilder::new().schema_type(Type::String).max_length(Some(0)));
    /// Part of an actor's name: at most 200 characters, without U+0000; empty for any.
    AuditActorFilter => no_nul().max_length(Some(200));
    /// A resource kind (`a-z` and `_`, up to 40), such as `license`; empty for any.
    AuditResourceFilter => ObjectBuilder::new().schema_type(Type::String)
        .pattern(Some("^([a-z_]{1,40})?$"));
    /// An action name such as `license.update`; empty for any.
    AuditActionFilter => ObjectBuilder::new().schema_type(Type::String)
        .pattern(Some(r"^([a-z_]{1,40}\.[a-z_]{1,40})?$"));
    /// `exclude`, `include` or `only`; empty for `exclude`.
    ArchivedFilterParam => choice(&["exclude", "include", "only"]);
    /// `active`, `released` or `expired`; empty for any.
    SessionStatusFilter => choice(&["active", "released", "expired"]);
    /// `pending`, `applied` or `ignored`; empty for any.
    BillingStatusFilter => choice(&["pending", "applied", "ignored"]);
    /// `minute`, `hour` or `day`; empty for `hour`.
    BucketFilter => choice(&["minute", "hour", "day"]);
    /// `hour`, `day` or `month`; empty for `day`.
    GranularityFilter => choice(&["hour", "day", "month"]);
    /// Case-insensitive text of at most 200 characters (surrounding spaces ignored),
    /// without U+0000.
    SearchText => no_nul().max_length(Some(licenses_bulk::SEARCH_MAX));
    /// A Stripe subscription id (`sub_…`): at most 255 visible ASCII characters.
    SubscriptionIdFilter => visible_ascii(0, licenses_bulk::SUBSCRIPTION_ID_MAX);
    /// A Stripe event type: at most 255 visible ASCII characters.
    EventTypeFilter => visible_ascii(0, crate::routes::billing::EVENT_TYPE_MAX);
}

/// One of `values`, or empty (which the server reads as absent).
fn choice(values: &[&str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^({})?$", values.join("|"))))
}

/// `?limit=&cursor=` of every listing.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    /// Items per page.
    limit: Option<PageLimit>,
    /// Where the page starts.
    cursor: Option<Cursor>,
}

/// What the derives cannot say: a second factor needs `code` or `recovery_code`.
pub struct Refinements;

impl utoipa::Modify for Refinements {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let schemas = &mut openapi
            .components
            .get_or_insert_with(Default::default)
            .schemas;
        if let Some(body) = schemas.get_mut("SecondFactorBody") {
            let either = AnyOfBuilder::new()
                .item(ObjectBuilder::new().required("code"))
                .item(ObjectBuilder::new().required("recovery_code"));
            let fields = std::mem::replace(body, RefOr::T(Schema::default()));
            *body = RefOr::T(
                utoipa::openapi::schema::AllOfBuilder::new()
                    .item(fields)
                    .item(either)
                    .into(),
            );
        }
    }
}
