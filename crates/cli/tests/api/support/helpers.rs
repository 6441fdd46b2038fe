//! The test harness: every test gets its own server on port 0 and its own fresh database.
//! SQLite by default; set `CODITECT_TEST_DATABASE_URL` to a PostgreSQL server URL
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`) to run the very same tests on
//! PostgreSQL, each in a database of its own.

#![allow(dead_code)]

use std::time::Duration;

use coditect_server::{Config, RunningServer, SigningAlg};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The superadmin token every test server accepts.
pub const ADMIN_TOKEN: &str = "test-superadmin-token-0123456789abcdef";

/// A database made for one test: a SQLite file, or a PostgreSQL database of its own when
/// `CODITECT_TEST_DATABASE_URL` is set (see `coditect_test_support`). Not dropped
/// afterwards: CI drops leftover `coditect_test_%` databases before its PostgreSQL stage.
pub use coditect_test_support::TestDatabase as TestDb;

/// Which backend this run of the suite uses.
pub fn backend_name() -> &'static str {
    if coditect_test_support::postgres_admin_url().is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// A running test server and a client for it.
pub struct TestApp {
    pub server: Option<RunningServer>,
    pub base: String,
    pub http: reqwest::Client,
    pub db: TestDb,
    pub data_dir: tempfile::TempDir,
    pub config: Config,
}

/// Settings for a test server: fast reaper and key refresh so tests need not wait.
pub fn test_config(db: &TestDb, data_dir: &std::path::Path) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        data_dir: data_dir.to_path_buf(),
        database_url: Some(db.url.clone()),
        bootstrap_token: Some(ADMIN_TOKEN.into()),
        signing_alg: SigningAlg::Es256,
        issuer: "coditect-test".into(),
        master_key: None,
        reaper_interval: Duration::from_millis(300),
        key_refresh_interval: Duration::from_millis(200),
        mail_poll_interval: Duration::from_millis(100),
        mail_retry_base: Duration::from_millis(100),
        mail_retry_max: Duration::from_millis(400),
        usage_sample_interval: Duration::from_secs(1),
        ..Config::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let db = TestDb::new().await;
    let data_dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(&db, data_dir.path());
    tweak(&mut config);
    let server = coditect_server::spawn(config.clone())
        .await
        .expect("server starts");
    let base = server.url();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    TestApp {
        server: Some(server),
        base,
        http,
        db,
        data_dir,
        config,
    }
}

/// A response's status and JSON body (`Value::Null` when the body is not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    /// The raw body as text (lossy), for non-JSON answers.
    pub text: String,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }
    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Asserts the headers every response carries: a request id and `x-api-version: 1`.
    #[track_caller]
    pub fn assert_common_headers(&self) {
        assert_eq!(self.header("x-api-version"), Some("1"), "x-api-version");
        let rid = self.header("x-request-id").expect("x-request-id header");
        assert!(
            (1..=128).contains(&rid.len())
                && rid
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".:_-".contains(&b)),
            "malformed request id {rid:?}"
        );
    }
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self.assert_common_headers();
        self.body
    }
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(self.code(), code, "unexpected code; body: {}", self.body);
        assert!(
            self.body["error"]["message"].is_string(),
            "error without message: {}",
            self.body
        );
        assert!(
            self.body["error"]["details"].is_object(),
            "error without details: {}",
            self.body
        );
        self.assert_common_headers();
        let rid = self.body["error"]["request_id"]
            .as_str()
            .expect("request_id in error");
        assert_eq!(
            Some(rid),
            self.headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
        );
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A JSON request with an optional bearer token.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(m, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.call(method, path, Some(ADMIN_TOKEN), body).await
    }

    pub async fn client(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, None, Some(body)).await
    }

    pub async fn create_tenant(&self, slug: &str) -> Value {
        self.admin(
            "POST",
            "/api/v1/tenants",
            Some(json!({"name": slug, "slug": slug})),
        )
        .await
        .expect(201)
    }

    pub async fn create_license(&self, tenant_id: &str, body: Value) -> Value {
        self.admin(
            "POST",
            &format!("/api/v1/tenants/{tenant_id}/licenses"),
            Some(body),
        )
        .await
        .expect(201)
    }

    /// A tenant and a license with `seats` seats; returns (tenant id, license).
    pub async fn license_with(&self, body: Value) -> (String, Value) {
        let slug = format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let t = self.create_tenant(&slug).await;
        let tid = t["id"].as_str().unwrap().to_owned();
        let l = self.create_license(&tid, body).await;
        (tid, l)
    }

    pub async fn acquire(&self, key: &str, hw: &str) -> Reply {
        self.client(
            "/api/v1/licenses/acquire",
            json!({"license_key": key, "hardware_id": hw}),
        )
        .await
    }

    pub async fn heartbeat(&self, key: &str, session: &str) -> Reply {
        self.client(
            "/api/v1/licenses/heartbeat",
            json!({"license_key": key, "session_id": session}),
        )
        .await
    }

    pub async fn release(&self, key: &str, session: &str) -> Reply {
        self.client(
            "/api/v1/licenses/release",
            json!({"license_key": key, "session_id": session}),
        )
        .await
    }

    pub async fn seats_used(&self, tenant_id: &str, license_id: &str) -> i64 {
        let l = self
            .admin(
                "GET",
                &format!("/api/v1/tenants/{tenant_id}/licenses/{license_id}"),
                None,
            )
            .await
            .expect(200);
        l["seats_used"].as_i64().unwrap()
    }

    /// Stops the server gracefully and starts a new one on the same database.
    pub async fn restart(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
        let server = coditect_server::spawn(self.config.clone())
            .await
            .expect("server restarts");
        self.base = server.url();
        self.server = Some(server);
    }

    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
    }
}
