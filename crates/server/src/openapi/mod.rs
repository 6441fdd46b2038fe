//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::OpenApi;

use crate::routes::{
    analytics, auth, billing, borrow, client, denials, invitations, license_keys, licenses,
    licenses_bulk, members, ops, outbox, products, second_factor, sessions, signup, sso,
    staff_users, tenants, totp, trials, trusted_issuers, usage, webhooks::doc as hooks,
};

mod responses;
pub mod schema;
mod security;
#[cfg(test)]
mod tests;

use responses::CommonResponses;
use schema::Refinements;
use security::BearerAuth;

#[derive(OpenApi)]
#[openapi(
    info(title = "CODITECT License Server", version = "1",
        description = "Seats, sessions and offline-verifiable tokens. Every error has the shape \
            {\"error\": {\"code\", \"message\", \"details\", \"request_id\"}}; clients branch on `code`. \
            Admin endpoints accept a bearer token or the dashboard's session cookie. \
            Client endpoints are rate limited per license key and per client IP, admin endpoints \
            per bearer token or dashboard session when the operator turns that on: over a limit, any \
            endpoint answers 429 `rate_limited` with a Retry-After header in whole seconds."),
    modifiers(&BearerAuth, &Refinements),
    // The query parameters' schemas, and those only other schemas refer to (the derives
    // collect the rest from the bodies).
    components(schemas(schema::Entitlement, schema::WebhookEvent, schema::MetadataValue,
        schema::PageLimit, schema::Cursor, schema::Time, schema::TimeFilter, schema::LicenseStateFilter, schema::ArchivedFilterParam, schema::OutboxStateFilter,
        schema::InvitationStateFilter, schema::UuidFilter, schema::AuditActorFilter,
        schema::AuditResourceFilter, schema::AuditActionFilter,
        schema::SessionStatusFilter, schema::BillingStatusFilter, schema::BucketFilter,
        schema::GranularityFilter, schema::SearchText, schema::SubscriptionIdFilter,
        schema::EventTypeFilter)),
    paths(
        client::acquire, client::heartbeat, client::release, client::validate, borrow::borrow, ops::jwks,
        tenants::create_tenant, tenants::list_tenants, tenants::get_tenant,
        tenants::create_token, tenants::list_tokens, tenants::revoke_token,
        licenses::create_license, licenses::list_licenses, licenses::get_license, licenses::update_license,
        license_keys::reissue_key, denials::list_denials,
        sessions::list_sessions, sessions::force_release, sessions::list_audit,
        licenses_bulk::bulk_update, licenses_bulk::export_csv,
        auth::status, auth::setup, auth::login, auth::logout, auth::me,
        auth::request_reset, auth::confirm_reset,
        sso::providers, sso::start, sso::callback, sso::get_setting, sso::put_setting,
        second_factor::login_second_factor, totp::setup, totp::confirm,
        totp::regenerate_recovery_codes, totp::disable,
        signup::sign_up, signup::verify,
        trusted_issuers::list, trusted_issuers::create, trusted_issuers::remove,
        members::accept, members::list_users, members::list_members, members::invite,
        members::update_member, members::remove_member,
        invitations::list, invitations::resend, invitations::revoke, invitations::lookup,
        outbox::list, outbox::retry,
        staff_users::promote, staff_users::demote, staff_users::deactivate,
        staff_users::reactivate, staff_users::unlock_sign_in, staff_users::account_audit,
        analytics::tenant_analytics, analytics::staff_analytics, usage::tenant_usage,
        products::create_product, products::list_products, products::get_product, products::update_product,
        billing::stripe_webhook, billing::list_events, trials::start,
        hooks::create_tenant, hooks::list_tenant, hooks::get_tenant, hooks::update_tenant,
        hooks::delete_tenant, hooks::deliveries_tenant, hooks::redeliver_tenant,
        hooks::create_staff, hooks::list_staff, hooks::get_staff, hooks::update_staff,
        hooks::delete_staff, hooks::deliveries_staff, hooks::redeliver_staff,
        ops::health, ops::readyz, ops::metrics,
    )
)]
struct ApiDoc;

/// The document served at `/api/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    // `/api/openapi.json` itself.
    let self_path = utoipa::openapi::path::PathItem::new(
        utoipa::openapi::HttpMethod::Get,
        utoipa::openapi::path::OperationBuilder::new()
            .summary(Some("This OpenAPI document"))
            .response("200", utoipa::openapi::Response::new("OpenAPI 3.1 JSON")),
    );
    doc.paths
        .paths
        .insert("/api/openapi.json".into(), self_path);
    // Last, so that it covers every operation, this document's own included.
    utoipa::Modify::modify(&CommonResponses, &mut doc);
    doc
}
