//! A real OpenID provider for the SSO tests: `tests/oidc-provider` (panva's certified
//! `oidc-provider` on Node.js) run on loopback, its control API, and a browser stand-in
//! that keeps cookies and follows redirects one at a time, so a test can stop at the
//! callback and finish it elsewhere (another browser, a forged state).

use std::process::Stdio;

use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The provider script, from this crate's folder.
fn script() -> String {
    format!(
        "{}/../../tests/oidc-provider/provider.mjs",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A running provider; killed when dropped (it also exits when its stdin closes).
pub struct OidcProvider {
    _child: Child,
    /// `http://127.0.0.1:<port>`.
    pub issuer: String,
    http: Client,
}

impl OidcProvider {
    /// Starts one; panics (never skips) when Node.js or its packages are missing — run
    /// `npm ci --prefix tests/oidc-provider`.
    pub async fn start() -> Self {
        let mut child = Command::new("node")
            .arg(script())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Its log only when asked for: CODITECT_OIDC_PROVIDER_LOG=1.
            .stderr(
                if std::env::var_os("CODITECT_OIDC_PROVIDER_LOG").is_some() {
                    Stdio::inherit()
                } else {
                    Stdio::null()
                },
            )
            .kill_on_drop(true)
            .spawn()
            .expect("node runs tests/oidc-provider/provider.mjs (is Node.js installed?)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let read = reader.read_line(&mut line);
        tokio::time::timeout(std::time::Duration::from_secs(30), read)
            .await
            .expect("the provider starts within 30 s")
            .expect("the provider's first line");
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            panic!("the provider did not start (npm ci --prefix tests/oidc-provider?): {line:?}")
        });
        Self {
            _child: child,
            issuer: v["issuer"].as_str().expect("issuer").to_owned(),
            http: Client::new(),
        }
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}/__test/{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .expect("the provider's control API");
        assert!(r.status().is_success(), "control {path}: {}", r.status());
        r.json().await.expect("JSON")
    }

    /// Registers a client that may come back to `redirect_uri`.
    pub async fn client(&self, client_id: &str, secret: &str, redirect_uri: &str, extra: Value) {
        self.control(
            "clients",
            json!({"client_id": client_id, "client_secret": secret,
                "redirect_uris": [redirect_uri], "extra_claims": extra}),
        )
        .await;
    }

    /// Registers a person.
    pub async fn account(&self, sub: &str, email: &str, verified: bool, name: &str) {
        self.control(
            "accounts",
            json!({"sub": sub, "email": email, "email_verified": verified, "name": name}),
        )
        .await;
    }

    /// The next id_token is re-signed with these claims changed (`key`: `provider` or
    /// `foreign`).
    pub async fn tamper(&self, claims: Value, key: &str) {
        self.control("tamper", json!({"claims": claims, "key": key}))
            .await;
    }

    /// A new signing key, listed first in the JWKS and used from now on.
    pub async fn rotate(&self) -> String {
        self.control("rotate", json!({})).await["kid"]
            .as_str()
            .expect("kid")
            .to_owned()
    }

    /// A JWT with exactly these claims, signed by the provider's key or a foreign one.
    pub async fn mint(&self, claims: Value, key: &str) -> String {
        self.control("mint", json!({"claims": claims, "key": key}))
            .await["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// A client-credentials access token (a JWT whose `aud` is `resource`).
    pub async fn machine_token(&self, client_id: &str, secret: &str, resource: &str) -> String {
        let r = self
            .http
            .post(format!("{}/token", self.issuer))
            .basic_auth(client_id, Some(secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("resource", resource),
                ("scope", "api"),
            ])
            .send()
            .await
            .expect("token endpoint");
        let v: Value = r.json().await.expect("JSON");
        v["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {v}"))
            .to_owned()
    }

    /// The JWKS address.
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.issuer)
    }
}

/// A browser: its own cookies, redirects followed by hand.
pub struct Browser {
    http: Client,
}

/// Where a sign-in ended at the server.
pub struct Landing {
    /// The callback's status.
    pub status: StatusCode,
    /// Where the callback sent the browser.
    pub location: String,
    /// Whether the callback set a dashboard session cookie.
    pub session_set: bool,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with no cookies.
    pub fn new() -> Self {
        Self {
            http: Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }

    async fn get(&self, url: &str) -> Response {
        self.http.get(url).send().await.expect("GET")
    }

    fn location(r: &Response, base: &str) -> String {
        let raw = r
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no Location on {} {}", r.status(), r.url()));
        reqwest::Url::parse(base)
            .and_then(|b| b.join(raw))
            .expect("a Location")
            .to_string()
    }

    /// Starts a sign-in at `start_url` and signs in at the provider as `email`; the
    /// callback URL the provider sends the browser to (not yet fetched), or the
    /// sign-in page the server sent it to when the start failed.
    pub async fn authorize(&self, start_url: &str, email: &str) -> String {
        let mut url = start_url.to_owned();
        for _ in 0..10 {
            if url.contains("/api/v1/auth/oidc/") && url.contains("/callback") {
                return url;
            }
            let r = self.get(&url).await;
            if r.status().is_redirection() {
                url = Self::location(&r, r.url().as_str());
                continue;
            }
            assert_eq!(r.status(), StatusCode::OK, "at {url}");
            let page = r.text().await.unwrap();
            if !page.contains("name=\"email\"") {
                return url;
            }
            let action = url.trim_end_matches('/').to_owned() + "/login";
            let r = self
                .http
                .post(&action)
                .form(&[("email", email), ("password", "any")])
                .send()
                .await
                .expect("POST login");
            assert!(
                r.status().is_redirection(),
                "login form answered {}",
                r.status()
            );
            url = Self::location(&r, &action);
        }
        panic!("no callback after 10 redirects (last {url})");
    }

    /// Where the server's start sends the browser (the provider's authorization URL),
    /// without going there.
    pub async fn authorize_url(&self, start_url: &str) -> String {
        let r = self.get(start_url).await;
        assert_eq!(r.status(), StatusCode::FOUND, "the start redirects");
        Self::location(&r, start_url)
    }

    /// Fetches the callback in this browser.
    pub async fn finish(&self, callback_url: &str) -> Landing {
        let r = self.get(callback_url).await;
        let session_set = r
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| c.starts_with("coditect_session=") && !c.starts_with("coditect_session=;"));
        let location = r
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Landing {
            status: r.status(),
            location,
            session_set,
        }
    }

    /// `GET /api/v1/auth/me` with this browser's cookies.
    pub async fn me(&self, base: &str) -> (StatusCode, Value) {
        let r = self.get(&format!("{base}/api/v1/auth/me")).await;
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}
