//! The error answers every operation of a kind can give, declared once here instead of on
//! each handler: the extractors that produce them are shared (`http::extract`), so are
//! their statuses.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::Modify;

/// The shared answers, each a named response under `components.responses`, as
/// (status, component name, description).
pub(crate) const SHARED: [(&str, &str, &str); 6] = [
    (
        "400",
        "InvalidJson",
        "invalid_json: the body is empty, not JSON, or not a JSON object",
    ),
    (
        "401",
        "Unauthorized",
        "unauthorized: no valid bearer token or dashboard session",
    ),
    (
        "413",
        "PayloadTooLarge",
        "payload_too_large: the body is over 64 KiB",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "unsupported_media_type: the body is not application/json",
    ),
    (
        "422",
        "ValidationError",
        "validation_error: `details.fields` names each refused field",
    ),
    (
        "429",
        "RateLimited",
        "rate_limited: over a limit the operator set; see Retry-After",
    ),
];

/// Adds the shared error answers where an operation does not state its own: `400`,
/// `413`, `415` and `422` to every operation with a body, `422` to every operation with
/// query parameters (the query extractors refuse malformed values), `401` to every
/// operation that requires credentials, and `429` to all.
pub struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (status, name, description) in SHARED {
            components
                .responses
                .insert(name.into(), RefOr::T(shared_response(status, description)));
        }
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_common(op);
            }
        }
    }
}

/// The statuses of [`SHARED`] that apply to `op`.
pub(crate) fn applicable(op: &Operation) -> Vec<&'static str> {
    let body = op.request_body.is_some();
    let query = op
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let secured = op.security.as_ref().is_some_and(|reqs| {
        !reqs.is_empty() && !reqs.iter().any(|r| *r == SecurityRequirement::default())
    });
    let mut out = vec!["429"];
    if body {
        out.extend(["400", "413", "415"]);
    }
    if body || query {
        out.push("422");
    }
    if secured {
        out.push("401");
    }
    out
}

fn add_common(op: &mut Operation) {
    for status in applicable(op) {
        let (_, name, _) = SHARED
            .iter()
            .find(|(s, ..)| *s == status)
            .expect("every applicable status is shared");
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
    }
}

fn shared_response(status: &str, description: &str) -> Response {
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    let mut r = ResponseBuilder::new()
        .description(description)
        .content("application/json", body);
    if status == "429" {
        let seconds = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1));
        r = r.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(seconds)
                .description(Some("Whole seconds until a retry may succeed"))
                .build(),
        );
    }
    r.build()
}
