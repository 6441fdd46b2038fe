//! Real server processes (the `coditect-license` binary) on loopback ports, their
//! databases, and a Redis of the test's own.

use std::net::TcpListener;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coditect_test_support::TestDatabase;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

/// The superadmin token every process of a test shares.
pub const ADMIN_TOKEN: &str = "scale-test-superadmin-token-0123456789";

/// The PostgreSQL admin URL, when the run is meant to cover PostgreSQL.
pub use coditect_test_support::postgres_admin_url as pg_admin_url;

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().unwrap().port()
}

/// A database for one test (a fresh PostgreSQL database or a SQLite file, see
/// `coditect_test_support`), shared by the test's server processes and its checker.
#[derive(Clone)]
pub struct Db(Arc<TestDatabase>);

impl Deref for Db {
    type Target = TestDatabase;
    fn deref(&self) -> &TestDatabase {
        &self.0
    }
}

impl Db {
    pub async fn postgres(admin: &str) -> Self {
        Self(Arc::new(TestDatabase::postgres(admin).await))
    }

    pub fn sqlite() -> Self {
        Self(Arc::new(TestDatabase::sqlite()))
    }

    /// Drops a PostgreSQL database (CI also sweeps leftovers of failed runs).
    pub async fn drop_db(self) {
        self.0.drop_database().await;
    }
}

/// One `coditect-license serve` process.
pub struct Server {
    pub base: String,
    child: Option<Child>,
    env: Vec<(String, String)>,
    log: PathBuf,
}

impl Server {
    /// Starts a process and waits until `/readyz` answers 200.
    pub async fn start(db: &Db, data_dir: &Path, extra_env: &[(&str, String)]) -> Self {
        Self::start_on(&db.url, data_dir, extra_env).await
    }

    /// [`Self::start`] on a database URL of the test's own (a database server it runs).
    pub async fn start_on(
        database_url: &str,
        data_dir: &Path,
        extra_env: &[(&str, String)],
    ) -> Self {
        let port = free_port();
        let mut env: Vec<(String, String)> = vec![
            ("CODITECT_LISTEN".into(), format!("127.0.0.1:{port}")),
            ("CODITECT_DATA_DIR".into(), data_dir.display().to_string()),
            ("CODITECT_DATABASE_URL".into(), database_url.to_owned()),
            ("CODITECT_BOOTSTRAP_TOKEN".into(), ADMIN_TOKEN.into()),
            ("CODITECT_REAPER_INTERVAL_SECONDS".into(), "1".into()),
            ("RUST_LOG".into(), "warn".into()),
        ];
        for (k, v) in extra_env {
            env.push(((*k).into(), v.clone()));
        }
        let log = data_dir.join(format!("server-{port}.log"));
        let mut s = Self {
            base: format!("http://127.0.0.1:{port}"),
            child: None,
            env,
            log,
        };
        s.launch().await;
        s
    }

    async fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_coditect-license"));
        cmd.arg("serve")
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true);
        self.child = Some(cmd.spawn().expect("spawn the server binary"));
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("server exited at start: {status}; log: {}", self.log_tail());
            }
            let ready = http
                .get(format!("{}/readyz", self.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server not ready: {}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sets (or replaces) an environment variable for the next start.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    /// `kill -9`: no shutdown code runs, in-flight requests die with the process.
    pub async fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.start_kill().expect("SIGKILL");
            let _ = c.wait().await;
        }
    }

    /// Starts the process again with the same settings, port and database.
    pub async fn restart(&mut self) {
        self.kill9().await;
        self.launch().await;
    }

    pub fn log_tail(&self) -> String {
        let s = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<char> = s.chars().rev().take(3000).collect();
        tail.into_iter().rev().collect()
    }
}

/// An HTTP client with timeouts, so a hung server fails a test instead of stalling it.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(32)
        .build()
        .unwrap()
}

/// A tenant and `seats.len()` licenses named `scale-<i>`; returns their keys.
pub async fn make_licenses(http: &reqwest::Client, base: &str, seats: &[i64]) -> Vec<String> {
    make_licenses_with_ttl(http, base, seats, 600).await
}

/// [`make_licenses`] with a heartbeat TTL of `ttl_seconds`.
pub async fn make_licenses_with_ttl(
    http: &reqwest::Client,
    base: &str,
    seats: &[i64],
    ttl_seconds: u32,
) -> Vec<String> {
    let slug = format!("scale-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let t: Value = http
        .post(format!("{base}/api/v1/tenants"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"name": slug, "slug": slug}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tid = t["id"].as_str().expect("tenant id").to_owned();
    let mut keys = Vec::new();
    for (i, n) in seats.iter().enumerate() {
        let l: Value = http
            .post(format!("{base}/api/v1/tenants/{tid}/licenses"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"name": format!("scale-{i}"), "seats_total": n, "heartbeat_ttl_seconds": ttl_seconds}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        keys.push(l["license_key"].as_str().expect("license key").to_owned());
    }
    keys
}

/// `redis-server` on a loopback port of its own, without persistence; `None` when
/// `redis-server` is not installed.
pub struct OwnRedis {
    pub port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    pub async fn start() -> Option<Self> {
        let installed = std::process::Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            return None;
        }
        let mut r = Self {
            port: free_port(),
            child: None,
        };
        r.launch().await;
        Some(r)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    async fn launch(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.command("PING").await.as_deref() != Some("+PONG") {
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends one argument-less command; the first reply line.
    pub async fn command(&self, cmd: &str) -> Option<String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .ok()?;
        let msg = format!("*1\r\n${}\r\n{cmd}\r\n", cmd.len());
        s.write_all(msg.as_bytes()).await.ok()?;
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        let text = String::from_utf8_lossy(&buf[..n]);
        text.lines().next().map(str::to_owned)
    }

    pub async fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.start_kill();
            let _ = c.wait().await;
        }
    }

    pub async fn restart(&mut self) {
        self.kill9().await;
        self.launch().await;
    }
}
