//! A PostgreSQL primary and a synchronous streaming standby of the test's own, on loopback
//! ports, from the Debian binaries (`/usr/lib/postgresql/<version>/bin`): the primary can
//! be killed like a crashed machine and the standby promoted in its place.
//!
//! `initdb` and `postgres` refuse to run as root: when the tests run as root, every
//! PostgreSQL program runs as the `postgres` OS user, in a temporary directory it owns.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::support::harness::free_port;

/// The programs the cluster is made with.
const PROGRAMS: [&str; 4] = ["initdb", "pg_ctl", "pg_basebackup", "postgres"];

/// The newest `/usr/lib/postgresql/<version>/bin` that holds every program needed;
/// `None` when PostgreSQL's server binaries are not installed.
pub fn binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, bin)| PROGRAMS.iter().all(|p| bin.join(p).is_file()))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// The uid and gid of the `postgres` OS user when this process is root (PostgreSQL
/// refuses root); `None` when it is not root and runs PostgreSQL as itself.
fn run_as() -> Option<(u32, u32)> {
    let me = std::fs::metadata("/proc/self").map_or(0, |m| m.uid());
    if me != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    let line = passwd
        .lines()
        .find(|l| l.starts_with("postgres:"))
        .expect("running as root needs the postgres OS user to run PostgreSQL as");
    let f: Vec<&str> = line.split(':').collect();
    Some((f[2].parse().unwrap(), f[3].parse().unwrap()))
}

/// The URL of the `postgres` database on a loopback port, as the superuser `postgres`.
pub fn url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

/// One PostgreSQL server (postmaster) of the cluster.
pub struct PgNode {
    pub port: u16,
    data: PathBuf,
    log: PathBuf,
    settings: Vec<String>,
    child: Option<Child>,
}

impl PgNode {
    pub fn url(&self) -> String {
        url(self.port)
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log_tail(&self) -> String {
        let s = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<char> = s.chars().rev().take(3000).collect();
        tail.into_iter().rev().collect()
    }

    /// SIGQUIT: PostgreSQL's immediate shutdown (the postmaster takes its children along);
    /// waits up to 5 s for the postmaster to exit before its data directory goes.
    fn quit(&mut self) {
        let Some(mut c) = self.child.take() else {
            return;
        };
        if let Some(pid) = c.id() {
            signal("QUIT", &[pid]);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(c.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PgNode {
    fn drop(&mut self) {
        self.quit();
    }
}

/// A primary with synchronous replication to one standby.
pub struct PgCluster {
    pub primary: PgNode,
    pub standby: PgNode,
    bin: PathBuf,
    owner: Option<(u32, u32)>,
    // Last: the data directories go once both servers are told to stop.
    dir: TempDir,
}

/// Settings both servers start with (a hot standby needs at least the primary's
/// `max_connections`, so they share them).
fn common_settings(socket_dir: &Path) -> Vec<String> {
    vec![
        "listen_addresses=127.0.0.1".into(),
        format!("unix_socket_directories={}", socket_dir.display()),
        "max_connections=200".into(),
        "shared_buffers=32MB".into(),
    ]
}

impl PgCluster {
    /// Makes the primary, takes the standby from it with `pg_basebackup -R` (on a
    /// replication slot), starts both and waits until the standby replicates
    /// synchronously (`pg_stat_replication.sync_state = 'sync'`).
    pub async fn start(bin: PathBuf) -> Self {
        let owner = run_as();
        let dir = tempfile::Builder::new()
            .prefix("coditect-pg-failover")
            .tempdir()
            .unwrap();
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let common = common_settings(dir.path());
        let node = |name: &str, extra: &[&str]| PgNode {
            port: free_port(),
            data: dir.path().join(name),
            log: dir.path().join(format!("{name}.log")),
            settings: common
                .iter()
                .cloned()
                .chain(extra.iter().map(|s| (*s).to_owned()))
                .collect(),
            child: None,
        };
        // An acknowledged commit is on both servers: the primary waits for the standby to
        // have flushed it before it answers.
        let primary = node(
            "primary",
            &[
                "wal_level=replica",
                "max_wal_senders=5",
                "max_replication_slots=5",
                "synchronous_standby_names=*",
                "synchronous_commit=on",
            ],
        );
        // Once promoted the standby is alone: it must not wait for a standby of its own.
        let standby = node("standby", &["hot_standby=on", "synchronous_standby_names="]);
        let mut c = Self {
            primary,
            standby,
            bin,
            owner,
            dir,
        };
        let data = c.primary.data.display().to_string();
        c.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )
        .await;
        // Trust on the socket and loopback, replication included.
        let hba = c.primary.data.join("pg_hba.conf");
        std::fs::write(
            &hba,
            "local all all trust\nhost all all 127.0.0.1/32 trust\n\
             local replication all trust\nhost replication all 127.0.0.1/32 trust\n",
        )
        .unwrap();
        if let Some((uid, gid)) = c.owner {
            std::os::unix::fs::chown(&hba, Some(uid), Some(gid)).unwrap();
        }
        c.launch(true).await;
        let port = c.primary.port.to_string();
        let standby_data = c.standby.data.display().to_string();
        c.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                &standby_data,
                "-R",
                "-X",
                "stream",
                "-C",
                "-S",
                "failover_standby",
                "-c",
                "fast",
                "--no-sync",
            ],
        )
        .await;
        c.launch(false).await;
        c.wait_for_sync().await;
        c
    }

    /// A PostgreSQL program, as the owner of the data directories; panics if it fails.
    async fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.current_dir(self.dir.path()).env("LC_ALL", "C");
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        cmd
    }

    /// Starts the primary's or the standby's postmaster and waits until it answers.
    async fn launch(&mut self, primary: bool) {
        let mut cmd = self.command("postgres");
        let node = if primary {
            &mut self.primary
        } else {
            &mut self.standby
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .unwrap();
        cmd.arg("-D")
            .arg(&node.data)
            .arg("-p")
            .arg(node.port.to_string());
        for s in &node.settings {
            cmd.arg("-c").arg(s);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true);
        node.child = Some(cmd.spawn().expect("spawn postgres"));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(Ok(Some(status))) = node.child.as_mut().map(Child::try_wait) {
                panic!(
                    "postgres exited at start: {status}; log: {}",
                    node.log_tail()
                );
            }
            if let Ok(Ok(c)) =
                tokio::time::timeout(Duration::from_secs(2), PgConnection::connect(&node.url()))
                    .await
            {
                let _ = c.close().await;
                return;
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not start: {}",
                node.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_for_sync(&self) {
        let mut conn = PgConnection::connect(&self.primary.url()).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state: Option<String> = sqlx::query_scalar(
                "SELECT sync_state FROM pg_stat_replication WHERE state = 'streaming'",
            )
            .fetch_optional(&mut conn)
            .await
            .unwrap();
            if state.as_deref() == Some("sync") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the standby never became synchronous ({state:?}): {}",
                self.standby.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the primary as a machine crash would: the postmaster is stopped first (so it
    /// forks nothing more), then every child of it (backends are session leaders of their
    /// own, so a process group would miss them) and the postmaster get SIGKILL. Returns
    /// once none of them is alive and the port refuses connections: no backend is left to
    /// take a write.
    pub async fn crash_primary(&mut self) {
        let mut child = self.primary.child.take().expect("the primary runs");
        let postmaster = child.id().expect("postmaster pid");
        signal("STOP", &[postmaster]);
        let children = children_of(postmaster);
        signal("KILL", &children);
        signal("KILL", &[postmaster]);
        child.wait().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while children.iter().any(|&pid| alive(pid)) {
            assert!(
                Instant::now() < deadline,
                "a child of the killed postmaster survived"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            std::net::TcpStream::connect(self.primary.addr()).is_err(),
            "the killed primary still accepts connections"
        );
    }

    /// `pg_ctl promote` on the standby, then waits until it takes writes
    /// (`pg_is_in_recovery()` is false).
    pub async fn promote_standby(&self) {
        let data = self.standby.data.display().to_string();
        self.run("pg_ctl", &["promote", "-D", &data, "-w", "-t", "30"])
            .await;
        let mut conn = PgConnection::connect(&self.standby.url()).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let recovering: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            if !recovering {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the standby never left recovery: {}",
                self.standby.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Sends `sig` (a name, `KILL`) to `pids` with kill(1).
fn signal(sig: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

/// The state letter and parent pid of a process, from `/proc/<pid>/stat`.
fn stat(pid: u32) -> Option<(char, u32)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
    let mut rest = s[s.rfind(')')? + 1..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((state, ppid))
}

fn children_of(parent: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| stat(pid).is_some_and(|(_, ppid)| ppid == parent))
        .collect()
}

/// Running or sleeping: neither gone nor a zombie (which holds no socket).
fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}
