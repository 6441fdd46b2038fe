//! The servers under test: real `coditect-license serve` processes (release build) that
//! the benchmark starts on a fresh database, or processes it attaches to.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use coditect_test_support::TestDatabase;
use sqlx::Connection;
use tokio::process::{Child, Command};

use crate::client::Conn;

/// Where the servers' data lives: a SQLite file in a temporary directory, or a PostgreSQL
/// database made for this run (dropped afterwards unless kept). Made by the same
/// `coditect_test_support::TestDatabase` the tests use.
pub struct Database {
    db: TestDatabase,
    /// Whether to keep a PostgreSQL database afterwards.
    keep: bool,
}

impl Database {
    /// A fresh SQLite file, or a fresh PostgreSQL database on the server at `pg_admin`.
    pub async fn fresh(pg_admin: Option<&str>, keep: bool) -> anyhow::Result<Self> {
        let db = TestDatabase::create(pg_admin, "coditect_bench_")
            .await
            .context("make the benchmark's database")?;
        Ok(Self { db, keep })
    }

    /// What the servers get as `CODITECT_DATABASE_URL`.
    pub fn url(&self) -> &str {
        self.db.url()
    }

    /// Data directory of the servers (the SQLite file, logs); removed afterwards.
    pub fn dir(&self) -> &Path {
        self.db.dir()
    }

    /// Process ids of the PostgreSQL backends serving this database (empty for SQLite or
    /// when the database is not ours), so their CPU time can be counted too.
    pub async fn backend_pids(&self) -> anyhow::Result<Vec<u32>> {
        let Some((admin, name)) = self.db.postgres_name() else {
            return Ok(Vec::new());
        };
        let mut conn = sqlx::PgConnection::connect(admin).await?;
        let pids: Vec<i32> =
            sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
                .bind(name)
                .fetch_all(&mut conn)
                .await?;
        Ok(pids.into_iter().map(|p| p as u32).collect())
    }

    /// Refreshes PostgreSQL's planner statistics after the set-up filled the tables, as
    /// autovacuum would within its next minute: without it a run may measure plans made
    /// for empty tables (a sequential scan of every session per heartbeat). Nothing on
    /// SQLite.
    pub async fn analyze(&self) -> anyhow::Result<()> {
        if self.db.postgres_name().is_some() {
            let mut conn = sqlx::PgConnection::connect(self.db.url()).await?;
            sqlx::query("ANALYZE").execute(&mut conn).await?;
        }
        Ok(())
    }

    /// Drops the PostgreSQL database made for the run (after the servers stopped).
    pub async fn cleanup(self) -> anyhow::Result<()> {
        if !self.keep {
            self.db.try_drop_database().await?;
        }
        Ok(())
    }
}

/// A server process under test.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id, for CPU time and RSS.
    pub pid: u32,
    child: Option<Child>,
}

/// How to start servers.
pub struct Launch<'a> {
    /// The `coditect-license` binary.
    pub bin: &'a Path,
    /// The database.
    pub db: &'a Database,
    /// The superadmin token every process accepts.
    pub token: &'a str,
    /// `RUST_LOG` of the servers; `None` keeps the server's default.
    pub log_filter: Option<&'a str>,
    /// Extra environment (e.g. the reaper interval).
    pub env: Vec<(String, String)>,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The release build of the server next to this binary (`target/release`).
pub fn default_server_bin() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("coditect-license")))
        .unwrap_or_else(|| PathBuf::from("target/release/coditect-license"))
}

impl Server {
    /// Starts one process and waits until `/readyz` answers 200.
    pub async fn start(l: &Launch<'_>, index: usize) -> anyhow::Result<Self> {
        anyhow::ensure!(
            l.bin.exists(),
            "server binary {} not found: run `cargo build --release -p coditect-license` \
             or pass --server-bin",
            l.bin.display()
        );
        let port = free_port()?;
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let log = std::fs::File::create(l.db.dir().join(format!("server-{index}.log")))?;
        let mut cmd = Command::new(l.bin);
        cmd.arg("serve")
            .env("CODITECT_LISTEN", addr.to_string())
            .env("CODITECT_DATA_DIR", l.db.dir())
            .env("CODITECT_DATABASE_URL", l.db.url())
            .env("CODITECT_BOOTSTRAP_TOKEN", l.token)
            // The load comes from one address with few keys: per-key and per-IP rate
            // limits would measure the limiter, not the server.
            .env("CODITECT_RATE_LIMIT_PER_KEY", "0")
            .env("CODITECT_RATE_LIMIT_PER_IP", "0")
            .envs(l.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        if let Some(f) = l.log_filter {
            cmd.env("RUST_LOG", f);
        }
        let child = cmd.spawn().context("start the server")?;
        let pid = child.id().context("server pid")?;
        let server = Self {
            addr,
            pid,
            child: Some(child),
        };
        server.wait_ready(Duration::from_secs(60)).await?;
        Ok(server)
    }

    /// A process started by someone else.
    pub fn attach(addr: SocketAddr, pid: u32) -> Self {
        Self {
            addr,
            pid,
            child: None,
        }
    }

    async fn wait_ready(&self, limit: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Ok(mut c) = Conn::open(self.addr).await {
                if let Ok(r) = c.call(hyper::Method::GET, "/readyz", None).await {
                    if r.status.is_success() {
                        return Ok(());
                    }
                }
            }
            anyhow::ensure!(
                started.elapsed() < limit,
                "server on {} not ready after {limit:?}",
                self.addr
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM (graceful shutdown), then waits for the exit; SIGKILL after 30 s.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .await;
        match tokio::time::timeout(Duration::from_secs(30), child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => child.kill().await?,
        }
        Ok(())
    }
}
