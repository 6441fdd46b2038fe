//! The client endpoints of the contract as plain async calls, without any lease logic.
//! Their bodies are the server's own types ([`coditect_domain::wire`]).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::config::ClientConfig;
use crate::error::{ApiCode, Error, Result};
use crate::{Released, Seat};

/// The HTTP side of the client: one connection pool, the server's base URL and key.
#[derive(Clone)]
pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
    timeout: Duration,
}

impl Api {
    pub(crate) fn new(cfg: &ClientConfig) -> Result<Self> {
        let base = cfg.server_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Config(format!(
                "server_url must start with http:// or https://, not {base:?}"
            )));
        }
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
            base,
            key: cfg.license_key.clone(),
            timeout: cfg.request_timeout,
        })
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Value,
        timeout: Duration,
    ) -> Result<T> {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .timeout(timeout)
            .json(&body)
            .send()
            .await?;
        read(res).await
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
        let res = self
            .http
            .get(format!("{}/.well-known/jwks.json", self.base))
            .send()
            .await?;
        if !res.status().is_success() {
            return Err(api_error(res).await);
        }
        Ok(res.text().await?)
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
