//! The client endpoints of the contract as plain async calls, without any lease logic.
//! Their bodies are the server's own types ([`coditect_domain::wire`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::config::ClientConfig;
use crate::error::{ApiCode, Error, Result};
use crate::{Released, Seat};

/// The HTTP side of the client: one connection pool, the server's addresses and the key.
#[derive(Clone)]
pub(crate) struct Api {
    http: reqwest::Client,
    /// The service's base URLs, in the configured order.
    bases: Arc<[String]>,
    /// The address that answered last: calls start there, so a fleet that failed over
    /// stays on the address that works instead of timing out on the dead one every call.
    current: Arc<AtomicUsize>,
    key: String,
    timeout: Duration,
}

/// A base URL without its trailing slash, refused unless it is HTTP(S).
fn base_url(url: &str) -> Result<String> {
    let base = url.trim_end_matches('/').to_owned();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(Error::Config(format!(
            "server URLs must start with http:// or https://, not {base:?}"
        )));
    }
    Ok(base)
}

/// Whether a failure at one address is a reason to try the next: the address could not
/// be reached, or the service behind it is failing (`5xx`). A refusal (`4xx`, `429`
/// included: limits are shared by every replica) is the service's answer wherever asked.
fn try_next(e: &Error) -> bool {
    match e {
        Error::Network(_) => true,
        Error::Api { status, .. } => *status >= 500,
        _ => false,
    }
}

impl Api {
    pub(crate) fn new(cfg: &ClientConfig) -> Result<Self> {
        let bases = cfg
            .server_urls()
            .map(base_url)
            .collect::<Result<Vec<_>>>()?;
        if cfg.license_key.is_empty() {
            return Err(Error::Config("license_key is empty".into()));
        }
        let mut b = reqwest::Client::builder()
            .timeout(cfg.request_timeout)
            .connect_timeout(cfg.request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!(
                "coditect-license-client/",
                env!("CARGO_PKG_VERSION")
            ));
        for pem in &cfg.root_certificates_pem {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| Error::Config(format!("bad root certificate: {e}")))?;
            b = b.add_root_certificate(cert);
        }
        Ok(Self {
            http: b.build().map_err(|e| Error::Config(e.to_string()))?,
            bases: bases.into(),
            current: Arc::new(AtomicUsize::new(0)),
            key: cfg.license_key.clone(),
            timeout: cfg.request_timeout,
        })
    }

    /// Sends the request `make` builds for a base URL to each address in turn, starting
    /// with the one that answered last, until one answers with something other than a
    /// reason to move on ([`try_next`]); the last failure is returned when none does.
    /// Retrying elsewhere is safe: acquire is idempotent per hardware id, heartbeat and
    /// release per session.
    async fn send<T, F, Fut>(&self, make: F) -> Result<T>
    where
        F: Fn(&str) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let n = self.bases.len();
        let start = self.current.load(Ordering::Relaxed) % n;
        let mut last = None;
        for i in (0..n).map(|k| (start + k) % n) {
            match make(&self.bases[i]).await {
                Err(e) if try_next(&e) => last = Some(e),
                answer => {
                    self.current.store(i, Ordering::Relaxed);
                    return answer;
                }
            }
        }
        Err(last.expect("at least one server URL"))
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Value,
        timeout: Duration,
    ) -> Result<T> {
        self.send(|base| {
            let req = self
                .http
                .post(format!("{base}{path}"))
                .timeout(timeout)
                .json(&body);
            async move { read(req.send().await?).await }
        })
        .await
    }

    fn seat_body(
        &self,
        hardware_id: &str,
        user_email: Option<&str>,
        client: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("license_key".into(), json!(self.key));
        m.insert("hardware_id".into(), json!(hardware_id));
        if let Some(e) = user_email {
            m.insert("user_email".into(), json!(e));
        }
        if !client.is_empty() {
            m.insert("client".into(), Value::Object(client.clone()));
        }
        m
    }

    pub(crate) async fn acquire(
        &self,
        hardware_id: &str,
        user_email: Option<&str>,
        client: &Map<String, Value>,
        wait: Duration,
    ) -> Result<Seat> {
        let mut body = self.seat_body(hardware_id, user_email, client);
        let wait_s = wait.as_secs().min(300);
        if wait_s > 0 {
            body.insert("wait_seconds".into(), json!(wait_s));
        }
        let timeout = self.timeout + Duration::from_secs(wait_s);
        self.post("/api/v1/licenses/acquire", Value::Object(body), timeout)
            .await
    }

    pub(crate) async fn borrow(
        &self,
        hardware_id: &str,
        user_email: Option<&str>,
        client: &Map<String, Value>,
        hours: u32,
    ) -> Result<Seat> {
        let mut body = self.seat_body(hardware_id, user_email, client);
        body.insert("hours".into(), json!(hours));
        self.post("/api/v1/licenses/borrow", Value::Object(body), self.timeout)
            .await
    }

    pub(crate) async fn heartbeat(&self, session_id: Uuid) -> Result<Seat> {
        let body = json!({"license_key": self.key, "session_id": session_id});
        self.post("/api/v1/licenses/heartbeat", body, self.timeout)
            .await
    }

    pub(crate) async fn release(&self, session_id: Uuid) -> Result<Released> {
        let body = json!({"license_key": self.key, "session_id": session_id});
        self.post("/api/v1/licenses/release", body, self.timeout)
            .await
    }

    pub(crate) async fn jwks(&self) -> Result<String> {
        self.send(|base| {
            let req = self.http.get(format!("{base}/.well-known/jwks.json"));
            async move {
                let res = req.send().await?;
                if !res.status().is_success() {
                    return Err(api_error(res).await);
                }
                Ok(res.text().await?)
            }
        })
        .await
    }
}

async fn read<T: DeserializeOwned>(res: reqwest::Response) -> Result<T> {
    if !res.status().is_success() {
        return Err(api_error(res).await);
    }
    let bytes = res.bytes().await?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Network(format!("unreadable answer: {e}")))
}

async fn api_error(res: reqwest::Response) -> Error {
    let status = res.status().as_u16();
    let body: Value = match res.bytes().await {
        Ok(b) => serde_json::from_slice(&b).unwrap_or(Value::Null),
        Err(e) => return Error::Network(e.to_string()),
    };
    let e = &body["error"];
    match e["code"].as_str() {
        Some(code) => Error::Api {
            status,
            code: ApiCode::parse(code),
            message: e["message"].as_str().unwrap_or_default().to_owned(),
            details: e["details"].clone(),
        },
        // Not the contract's error body: a proxy or load balancer answered.
        None if status >= 500 || status == 429 => {
            Error::Network(format!("HTTP {status} without an error body"))
        }
        None => Error::Api {
            status,
            code: ApiCode::Other("unexpected_response".into()),
            message: format!("HTTP {status} without an error body"),
            details: Value::Null,
        },
    }
}
