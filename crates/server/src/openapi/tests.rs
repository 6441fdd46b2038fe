//! Guards that keep the document and the server's rules together: every reference
//! resolves, the shared error answers are declared where they can happen, the bounds are
//! the parsers' constants, and no request field admits a value the parser refuses
//! without the document saying so.

use std::collections::BTreeSet;

use coditect_domain::account::{PASSWORD_MAX, PASSWORD_MIN};
use coditect_domain::input::{
    BORROW_HOURS_RANGE, ENTITLEMENTS_MAX, HEARTBEAT_TTL_RANGE, MAX_BORROW_HOURS_RANGE, NAME_CHARS,
    SEATS_RANGE, WAIT_SECONDS_RANGE,
};
use coditect_domain::webhooks::EVENT_TYPES;
use serde_json::Value;

/// The document as JSON.
fn doc() -> Value {
    serde_json::to_value(super::document()).expect("the document serializes")
}

/// Every `(method, path, operation)` of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            out.push((method.clone(), path.clone(), op.clone()));
        }
    }
    out
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.insert(r.clone());
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let doc = doc();
    let mut refs = BTreeSet::new();
    collect_refs(&doc, &mut refs);
    for r in refs {
        let pointer = r.strip_prefix('#').expect("a local reference");
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

#[test]
fn the_shared_error_answers_are_declared_where_they_can_happen() {
    for (method, path, op) in operations(&doc()) {
        let has = |status: &str| op["responses"].get(status).is_some();
        let secured = op["security"].as_array().is_some_and(|reqs| {
            !reqs.is_empty()
                && reqs
                    .iter()
                    .all(|r| r.as_object().is_some_and(|m| !m.is_empty()))
        });
        let query = op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
        let body = op.get("requestBody").is_some();
        let mut expected = vec!["429"];
        if body {
            expected.extend(["400", "413", "415", "422"]);
        }
        if query {
            expected.push("422");
        }
        if secured {
            expected.push("401");
        }
        for status in expected {
            assert!(has(status), "{method} {path} does not declare {status}");
        }
    }
}

#[test]
fn a_response_without_a_body_declares_no_content() {
    for (method, path, op) in operations(&doc()) {
        if let Some(r) = op["responses"].get("204") {
            assert!(
                r.get("content").is_none(),
                "{method} {path}: a 204 with a body"
            );
        }
    }
}

fn schema(doc: &Value, name: &str) -> Value {
    doc["components"]["schemas"][name].clone()
}

fn range_of(s: &Value) -> (i64, i64) {
    (
        s["minimum"].as_i64().expect("a minimum"),
        s["maximum"].as_i64().expect("a maximum"),
    )
}

#[test]
fn the_bounds_are_the_parsers_constants() {
    let doc = doc();
    let ranges = [
        ("Seats", SEATS_RANGE),
        ("HeartbeatTtl", HEARTBEAT_TTL_RANGE),
        ("MaxBorrowHours", MAX_BORROW_HOURS_RANGE),
        ("BorrowHours", BORROW_HOURS_RANGE),
        ("WaitSeconds", WAIT_SECONDS_RANGE),
    ];
    for (name, range) in ranges {
        let want = (*range.start(), *range.end());
        assert_eq!(range_of(&schema(&doc, name)), want, "{name}");
    }
    let limit = schema(&doc, "PageLimit");
    assert_eq!(
        range_of(&limit),
        (1, coditect_domain::page::MAX_LIMIT.into())
    );
    let password = schema(&doc, "NewPassword");
    assert_eq!(password["minLength"], PASSWORD_MIN);
    assert_eq!(password["maxLength"], PASSWORD_MAX);
    let name = schema(&doc, "Name");
    assert_eq!(name["minLength"], *NAME_CHARS.start());
    assert_eq!(name["maxLength"], *NAME_CHARS.end());
    assert_eq!(schema(&doc, "Entitlements")["maxItems"], ENTITLEMENTS_MAX);
    assert_eq!(
        schema(&doc, "WebhookEvent")["enum"],
        serde_json::json!(EVENT_TYPES)
    );
    // The bodies use those schemas, not a bare integer.
    let seats = &schema(&doc, "LicenseCreateBody")["properties"]["seats_total"]["$ref"];
    assert_eq!(seats, "#/components/schemas/Seats");
}

/// The request bodies' component names.
fn body_schemas(doc: &Value) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for (_, _, op) in operations(doc) {
        collect_refs(&op["requestBody"], &mut refs);
    }
    refs.into_iter()
        .filter_map(|r| r.strip_prefix("#/components/schemas/").map(str::to_owned))
        .collect()
}

/// Whether a property's schema admits `null`.
fn admits_null(p: &Value) -> bool {
    let null_type = |s: &Value| match &s["type"] {
        Value::String(t) => t == "null",
        Value::Array(ts) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    null_type(p)
        || p["oneOf"]
            .as_array()
            .is_some_and(|v| v.iter().any(null_type))
}

/// The body fields the parsers read with `null` allowed (`Fields::optional(_, true, _)`
/// and the acquire's `client`): every other field refuses `null`.
const NULLABLE: &[&str] = &[
    "AcceptBody.name",
    "AcquireBody.client",
    "AcquireBody.user_email",
    "BorrowBody.client",
    "BorrowBody.user_email",
    "LicenseCreateBody.expires_at",
    "LicenseCreateBody.name",
    "LicensePatchBody.expires_at",
    "LicensePatchBody.name",
    "TrialBody.hardware_id",
    "TrialBody.name",
    "WebhookCreateBody.description",
    "WebhookPatchBody.description",
];

#[test]
fn request_fields_are_bounded_and_null_only_where_the_parser_takes_it() {
    let doc = doc();
    let mut nullable = Vec::new();
    for name in body_schemas(&doc) {
        let s = schema(&doc, &name);
        let props = s["properties"]
            .as_object()
            .or_else(|| s["allOf"][0]["properties"].as_object())
            .unwrap_or_else(|| panic!("{name} has no properties"));
        for (field, p) in props {
            if admits_null(p) {
                nullable.push(format!("{name}.{field}"));
            }
            let bounded = p.get("$ref").is_some()
                || p["oneOf"]
                    .as_array()
                    .is_some_and(|v| v.iter().any(|x| x.get("$ref").is_some()))
                || p["type"] == "boolean"
                || p["format"] == "uuid";
            assert!(
                bounded,
                "{name}.{field} has no bounds: give it a schema of openapi::schema"
            );
        }
    }
    nullable.sort();
    assert_eq!(nullable, NULLABLE);
}
