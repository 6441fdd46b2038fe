//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{client, licenses, ops, sessions, tenants};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "CODITECT License Server", version = "1",
        description = "Seats, sessions and offline-verifiable tokens. Every error has the shape \
            {\"error\": {\"code\", \"message\", \"details\", \"request_id\"}}; clients branch on `code`. \
            Client endpoints are rate limited per license key and per client IP, admin endpoints \
            per bearer token when the operator turns that on: over a limit, any endpoint answers \
            429 `rate_limited` with a Retry-After header in whole seconds."),
    modifiers(&BearerAuth),
    paths(
        client::acquire, client::heartbeat, client::release, client::validate, ops::jwks,
        tenants::create_tenant, tenants::list_tenants, tenants::get_tenant,
        tenants::create_token, tenants::list_tokens, tenants::revoke_token,
        licenses::create_license, licenses::list_licenses, licenses::get_license, licenses::update_license,
        sessions::list_sessions, sessions::force_release, sessions::list_audit,
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
    doc
}
