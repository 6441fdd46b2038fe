//! Where each request goes: the one routing table of the server.

pub mod analytics;
pub mod auth;
pub mod billing;
pub mod borrow;
pub mod client;
pub mod dashboard;
pub mod denials;
pub mod docs;
pub mod invitations;
pub mod license_keys;
pub mod licenses;
pub mod licenses_bulk;
pub mod members;
pub mod ops;
pub mod outbox;
pub mod products;
pub mod second_factor;
pub mod sessions;
pub mod signup;
pub mod sso;
pub mod staff_users;
pub mod tenants;
pub mod totp;
pub mod trials;
pub mod trusted_issuers;
pub mod usage;
pub mod webhooks;

use axum::routing::{delete, get, patch, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use crate::http::{body_limit, middleware};
use crate::state::AppState;

/// The webhook API under `base`: a tenant's, or staff's (the handlers tell them apart).
fn webhook_routes(base: &str) -> Router<AppState> {
    Router::new()
        .route(base, post(webhooks::create).get(webhooks::list))
        .route(
            &format!("{base}/{{webhook_id}}"),
            get(webhooks::get_one)
                .patch(webhooks::update)
                .delete(webhooks::remove),
        )
        .route(
            &format!("{base}/{{webhook_id}}/deliveries"),
            get(webhooks::deliveries),
        )
        .route(
            &format!("{base}/{{webhook_id}}/deliveries/{{delivery_id}}/redeliver"),
            post(webhooks::redeliver),
        )
}

/// The full router with its middleware.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/v1/licenses/acquire", post(client::acquire))
        .route("/api/v1/licenses/heartbeat", post(client::heartbeat))
        .route("/api/v1/licenses/release", post(client::release))
        .route("/api/v1/licenses/validate", post(client::validate))
        .route("/api/v1/licenses/borrow", post(borrow::borrow))
        .route(
            "/api/v1/tenants",
            post(tenants::create_tenant).get(tenants::list_tenants),
        )
        .route("/api/v1/tenants/{tenant_id}", get(tenants::get_tenant))
        .route(
            "/api/v1/tenants/{tenant_id}/tokens",
            post(tenants::create_token).get(tenants::list_tokens),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/tokens/{token_id}",
            delete(tenants::revoke_token),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/licenses",
            post(licenses::create_license).get(licenses::list_licenses),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/licenses/{license_id}",
            get(licenses::get_license).patch(licenses::update_license),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/licenses/{license_id}/key",
            post(license_keys::reissue_key),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/denials",
            get(denials::list_denials),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/licenses/{license_id}/sessions",
            get(sessions::list_sessions),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/sessions/{session_id}",
            delete(sessions::force_release),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/audit",
            get(sessions::list_audit),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/licenses/bulk",
            post(licenses_bulk::bulk_update),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/licenses.csv",
            get(licenses_bulk::export_csv),
        )
        .route("/api/v1/auth/status", get(auth::status))
        .route("/api/v1/auth/setup", post(auth::setup))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/me", get(auth::me))
        .route("/api/v1/auth/password-reset", post(auth::request_reset))
        .route(
            "/api/v1/auth/password-reset/confirm",
            post(auth::confirm_reset),
        )
        .route("/api/v1/auth/providers", get(sso::providers))
        .route("/api/v1/auth/oidc/{id}/start", get(sso::start))
        .route("/api/v1/auth/oidc/{id}/callback", get(sso::callback))
        .route(
            "/api/v1/auth/login/second-factor",
            post(second_factor::login_second_factor),
        )
        .route("/api/v1/auth/totp/setup", post(totp::setup))
        .route("/api/v1/auth/totp/confirm", post(totp::confirm))
        .route(
            "/api/v1/auth/totp/recovery-codes",
            post(totp::regenerate_recovery_codes),
        )
        .route("/api/v1/auth/totp", delete(totp::disable))
        .route("/api/v1/auth/signup", post(signup::sign_up))
        .route("/api/v1/auth/signup/verify", post(signup::verify))
        .route(
            "/api/v1/tenants/{tenant_id}/sso",
            get(sso::get_setting).put(sso::put_setting),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/trusted-issuers",
            get(trusted_issuers::list).post(trusted_issuers::create),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/trusted-issuers/{issuer_id}",
            delete(trusted_issuers::remove),
        )
        .route("/api/v1/invitations/accept", post(members::accept))
        .route("/api/v1/invitations/lookup", post(invitations::lookup))
        .route(
            "/api/v1/tenants/{tenant_id}/invitations/{invitation_id}",
            delete(invitations::revoke),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/invitations/{invitation_id}/resend",
            post(invitations::resend),
        )
        .route("/api/v1/outbox", get(outbox::list))
        .route("/api/v1/outbox/{mail_id}/retry", post(outbox::retry))
        .route("/api/v1/users", get(members::list_users))
        .route("/api/v1/users/audit", get(staff_users::account_audit))
        .route(
            "/api/v1/users/{user_id}/promote",
            post(staff_users::promote),
        )
        .route("/api/v1/users/{user_id}/demote", post(staff_users::demote))
        .route(
            "/api/v1/users/{user_id}/deactivate",
            post(staff_users::deactivate),
        )
        .route(
            "/api/v1/users/{user_id}/reactivate",
            post(staff_users::reactivate),
        )
        .route(
            "/api/v1/users/{user_id}/unlock-sign-in",
            post(staff_users::unlock_sign_in),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/users",
            get(members::list_members),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/users/{user_id}",
            patch(members::update_member).delete(members::remove_member),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/invitations",
            post(members::invite).get(invitations::list),
        )
        .route(
            "/api/v1/tenants/{tenant_id}/analytics",
            get(analytics::tenant_analytics),
        )
        .route("/api/v1/analytics/tenants", get(analytics::staff_analytics))
        .route(
            "/api/v1/tenants/{tenant_id}/usage",
            get(usage::tenant_usage),
        )
        .route(
            "/api/v1/products",
            post(products::create_product).get(products::list_products),
        )
        .route(
            "/api/v1/products/{product_id}",
            get(products::get_product).patch(products::update_product),
        )
        .route(
            "/api/v1/billing/stripe/webhook",
            post(billing::stripe_webhook),
        )
        .route("/api/v1/billing/events", get(billing::list_events))
        .route("/api/v1/trials", post(trials::start))
        .merge(webhook_routes("/api/v1/tenants/{tenant_id}/webhooks"))
        .merge(webhook_routes("/api/v1/webhooks"))
        .route("/", get(dashboard::to_dashboard))
        .route("/dashboard", get(dashboard::to_dashboard))
        .route("/dashboard/", get(dashboard::root))
        .route("/dashboard/{*path}", get(dashboard::asset))
        .route("/.well-known/jwks.json", get(ops::jwks))
        .route("/health/", get(ops::health))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/api/openapi.json", get(ops::openapi))
        // Inside the body limit: the request timeout starts once the body is in (the body
        // has a timeout of its own).
        .route_layer(axum::middleware::from_fn_with_state(
            state.config.connections.request_timeout,
            middleware::deadline,
        ))
        .route_layer(axum::middleware::from_fn(body_limit::limit_body))
        .with_state(state.clone());
    let hsts = state
        .config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let cors = middleware::cors(&state.config.cors_origins);
    api.merge(docs::router())
        .fallback(middleware::route_not_found)
        .method_not_allowed_fallback(middleware::wrong_method)
        .layer(CatchPanicLayer::custom(middleware::panic_to_error))
        .layer(axum::middleware::from_fn(middleware::outer))
        .layer(axum::middleware::map_response_with_state(
            hsts,
            middleware::security_headers,
        ))
        .layer(cors)
}
