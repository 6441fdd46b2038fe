//! Fixtures and shape assertions shared by the contract tests: tenants with tokens of each
//! role, raw requests (any bytes, any content type), page walking, and checks that a
//! value has the type the contract promises.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::support::helpers::*;

/// A tenant with one token of each tenant role.
pub struct TenantFixture {
    /// Tenant id.
    pub id: String,
    /// Secret of an `admin` token of the tenant.
    pub admin: String,
    /// Id of that token.
    pub admin_id: String,
    /// Secret of a `read_only` token of the tenant.
    pub reader: String,
    /// Id of that token.
    pub reader_id: String,
}

/// A fresh slug, unique per call.
pub fn unique_slug() -> String {
    format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// A UUID that names nothing.
pub fn random_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Asserts a value is an RFC 3339 timestamp in UTC and returns it.
#[track_caller]
pub fn assert_time(v: &Value, what: &str) -> DateTime<Utc> {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {v}"));
    let t = DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{what}: {s:?}: {e}"));
    assert_eq!(t.offset().local_minus_utc(), 0, "{what}: {s:?} is not UTC");
    t.with_timezone(&Utc)
}

/// Asserts a value is null or an RFC 3339 UTC timestamp.
#[track_caller]
pub fn assert_time_or_null(v: &Value, what: &str) {
    if !v.is_null() {
        assert_time(v, what);
    }
}

/// Asserts a value is a UUID string.
#[track_caller]
pub fn assert_uuid(v: &Value, what: &str) -> uuid::Uuid {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {v}"));
    uuid::Uuid::parse_str(s).unwrap_or_else(|e| panic!("{what}: {s:?}: {e}"))
}

/// Asserts an object has exactly these keys (the contract's fields; no more, no fewer).
#[track_caller]
pub fn assert_keys(v: &Value, keys: &[&str]) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"));
    for k in keys {
        assert!(obj.contains_key(*k), "missing field {k:?} in {v}");
    }
    for k in obj.keys() {
        assert!(
            keys.contains(&k.as_str()),
            "field {k:?} not in the contract: {v}"
        );
    }
}

/// Asserts an object has at least these keys (the server may add fields).
#[track_caller]
pub fn assert_has_keys(v: &Value, keys: &[&str]) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"));
    for k in keys {
        assert!(obj.contains_key(*k), "missing field {k:?} in {v}");
    }
}

/// The fields of a tenant.
pub const TENANT_FIELDS: &[&str] = &[
    "id",
    "name",
    "slug",
    "created_at",
    // docs/contract/billing-api.md.
    "stripe_customer_id",
    "billing_email",
    // docs/dashboard-api.md, identity.
    "sso_required",
];
/// The fields of a license.
pub const LICENSE_FIELDS: &[&str] = &[
    "id",
    "tenant_id",
    "name",
    "license_key",
    "key_hint",
    "seats_total",
    "seats_used",
    "expires_at",
    "heartbeat_ttl_seconds",
    "entitlements",
    "metadata",
    "is_active",
    "created_at",
    "updated_at",
    // Extension: borrowing (docs/contract-extensions.md).
    "max_borrow_hours",
    // docs/contract/billing-api.md.
    "product_id",
    "subscription",
    // Extension: archiving (docs/dashboard-api.md).
    "archived_at",
];
/// The fields of a session.
pub const SESSION_FIELDS: &[&str] = &[
    "id",
    "license_id",
    "hardware_id",
    "user_email",
    "client",
    "status",
    "end_reason",
    "created_at",
    "last_heartbeat_at",
    "expires_at",
    "ended_at",
    // Extension: borrowing (docs/contract-extensions.md).
    "borrowed",
];
/// The fields of an audit entry.
pub const AUDIT_FIELDS: &[&str] = &[
    "id",
    "at",
    "actor",
    "action",
    "resource",
    "resource_id",
    "before",
    "after",
];
/// The fields of an acquire or heartbeat answer.
pub const SEAT_FIELDS: &[&str] = &[
    "session_id",
    "license_id",
    "tenant_id",
    "status",
    "expires_at",
    "expires_in_seconds",
    "heartbeat_interval_seconds",
    "license_expires_at",
    "seats_total",
    "seats_used",
    "entitlements",
    "token",
    "server_time",
];

/// Asserts a license has every contract field with the contract's type.
#[track_caller]
pub fn assert_license_shape(l: &Value) {
    assert_has_keys(l, LICENSE_FIELDS);
    assert_uuid(&l["id"], "id");
    assert_uuid(&l["tenant_id"], "tenant_id");
    assert!(l["name"].is_null() || l["name"].is_string(), "name: {l}");
    assert!(
        l["license_key"].is_null() || l["license_key"].is_string(),
        "license_key: {l}"
    );
    assert_eq!(l["key_hint"].as_str().map(|h| h.chars().count()), Some(4));
    assert!(l["seats_total"].is_i64(), "seats_total: {l}");
    assert!(l["seats_used"].is_i64(), "seats_used: {l}");
    assert_time_or_null(&l["expires_at"], "expires_at");
    assert!(l["heartbeat_ttl_seconds"].is_i64());
    assert!(l["entitlements"]
        .as_array()
        .is_some_and(|a| a.iter().all(Value::is_string)));
    assert!(l["metadata"].is_object(), "metadata: {l}");
    assert!(l["is_active"].is_boolean());
    assert!(
        l["product_id"].is_null() || l["product_id"].is_string(),
        "product_id: {l}"
    );
    assert!(
        l["subscription"].is_null() || l["subscription"]["id"].is_string(),
        "subscription: {l}"
    );
    assert_time(&l["created_at"], "created_at");
    assert_time(&l["updated_at"], "updated_at");
}

/// Asserts a session has every contract field with the contract's type.
#[track_caller]
pub fn assert_session_shape(s: &Value) {
    assert_has_keys(s, SESSION_FIELDS);
    assert_uuid(&s["id"], "id");
    assert_uuid(&s["license_id"], "license_id");
    assert!(s["hardware_id"].is_string());
    assert!(s["user_email"].is_null() || s["user_email"].is_string());
    assert!(s["client"].is_null() || s["client"].is_object());
    let status = s["status"].as_str().expect("status");
    assert!(["active", "released", "expired"].contains(&status), "{s}");
    let reason = &s["end_reason"];
    assert!(
        reason.is_null()
            || ["released", "forced", "expired"].contains(&reason.as_str().unwrap_or("?")),
        "{s}"
    );
    assert_eq!(
        status == "active",
        reason.is_null(),
        "end_reason vs status: {s}"
    );
    assert_time(&s["created_at"], "created_at");
    assert_time(&s["last_heartbeat_at"], "last_heartbeat_at");
    assert_time(&s["expires_at"], "expires_at");
    assert_time_or_null(&s["ended_at"], "ended_at");
}

/// Asserts an acquire or heartbeat answer has every contract field with its type.
#[track_caller]
pub fn assert_seat_shape(b: &Value) {
    assert_has_keys(b, SEAT_FIELDS);
    assert_uuid(&b["session_id"], "session_id");
    assert_uuid(&b["license_id"], "license_id");
    assert_uuid(&b["tenant_id"], "tenant_id");
    assert_eq!(b["status"], "active");
    let exp = assert_time(&b["expires_at"], "expires_at");
    let now = assert_time(&b["server_time"], "server_time");
    assert!(exp > now, "a held seat expires in the future: {b}");
    assert!(b["expires_in_seconds"].as_i64().is_some_and(|n| n >= 0));
    assert!(b["heartbeat_interval_seconds"]
        .as_i64()
        .is_some_and(|n| n >= 1));
    assert_time_or_null(&b["license_expires_at"], "license_expires_at");
    assert!(b["seats_total"].is_i64() && b["seats_used"].is_i64());
    assert!(b["entitlements"].is_array());
    let token = b["token"].as_str().expect("token");
    assert_eq!(token.split('.').count(), 3, "JWS compact: {token}");
}

impl TestApp {
    /// A request with any body bytes and any (or no) content type.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(m, self.url(path)).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        self.send(req).await
    }

    /// POSTs a body of `chunks` chunks of `size` spaces with chunked transfer encoding
    /// (no content-length), over a plain socket; returns the status and the raw answer.
    pub async fn chunked_post(
        &self,
        path: &str,
        content_type: &str,
        chunks: usize,
        size: usize,
    ) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.base.trim_start_matches("http://");
        let mut sock = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {content_type}\r\n\
             transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        );
        sock.write_all(head.as_bytes()).await.unwrap();
        let chunk = format!("{size:x}\r\n{}\r\n", " ".repeat(size));
        for _ in 0..chunks {
            // The server may answer and close before the whole body is sent.
            if sock.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
        let _ = sock.write_all(b"0\r\n\r\n").await;
        let mut answer = Vec::new();
        let _ = sock.read_to_end(&mut answer).await;
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, text)
    }

    /// Creates a token of `role` in tenant `tid`, acting as `as_token`; returns the answer.
    pub async fn create_token_as(
        &self,
        as_token: &str,
        tid: &str,
        name: &str,
        role: &str,
    ) -> Value {
        self.call(
            "POST",
            &format!("/api/v1/tenants/{tid}/tokens"),
            Some(as_token),
            Some(json!({"name": name, "role": role})),
        )
        .await
        .expect(201)
    }

    /// A new tenant with an `admin` and a `read_only` token.
    pub async fn tenant_fixture(&self) -> TenantFixture {
        let t = self.create_tenant(&unique_slug()).await;
        let id = t["id"].as_str().unwrap().to_owned();
        let a = self
            .create_token_as(ADMIN_TOKEN, &id, "ci-admin", "admin")
            .await;
        let r = self
            .create_token_as(ADMIN_TOKEN, &id, "dashboard-reader", "read_only")
            .await;
        TenantFixture {
            id,
            admin: a["token"].as_str().unwrap().to_owned(),
            admin_id: a["id"].as_str().unwrap().to_owned(),
            reader: r["token"].as_str().unwrap().to_owned(),
            reader_id: r["id"].as_str().unwrap().to_owned(),
        }
    }

    /// Follows `next_cursor` from the first page (`path` has no query or ends in `?…&`)
    /// and returns every item, checking each page's shape on the way.
    pub async fn collect_pages(&self, path: &str, token: &str, limit: u32) -> Vec<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let url = match &cursor {
                None => format!("{path}{sep}limit={limit}"),
                Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            };
            let page = self.call("GET", &url, Some(token), None).await.expect(200);
            assert_keys(&page, &["items", "next_cursor"]);
            let got = page["items"].as_array().expect("items").clone();
            assert!(got.len() <= limit as usize, "page over its limit");
            items.extend(got.iter().cloned());
            match &page["next_cursor"] {
                Value::Null => return items,
                Value::String(c) => {
                    assert!(!got.is_empty(), "a next_cursor after an empty page");
                    cursor = Some(c.clone());
                }
                other => panic!("next_cursor must be a string or null: {other}"),
            }
        }
        panic!("pagination never ended");
    }

    /// Every audit entry of a tenant, newest first.
    pub async fn audit_entries(&self, tid: &str) -> Vec<Value> {
        self.collect_pages(&format!("/api/v1/tenants/{tid}/audit"), ADMIN_TOKEN, 200)
            .await
    }

    /// Acquires and returns the seat answer, expecting `201`.
    pub async fn take_seat(&self, key: &str, hw: &str) -> Value {
        self.acquire(key, hw).await.expect(201)
    }

    /// PATCHes a license as superadmin, expecting `200`.
    pub async fn patch_license(&self, tid: &str, lid: &str, body: Value) -> Value {
        self.admin(
            "PATCH",
            &format!("/api/v1/tenants/{tid}/licenses/{lid}"),
            Some(body),
        )
        .await
        .expect(200)
    }

    /// Validates a key.
    pub async fn validate(&self, key: &str) -> Value {
        self.client("/api/v1/licenses/validate", json!({"license_key": key}))
            .await
            .expect(200)
    }
}

/// Sleeps until the session of a seat answer (acquire or heartbeat) has expired on the
/// server's clock: `expires_at - server_time` after `received`, when the answer arrived,
/// plus a small margin. Tests that need an expired session wait no longer than this.
pub async fn sleep_until_expired(seat: &Value, received: std::time::Instant) {
    let left = assert_time(&seat["expires_at"], "expires_at")
        - assert_time(&seat["server_time"], "server_time");
    let left = left.to_std().unwrap_or_default() + std::time::Duration::from_millis(50);
    tokio::time::sleep(left.saturating_sub(received.elapsed())).await;
}

/// The license key and id of a license answer.
pub fn key_and_id(l: &Value) -> (String, String) {
    (
        l["license_key"].as_str().expect("license_key").to_owned(),
        l["id"].as_str().expect("id").to_owned(),
    )
}

/// An RFC 3339 time `secs` seconds from now (negative: in the past).
pub fn time_from_now(secs: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
