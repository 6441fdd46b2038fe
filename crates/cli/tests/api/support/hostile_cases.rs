//! The tables of the hostile-input test: bodies wrong for any endpoint, and per endpoint
//! the wrong values of each of its fields, each with the status the contract requires.

use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;

/// A body to send: raw bytes (with a JSON content type unless stated) and the status the
/// contract requires for it.
#[derive(Clone)]
pub struct Case {
    pub label: String,
    pub body: Vec<u8>,
    pub content_type: Option<&'static str>,
    pub status: u16,
}

fn raw(label: &str, body: impl Into<Vec<u8>>, status: u16) -> Case {
    Case {
        label: label.to_owned(),
        body: body.into(),
        content_type: Some("application/json"),
        status,
    }
}

fn field(v: Value) -> Case {
    Case {
        label: v.to_string().chars().take(120).collect(),
        body: v.to_string().into_bytes(),
        content_type: Some("application/json"),
        status: 422,
    }
}

pub fn nested(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

/// Bodies that are wrong whatever the endpoint.
pub fn generic_cases() -> Vec<Case> {
    let mut cases = vec![
        raw("empty", "", 400),
        raw("whitespace", " \n\t ", 400),
        raw("open brace", "{", 400),
        raw("close brace", "}", 400),
        raw("truncated", "{\"license_key\": \"abc", 400),
        raw("trailing comma", "{\"a\": 1,}", 400),
        raw("single quotes", "{'a': 1}", 400),
        raw("bare word", "nul", 400),
        raw("two objects", "{}{}", 400),
        raw("array", "[]", 400),
        raw("array of object", "[{\"seats_total\": 1}]", 400),
        raw("string", "\"license\"", 400),
        raw("number", "12345", 400),
        raw("negative", "-1", 400),
        raw("float", "3.14", 400),
        raw("huge number", "1e400", 400),
        raw("null", "null", 400),
        raw("boolean", "true", 400),
        raw(
            "invalid utf-8",
            b"{\"name\": \"\xff\xfe\xfd\"}".to_vec(),
            400,
        ),
        raw("overlong utf-8", b"{\"name\": \"\xc0\xaf\"}".to_vec(), 400),
        raw("lone surrogate", "{\"name\": \"\\ud800\"}", 400),
        raw("raw NUL byte", b"{\"name\": \"a\x00b\"}".to_vec(), 400),
        raw("raw newline in string", "{\"name\": \"a\nb\"}", 400),
        raw("byte order mark", b"\xef\xbb\xbf{}".to_vec(), 400),
        raw("deep arrays", "[".repeat(50_000), 400),
        raw("deep objects", nested(5_000), 400),
        raw(
            "100 KiB",
            format!("{{\"pad\": \"{}\"}}", "x".repeat(100 * 1024)),
            413,
        ),
        raw(
            "100 KiB of spaces",
            format!("{{}}{}", " ".repeat(100 * 1024)),
            413,
        ),
    ];
    cases.push(Case {
        label: "no content type".into(),
        body: b"{}".to_vec(),
        content_type: None,
        status: 415,
    });
    cases.push(Case {
        label: "text/plain".into(),
        body: b"{}".to_vec(),
        content_type: Some("text/plain"),
        status: 415,
    });
    cases.push(Case {
        label: "form".into(),
        body: b"a=1&b=2".to_vec(),
        content_type: Some("application/x-www-form-urlencoded"),
        status: 415,
    });
    cases
}

/// Values that no string field accepts, beside the field's own length limit.
fn bad_strings(max: usize) -> Vec<Value> {
    vec![
        Value::Null,
        json!(12345),
        json!(1.5),
        json!(true),
        json!([]),
        json!(["x"]),
        json!({}),
        json!(""),
        json!("a".repeat(max + 1)),
        json!("é".repeat(max + 1)),
        json!("a\u{0}b"),
        json!("a\nb"),
        json!("tab\tx"),
        json!("esc\u{1b}[31m"),
        json!("del\u{7f}"),
        json!("c1\u{85}"),
    ]
}

fn with(base: &Value, key: &str, v: Value) -> Value {
    let mut o = base.clone();
    o[key] = v;
    o
}

/// Integers no count or duration accepts.
fn bad_ints() -> Vec<Value> {
    vec![
        Value::Null,
        json!(0),
        json!(-1),
        json!(1.0),
        json!(2.5),
        json!(1e3),
        json!("5"),
        json!(true),
        json!([1]),
        json!({"n": 1}),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        serde_json::from_str::<Value>("18446744073709551616").unwrap(),
        serde_json::from_str::<Value>("1e300").unwrap(),
    ]
}

/// A well-formed address of exactly `n` characters (n from 140 to 255): a 64-character
/// local part and a domain of labels of at most 63 characters.
pub fn email_of_length(n: usize) -> String {
    let domain_len = n - 65;
    let last = domain_len - 63 - 1 - 63 - 1 - 4;
    let e = format!(
        "{}@{}.{}.{}.com",
        "a".repeat(64),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(last)
    );
    assert_eq!(e.len(), n);
    e
}

fn email_cases() -> Vec<Value> {
    vec![
        json!(5),
        json!(true),
        json!([]),
        json!(""),
        json!("plain"),
        json!("a@b"),
        json!("@example.com"),
        json!("a b@example.com"),
        json!("a@@example.com"),
        json!("a\u{0}@example.com"),
        json!(email_of_length(255)),
    ]
}

/// One endpoint under attack and its own cases.
pub struct Target {
    pub name: &'static str,
    pub method: &'static str,
    pub path: String,
    pub token: Option<String>,
    pub cases: Vec<Case>,
}

pub fn client_targets(key: &str, sid: &str) -> Vec<Target> {
    let acq = json!({"license_key": key, "hardware_id": "hostile-hw"});
    let mut acquire: Vec<Case> = vec![field(json!({})), field(json!({"license_key": key}))];
    for v in bad_strings(128) {
        acquire.push(field(with(&acq, "license_key", v)));
    }
    for v in bad_strings(256) {
        acquire.push(field(with(&acq, "hardware_id", v)));
    }
    for v in email_cases() {
        acquire.push(field(with(&acq, "user_email", v)));
    }
    let many: serde_json::Map<String, Value> =
        (0..33).map(|i| (format!("k{i}"), json!("v"))).collect();
    for v in [
        json!("app"),
        json!([]),
        json!(5),
        json!({"name": 5}),
        json!({"name": null}),
        json!({"name": {"x": "y"}}),
        json!({"name": "a".repeat(257)}),
        json!({"name": "a\u{0}"}),
        json!({"\u{0}": "x"}),
        json!({"a\nb": "x"}),
        json!({"k".repeat(65): "x"}),
        Value::Object(many),
    ] {
        acquire.push(field(with(&acq, "client", v)));
    }

    let sess = json!({"license_key": key, "session_id": sid});
    let mut session_cases: Vec<Case> = vec![
        field(json!({})),
        field(json!({"license_key": key})),
        field(json!({"session_id": sid})),
    ];
    for v in bad_strings(128) {
        session_cases.push(field(with(&sess, "license_key", v)));
    }
    for v in [
        Value::Null,
        json!(""),
        json!("not-a-uuid"),
        json!(12345),
        json!(1e5),
        json!([sid]),
        json!({"id": sid}),
        json!(format!("{sid}x")),
        json!(&sid[..35]),
        json!(format!("{sid}\u{0}")),
        json!("a".repeat(10_000)),
    ] {
        session_cases.push(field(with(&sess, "session_id", v)));
    }
    let mut validate: Vec<Case> = vec![field(json!({})), field(json!({"key": key}))];
    for v in bad_strings(128) {
        validate.push(field(json!({"license_key": v})));
    }

    let heartbeat_cases = session_cases.clone();
    vec![
        Target {
            name: "acquire",
            method: "POST",
            path: "/api/v1/licenses/acquire".into(),
            token: None,
            cases: acquire,
        },
        Target {
            name: "heartbeat",
            method: "POST",
            path: "/api/v1/licenses/heartbeat".into(),
            token: None,
            cases: heartbeat_cases,
        },
        Target {
            name: "release",
            method: "POST",
            path: "/api/v1/licenses/release".into(),
            token: None,
            cases: session_cases,
        },
        Target {
            name: "validate",
            method: "POST",
            path: "/api/v1/licenses/validate".into(),
            token: None,
            cases: validate,
        },
    ]
}

pub fn admin_targets(t: &TenantFixture, lid: &str) -> Vec<Target> {
    let tenant = json!({"name": "Hostile", "slug": "hostile"});
    let mut tenants = vec![field(json!({})), field(json!({"name": "x"}))];
    for v in bad_strings(200) {
        tenants.push(field(with(&tenant, "name", v)));
    }
    for v in [
        Value::Null,
        json!(5),
        json!(""),
        json!("a".repeat(64)),
        json!("Upper"),
        json!("under_score"),
        json!("sp ace"),
        json!("ünï"),
        json!("a\u{0}"),
        json!(["slug"]),
    ] {
        tenants.push(field(with(&tenant, "slug", v)));
    }

    let token = json!({"name": "t", "role": "admin"});
    let mut tokens = vec![field(json!({})), field(json!({"name": "t"}))];
    for v in bad_strings(200) {
        tokens.push(field(with(&token, "name", v)));
    }
    for v in [
        Value::Null,
        json!("superadmin"),
        json!("ADMIN"),
        json!("owner"),
        json!(""),
        json!(1),
        json!(["admin"]),
    ] {
        tokens.push(field(with(&token, "role", v)));
    }

    let lic = json!({"seats_total": 1});
    let mut create = vec![field(json!({})), field(json!({"name": "no seats"}))];
    let mut patch = vec![];
    let mut both = |v: Value| {
        let mut o = lic.clone();
        for (k, x) in v.as_object().unwrap() {
            o[k] = x.clone();
        }
        create.push(field(o));
        patch.push(field(v));
    };
    for v in bad_ints() {
        both(json!({ "seats_total": v }));
        both(json!({ "heartbeat_ttl_seconds": v }));
    }
    both(json!({"seats_total": 1_000_001}));
    both(json!({"heartbeat_ttl_seconds": 604_801}));
    for v in bad_strings(200).into_iter().skip(1) {
        both(json!({ "name": v }));
    }
    for v in [
        json!(""),
        json!("tomorrow"),
        json!("2026-02-30T00:00:00Z"),
        json!("2026-01-01"),
        json!("2026-01-01T00:00:00"),
        json!("99999-01-01T00:00:00Z"),
        json!(1_767_225_600),
        json!(true),
        json!({}),
    ] {
        both(json!({ "expires_at": v }));
    }
    let too_many: Vec<String> = (0..257).map(|i| format!("e{i}")).collect();
    for v in [
        Value::Null,
        json!("pro"),
        json!({}),
        json!([null]),
        json!([1]),
        json!([["pro"]]),
        json!([""]),
        json!(["a".repeat(129)]),
        json!(["a\u{0}"]),
        json!(too_many),
    ] {
        both(json!({ "entitlements": v }));
    }
    for v in [
        Value::Null,
        json!([]),
        json!("x"),
        json!(1),
        json!({"k": "a\u{0}b"}),
        json!({"a\u{0}": 1}),
        json!({"deep": {"er": ["\u{0}"]}}),
    ] {
        both(json!({ "metadata": v }));
    }
    for v in [Value::Null, json!("true"), json!(0), json!([true])] {
        both(json!({ "is_active": v }));
    }
    vec![
        Target {
            name: "create tenant",
            method: "POST",
            path: "/api/v1/tenants".into(),
            token: Some(ADMIN_TOKEN.into()),
            cases: tenants,
        },
        Target {
            name: "create token",
            method: "POST",
            path: format!("/api/v1/tenants/{}/tokens", t.id),
            token: Some(t.admin.clone()),
            cases: tokens,
        },
        Target {
            name: "create license",
            method: "POST",
            path: format!("/api/v1/tenants/{}/licenses", t.id),
            token: Some(t.admin.clone()),
            cases: create,
        },
        Target {
            name: "patch license",
            method: "PATCH",
            path: format!("/api/v1/tenants/{}/licenses/{lid}", t.id),
            token: Some(t.admin.clone()),
            cases: patch,
        },
    ]
}
