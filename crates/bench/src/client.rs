//! One keep-alive HTTP/1.1 connection per worker, driven directly through hyper's
//! connection API: no pool, no per-request lookup, so the generator spends as little CPU
//! per request as a Rust client can and the server gets the rest of the machine.

use std::net::SocketAddr;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A kept-alive connection to one server process.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
    auth: Option<HeaderValue>,
}

/// A response: status and the whole body.
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON, for set-up calls that need fields of it.
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "{} with a body that is not JSON: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

impl Conn {
    /// Opens a connection (TCP_NODELAY, like any latency-minded client).
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when the server or the worker closes the connection.
            let _ = conn.await;
        });
        Ok(Self {
            sender,
            host: HeaderValue::from_str(&addr.to_string())?,
            auth: None,
        })
    }

    /// Sends `Authorization: Bearer <token>` on every request (admin set-up calls).
    pub fn with_bearer(mut self, token: &str) -> anyhow::Result<Self> {
        self.auth = Some(HeaderValue::from_str(&format!("Bearer {token}"))?);
        Ok(self)
    }

    /// One request; `body` is sent as `application/json` when present.
    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> anyhow::Result<Reply> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.host.clone());
        if let Some(a) = &self.auth {
            req = req.header(AUTHORIZATION, a.clone());
        }
        let req = match body {
            Some(b) => req
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(Full::new(b))?,
            None => req.body(Full::new(Bytes::new()))?,
        };
        self.sender.ready().await.context("connection closed")?;
        let res = self.sender.send_request(req).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        Ok(Reply { status, body })
    }

    /// A POST of a JSON body.
    pub async fn post(&mut self, path: &str, body: Bytes) -> anyhow::Result<Reply> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// GETs `path`.
    pub async fn get(&mut self, path: &str) -> anyhow::Result<Reply> {
        self.call(Method::GET, path, None).await
    }
}
