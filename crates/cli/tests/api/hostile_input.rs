//! The hostile-input table: every POST and PATCH endpoint gets malformed JSON, non-objects,
//! wrong types, nulls, out-of-range and huge numbers, over-long strings, control
//! characters, invalid UTF-8, deep nesting and oversized bodies. Every answer must be a
//! 4xx in the error shape (never a 5xx), and no seat, license, token or tenant may change.

use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;

/// A body to send: raw bytes (with a JSON content type unless stated) and the status the
/// contract requires for it.
#[derive(Clone)]
struct Case {
    label: String,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    status: u16,
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

fn nested(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

/// Bodies that are wrong whatever the endpoint.
fn generic_cases() -> Vec<Case> {
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
fn email_of_length(n: usize) -> String {
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

struct Target {
    name: &'static str,
    method: &'static str,
    path: String,
    token: Option<String>,
    cases: Vec<Case>,
}

fn client_targets(key: &str, sid: &str) -> Vec<Target> {
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

fn admin_targets(t: &TenantFixture, lid: &str) -> Vec<Target> {
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

/// Sends every generic and specific case to one target and checks each answer.
async fn run_table(app: &TestApp, target: &Target) -> usize {
    let mut sent = 0;
    let cases = generic_cases()
        .into_iter()
        .chain(target.cases.iter().cloned());
    for case in cases {
        let r = app
            .raw(
                target.method,
                &target.path,
                target.token.as_deref(),
                case.content_type,
                case.body,
            )
            .await;
        let what = format!("{} / {}", target.name, case.label);
        assert!(
            r.status.is_client_error(),
            "{what}: {} {}",
            r.status,
            r.text
        );
        assert_eq!(r.status.as_u16(), case.status, "{what}: {}", r.text);
        let code = r.code().to_owned();
        r.expect_error(case.status, &code);
        if case.status == 422 {
            let fields = r.body["error"]["details"]["fields"].as_object();
            assert!(
                fields.is_some_and(|f| !f.is_empty()),
                "{what}: 422 without details.fields: {}",
                r.text
            );
        }
        sent += 1;
    }
    sent
}

/// What must not change: every listing a hostile request could have touched.
async fn snapshot(app: &TestApp, t: &TenantFixture, lid: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        "/api/v1/tenants".to_owned(),
        format!("/api/v1/tenants/{}/tokens", t.id),
        format!("/api/v1/tenants/{}/licenses", t.id),
        format!("/api/v1/tenants/{}/licenses/{lid}/sessions", t.id),
        format!("/api/v1/tenants/{}/audit", t.id),
    ] {
        out.push(Value::Array(
            app.collect_pages(&path, ADMIN_TOKEN, 200).await,
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_answer_4xx_in_the_error_shape_and_change_nothing() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let lic = app
        .create_license(&t.id, json!({"seats_total": 2, "name": "target"}))
        .await;
    let (key, lid) = key_and_id(&lic);
    let seat = app.take_seat(&key, "holder").await;
    let sid = seat["session_id"].as_str().unwrap().to_owned();
    let before = snapshot(&app, &t, &lid).await;

    let mut targets = client_targets(&key, &sid);
    targets.extend(admin_targets(&t, &lid));
    // Targets run side by side (each one's cases in order) to keep the table quick.
    let counts = futures::future::join_all(targets.iter().map(|t| run_table(&app, t))).await;
    let sent: usize = counts.iter().sum();
    assert!(sent > 550, "the table is as large as intended ({sent})");

    assert_eq!(app.seats_used(&t.id, &lid).await, 1, "seats_used unchanged");
    assert_eq!(snapshot(&app, &t, &lid).await, before, "nothing changed");
    // The held seat still works.
    app.heartbeat(&key, &sid).await.expect(200);
}

#[tokio::test]
async fn extreme_but_valid_values_are_accepted() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let path = format!("/api/v1/tenants/{}/licenses", t.id);
    let deep_meta: Value = serde_json::from_str(&nested(100)).unwrap();
    for body in [
        json!({"seats_total": 1_000_000, "heartbeat_ttl_seconds": 604_800}),
        json!({"seats_total": 1, "heartbeat_ttl_seconds": 1}),
        json!({"seats_total": 1, "expires_at": "9999-12-31T23:59:59.999999Z"}),
        json!({"seats_total": 1, "expires_at": "0001-01-01T00:00:00Z"}),
        json!({"seats_total": 1, "expires_at": "1970-01-01T00:00:00Z"}),
        json!({"seats_total": 1, "expires_at": "2030-06-30T12:00:00.123456789+14:00"}),
        json!({"seats_total": 1, "name": "ü".repeat(200), "entitlements": ["é".repeat(128)]}),
        json!({"seats_total": 1, "metadata": deep_meta}),
        json!({"seats_total": 1, "metadata": {"big": u64::MAX, "neg": i64::MIN, "f": 1e300,
            "emoji": "🦀", "nested": [[[]]], "null": null}}),
    ] {
        let l = app
            .call("POST", &path, Some(&t.admin), Some(body.clone()))
            .await
            .expect(201);
        assert_license_shape(&l);
        let (key, lid) = key_and_id(&l);
        if let Some(m) = body.get("metadata") {
            assert_eq!(&l["metadata"], m, "metadata round-trips");
        }
        let got = app
            .admin("GET", &format!("{path}/{lid}"), None)
            .await
            .expect(200);
        assert_eq!(got, l, "stored as answered");
        // Every such license answers acquire with a contract status, never a 5xx.
        let r = app.acquire(&key, &"h".repeat(256)).await;
        assert!(
            [201, 403].contains(&r.status.as_u16()),
            "{body}: {} {}",
            r.status,
            r.text
        );
    }
    // A 256-character hardware id of multi-byte characters, and a 254-character e-mail.
    let l = app.create_license(&t.id, json!({"seats_total": 2})).await;
    let (key, _) = key_and_id(&l);
    let email = email_of_length(254);
    app.client(
        "/api/v1/licenses/acquire",
        json!({"license_key": key, "hardware_id": "日".repeat(256), "user_email": email}),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn hostile_paths_queries_and_headers_answer_4xx_in_the_error_shape() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let lic = app.create_license(&t.id, json!({"seats_total": 1})).await;
    let (_, lid) = key_and_id(&lic);
    let tid = &t.id;
    let long = "x".repeat(8 * 1024);
    let cases: Vec<(String, u16, &str)> = vec![
        ("/api/v1/tenants/%FF%FE/licenses".into(), 404, "not_found"),
        (
            format!("/api/v1/tenants/{tid}%00/licenses"),
            404,
            "not_found",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses/%00"),
            404,
            "license_not_found",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses/{lid}%20"),
            404,
            "license_not_found",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses/{long}"),
            404,
            "license_not_found",
        ),
        (format!("/api/v1/{long}"), 404, "not_found"),
        (
            format!("/api/v1/tenants/{tid}/licenses?limit=%FF"),
            422,
            "validation_error",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses?cursor=%00"),
            422,
            "validation_error",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses?limit=1e2"),
            422,
            "validation_error",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses?limit={long}"),
            422,
            "validation_error",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions?status=%00"),
            422,
            "validation_error",
        ),
        (
            format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions?status=ACTIVE"),
            422,
            "validation_error",
        ),
    ];
    for (path, status, code) in cases {
        app.call("GET", &path, Some(&t.admin), None)
            .await
            .expect_error(status, code);
    }
    // Duplicate or unknown query parameters are not a fault of the server.
    for q in ["limit=1&limit=2", "foo=bar", "limit=5&&&", "%3D%3D=%26"] {
        let r = app
            .call(
                "GET",
                &format!("/api/v1/tenants/{tid}/licenses?{q}"),
                Some(&t.admin),
                None,
            )
            .await;
        assert!(
            r.status == 200 || r.status == 422,
            "{q}: {} {}",
            r.status,
            r.text
        );
    }
    // Oversized or non-UTF-8 headers: refused or replaced, never a 5xx.
    let path = format!("/api/v1/tenants/{tid}/licenses");
    let huge_token = format!("Bearer {}", "a".repeat(10_000));
    let r = app
        .send(
            app.http
                .get(app.url(&path))
                .header("authorization", huge_token),
        )
        .await;
    r.expect_error(401, "unauthorized");
    let r = app
        .send(
            app.http
                .get(app.url(&path))
                .header("authorization", &b"Bearer \xff\xfe"[..]),
        )
        .await;
    r.expect_error(401, "unauthorized");
    let r = app
        .send(
            app.http
                .get(app.url(&path))
                .bearer_auth(&t.admin)
                .header("x-request-id", long.as_str()),
        )
        .await;
    assert_ne!(r.header("x-request-id"), Some(long.as_str()));
    r.expect(200);
}
