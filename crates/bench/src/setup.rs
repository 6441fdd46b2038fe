//! Set-up through the admin and client API, as a vendor would: a tenant, its licenses,
//! and (for heartbeat, release and mixed) the sessions the load works on.

use std::net::SocketAddr;

use anyhow::Context;
use bytes::Bytes;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use crate::client::Conn;

/// A license the load uses.
#[derive(Clone, Debug)]
pub struct BenchLicense {
    /// The license key clients send.
    pub key: String,
}

/// A live session the load uses.
#[derive(Clone, Debug)]
pub struct BenchSession {
    /// Index into the license list.
    pub license: usize,
    /// The session id.
    pub id: String,
}

/// What licenses to make.
#[derive(Clone, Debug)]
pub struct LicenseSpec {
    /// How many.
    pub count: usize,
    /// Seats of each.
    pub seats: u64,
    /// `heartbeat_ttl_seconds` of each.
    pub ttl_seconds: u64,
    /// `expires_at` of each (RFC 3339), or none.
    pub expires_at: Option<String>,
}

/// Creates a tenant named after the run and returns its id.
pub async fn create_tenant(addr: SocketAddr, token: &str, run: &str) -> anyhow::Result<String> {
    let mut admin = Conn::open(addr).await?.with_bearer(token)?;
    let body = json!({"name": format!("bench {run}"), "slug": format!("bench-{run}")});
    let r = admin
        .post("/api/v1/tenants", Bytes::from(body.to_string()))
        .await?;
    anyhow::ensure!(
        r.status == StatusCode::CREATED,
        "create tenant: {}",
        r.status
    );
    Ok(r.json()?["id"].as_str().context("tenant id")?.to_owned())
}

/// Creates the licenses, 16 requests at a time.
pub async fn create_licenses(
    addr: SocketAddr,
    token: &str,
    tenant: &str,
    spec: &LicenseSpec,
) -> anyhow::Result<Vec<BenchLicense>> {
    let path = format!("/api/v1/tenants/{tenant}/licenses");
    let lanes = 16.min(spec.count.max(1));
    let mut tasks = Vec::new();
    for lane in 0..lanes {
        let (path, token, spec) = (path.clone(), token.to_owned(), spec.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await?.with_bearer(&token)?;
            let mut out = Vec::new();
            for i in (lane..spec.count).step_by(lanes) {
                let body = json!({
                    "name": format!("bench license {i}"),
                    "seats_total": spec.seats,
                    "heartbeat_ttl_seconds": spec.ttl_seconds,
                    "expires_at": spec.expires_at,
                    "entitlements": ["bench"],
                });
                let r = c.post(&path, Bytes::from(body.to_string())).await?;
                anyhow::ensure!(
                    r.status == StatusCode::CREATED,
                    "create license: {}",
                    r.status
                );
                let key = r.json()?["license_key"]
                    .as_str()
                    .context("license_key")?
                    .to_owned();
                out.push((i, BenchLicense { key }));
            }
            anyhow::Ok(out)
        }));
    }
    let mut all = Vec::with_capacity(spec.count);
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, l)| l).collect())
}

/// The body of an acquire for license key `key` and a hardware id.
pub fn acquire_body(key: &str, hardware_id: &str) -> Bytes {
    Bytes::from(
        json!({
            "license_key": key,
            "hardware_id": hardware_id,
            "user_email": "bench@example.com",
            "client": {"name": "coditect-bench", "version": env!("CARGO_PKG_VERSION")},
        })
        .to_string(),
    )
}

/// The body of a heartbeat or release.
pub fn session_body(key: &str, session_id: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"license_key":"{key}","session_id":"{session_id}"}}"#
    ))
}

/// Takes `count` new seats, spread round-robin over the licenses, over `lanes`
/// connections spread over the servers. Hardware ids are `<prefix>-<n>`.
pub async fn acquire_sessions(
    addrs: &[SocketAddr],
    licenses: &[BenchLicense],
    count: usize,
    lanes: usize,
    prefix: &str,
) -> anyhow::Result<Vec<BenchSession>> {
    let lanes = lanes.clamp(1, count.max(1));
    let mut tasks = Vec::new();
    for lane in 0..lanes {
        let addr = addrs[lane % addrs.len()];
        let keys: Vec<String> = licenses.iter().map(|l| l.key.clone()).collect();
        let prefix = prefix.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await?;
            let mut out = Vec::new();
            for n in (lane..count).step_by(lanes) {
                let license = n % keys.len();
                let body = acquire_body(&keys[license], &format!("{prefix}-{n}"));
                let r = c.post("/api/v1/licenses/acquire", body).await?;
                anyhow::ensure!(
                    r.status == StatusCode::CREATED,
                    "set-up acquire: {} {}",
                    r.status,
                    String::from_utf8_lossy(&r.body)
                );
                out.push(BenchSession {
                    license,
                    id: session_id(&r.json()?)?,
                });
            }
            anyhow::Ok(out)
        }));
    }
    let mut all = Vec::with_capacity(count);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

/// The `session_id` of an acquire answer.
pub fn session_id(v: &Value) -> anyhow::Result<String> {
    Ok(v["session_id"].as_str().context("session_id")?.to_owned())
}

/// Reads one Prometheus counter or gauge (summing all label sets) from `/metrics`.
pub async fn metric(addr: SocketAddr, name: &str) -> anyhow::Result<f64> {
    let mut c = Conn::open(addr).await?;
    let r = c.call(Method::GET, "/metrics", None).await?;
    let text = String::from_utf8_lossy(&r.body);
    Ok(text
        .lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum())
}
