//! The request parsers, through the real router on a real (SQLite) store: a fuzzed JSON
//! body for each write endpoint, or a fuzzed query string for each list endpoint. Whatever
//! the bytes, the answer is never a 5xx, and every 4xx is in the contract's error shape.
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use axum::Router;
use coditect_server::config::Config;
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const ADMIN: &str = "fuzz-superadmin-token-0123456789abcdef";

/// (method, path, whether the bytes are the body or the query)
const TARGETS: &[(Method, &str, bool)] = &[
    (Method::POST, "/api/v1/licenses/acquire", true),
    (Method::POST, "/api/v1/licenses/heartbeat", true),
    (Method::POST, "/api/v1/licenses/release", true),
    (Method::POST, "/api/v1/licenses/validate", true),
    (Method::POST, "/api/v1/licenses/borrow", true),
    (Method::POST, "/api/v1/tenants", true),
    (Method::POST, "/api/v1/tenants/{t}/licenses", true),
    (Method::PATCH, "/api/v1/tenants/{t}/licenses/{l}", true),
    (Method::POST, "/api/v1/tenants/{t}/licenses/bulk", true),
    (Method::POST, "/api/v1/tenants/{t}/tokens", true),
    (Method::POST, "/api/v1/auth/login", true),
    (Method::POST, "/api/v1/auth/password-reset", true),
    (Method::POST, "/api/v1/invitations/accept", true),
    (Method::GET, "/api/v1/tenants/{t}/licenses", false),
    (Method::GET, "/api/v1/tenants/{t}/audit", false),
    (
        Method::GET,
        "/api/v1/tenants/{t}/licenses/{l}/sessions",
        false,
    ),
    (Method::GET, "/api/v1/tenants", false),
];

struct Fixture {
    rt: tokio::runtime::Runtime,
    router: Router,
    tenant: String,
    license: String,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            bootstrap_token: Some(ADMIN.into()),
            ..Config::default()
        };
        let router = rt.block_on(async {
            let state = coditect_server::build_state(config).await.expect("state");
            coditect_server::routes::router(state)
        });
        let mut f = Fixture {
            rt,
            router,
            tenant: String::new(),
            license: String::new(),
            _dir: dir,
        };
        let t = f.call(
            Method::POST,
            "/api/v1/tenants",
            r#"{"name":"Fuzz","slug":"fuzz"}"#.into(),
        );
        f.tenant = t.1["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/tenants/{}/licenses", f.tenant);
        let l = f.call(Method::POST, &path, r#"{"seats_total":3}"#.into());
        f.license = l.1["id"].as_str().unwrap().to_owned();
        f
    })
}

impl Fixture {
    fn call(&self, method: Method, uri: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {ADMIN}"))
            .header("content-type", "application/json")
            .extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))))
            .body(Body::from(body))
            .unwrap();
        self.rt.block_on(async {
            let res = self.router.clone().oneshot(req).await.unwrap();
            let status = res.status().as_u16();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
            )
        })
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let f = fixture();
    let (method, template, is_body) = &TARGETS[pick as usize % TARGETS.len()];
    let path = template
        .replace("{t}", &f.tenant)
        .replace("{l}", &f.license);
    let (uri, body) = if *is_body {
        (path, rest.to_vec())
    } else {
        let q: String = String::from_utf8_lossy(rest)
            .chars()
            .filter(|c| c.is_ascii_graphic() && *c != '#')
            .collect();
        (format!("{path}?{q}"), Vec::new())
    };
    if uri.parse::<axum::http::Uri>().is_err() {
        return;
    }
    let (status, answer) = f.call(method.clone(), &uri, body);
    assert!(status < 500, "{method} {uri}: {status} {answer}");
    if status >= 400 {
        assert!(
            answer["error"]["code"].is_string(),
            "{method} {uri}: {status} {answer}"
        );
        assert!(
            answer["error"]["message"].is_string(),
            "{method} {uri}: {answer}"
        );
    }
});
