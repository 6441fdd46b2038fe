//! The database's own ceiling, measured in the same run as the server: `pgbench` committing
//! one-`UPDATE` transactions (a row of `pgbench_accounts` by random id, prepared, as many
//! connections as the server run uses) on a database of its own on the same PostgreSQL. A
//! heartbeat is at best one such transaction, so the server's rate over this one says how
//! much of what the database can do the server turns into seat operations, whatever the
//! machine or the noise of the day.

use std::process::Command;

use anyhow::{bail, Context};
use coditect_test_support::TestDatabase;

/// `pgbench`'s scale: 10 × 100,000 accounts, so 64 connections rarely touch one row.
const SCALE: &str = "10";

/// The one-statement transaction (pgbench's `-f` script).
const SCRIPT: &str = "\\set aid random(1, 100000 * :scale)\n\
                      UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n";

/// What `pgbench` reached.
#[derive(Clone, Copy, Debug)]
pub struct Reference {
    /// Transactions per second, without the initial connection time.
    pub tps: f64,
}

/// Runs `pgbench` for `seconds` with `connections` clients on a fresh database on the
/// server at `admin_url` (dropped afterwards).
pub async fn one_update_tps(
    admin_url: &str,
    connections: usize,
    seconds: f64,
) -> anyhow::Result<Reference> {
    let db = TestDatabase::create(Some(admin_url), "coditect_bench_pgbench_")
        .await
        .context("make pgbench's database")?;
    let out = measure(
        db.url(),
        &db.dir().join("one_update.pgbench"),
        connections,
        seconds,
    );
    db.try_drop_database().await.ok();
    out
}

fn measure(
    url: &str,
    script: &std::path::Path,
    connections: usize,
    seconds: f64,
) -> anyhow::Result<Reference> {
    let init = Command::new("pgbench")
        .args(["-i", "-q", "-s", SCALE, url])
        .output()
        .context("run pgbench (Debian: apt-get install postgresql-contrib)")?;
    if !init.status.success() {
        bail!("pgbench -i: {}", String::from_utf8_lossy(&init.stderr));
    }
    std::fs::write(script, SCRIPT)?;
    let run = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-c", &connections.to_string()])
        .args([
            "-j",
            "2",
            "-T",
            &format!("{}", seconds.ceil().max(1.0) as u64),
        ])
        .arg("-f")
        .arg(script)
        .arg(url)
        .output()
        .context("run pgbench")?;
    let text = String::from_utf8_lossy(&run.stdout);
    if !run.status.success() {
        bail!("pgbench: {}{}", text, String::from_utf8_lossy(&run.stderr));
    }
    let tps = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
        .with_context(|| format!("no tps in pgbench's output: {text}"))?;
    Ok(Reference { tps })
}
