//! An HTTP listener of the test's own, standing in for a webhook receiver or Stripe's
//! API: it records every request and answers with the status the test's rule picks, and
//! can go down (its port closed, open connections cut) and come back on the same port.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// One request as received, with the status it was answered with.
#[derive(Clone, Debug)]
pub struct Received {
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Headers, names lower-case (the last value of a repeated one).
    pub headers: HashMap<String, String>,
    /// The raw body.
    pub body: Vec<u8>,
    /// What it was answered.
    pub status: u16,
}

/// Picks the answer to a request, given the requests answered before it.
pub type Rule = Arc<dyn Fn(&Received, &[Received]) -> (u16, String) + Send + Sync>;

/// A running listener; dropping it takes it down.
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Received>>>,
    rule: Rule,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    /// Listens on a free loopback port.
    pub async fn start(
        rule: impl Fn(&Received, &[Received]) -> (u16, String) + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a receiver");
        Self::serve(listener, Arc::new(rule), Arc::default())
    }

    fn serve(listener: TcpListener, rule: Rule, log: Arc<Mutex<Vec<Received>>>) -> Self {
        let addr = listener.local_addr().expect("receiver address");
        let (r, l) = (rule.clone(), log.clone());
        let server = tokio::spawn(async move {
            // The connections live in this task's set: aborting the task cuts them all.
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (r, l) = (r.clone(), l.clone());
                connections.spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req| answer(req, r.clone(), l.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            log,
            rule,
            server: Some(server),
        }
    }

    /// `http://127.0.0.1:<port>` and `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.log.lock().expect("receiver log").clone()
    }

    /// Takes the listener down: the port refuses connections, open ones are cut.
    pub fn down(&mut self) {
        if let Some(s) = self.server.take() {
            s.abort();
        }
    }

    /// Brings it back on the same port, with its log and rule.
    pub async fn up(&mut self) {
        self.down();
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", self.addr),
            }
        };
        let again = Self::serve(listener, self.rule.clone(), self.log.clone());
        self.server = Some(again.server_handle());
    }

    fn server_handle(mut self) -> tokio::task::JoinHandle<()> {
        self.server.take().expect("a running server")
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.down();
    }
}

async fn answer(
    req: Request<Incoming>,
    rule: Rule,
    log: Arc<Mutex<Vec<Received>>>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let body = req.into_body().collect().await?.to_bytes().to_vec();
    let mut got = Received {
        method,
        path,
        headers,
        body,
        status: 0,
    };
    let (status, reply) = {
        let mut log = log.lock().expect("receiver log");
        let (status, reply) = rule(&got, &log);
        got.status = status;
        log.push(got);
        (status, reply)
    };
    let mut resp = Response::new(Full::new(Bytes::from(reply)));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}
