//! Server processes of the real binary (`coditect-license serve`), for tests that need
//! several processes on one database.

use std::time::Duration;

use tokio::process::{Child, Command};

use crate::support::helpers::ADMIN_TOKEN;

/// A `coditect-license serve` child process, killed when dropped.
pub struct ServerProcess {
    pub base: String,
    child: Child,
    _data: tempfile::TempDir,
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Waits until a server at `base` answers `/health/` (at most 20 s).
pub async fn wait_until_up(base: &str) {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http
            .get(format!("{base}/health/"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server process did not start on {base}");
}

impl ServerProcess {
    /// Starts a server on `database_url` and waits until it answers.
    pub async fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[]).await
    }

    /// Starts a server on `database_url` with more settings (`CODITECT_…` variables).
    pub async fn start_with(database_url: &str, envs: &[(&str, &str)]) -> Self {
        let data = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_coditect-license"))
            .arg("serve")
            .envs(envs.iter().copied())
            .env("CODITECT_LISTEN", format!("127.0.0.1:{port}"))
            .env("CODITECT_DATA_DIR", data.path())
            .env("CODITECT_DATABASE_URL", database_url)
            .env("CODITECT_BOOTSTRAP_TOKEN", ADMIN_TOKEN)
            .env("CODITECT_ISSUER", "coditect-test")
            .env("CODITECT_REAPER_INTERVAL_SECONDS", "1")
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .spawn()
            .expect("spawn coditect-license serve");
        let base = format!("http://127.0.0.1:{port}");
        wait_until_up(&base).await;
        Self {
            base,
            child,
            _data: data,
        }
    }

    /// The process id, to read its memory use from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server process is running")
    }

    /// Kills the process.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Runs a `coditect-license` command (not `serve`) on `database_url` with more settings,
/// as an operator would, and waits for it without blocking the test's runtime.
pub async fn run_cli(
    args: &[&str],
    database_url: &str,
    envs: &[(&str, String)],
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_coditect-license"))
        .args(args)
        .env("CODITECT_DATABASE_URL", database_url)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run coditect-license")
}
