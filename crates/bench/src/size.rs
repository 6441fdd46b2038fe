//! The size benchmark: `--sessions` live sessions (1,000,000 by default) taken through the
//! acquire API on licenses that all expire at one instant, the server's RSS while it holds
//! them, then a mixed load on other licenses while the reaper expires them all at once,
//! with its latency before and during the reaping.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;

use crate::load::{self, LoadPlan, Scenario, WorkerResult};
use crate::procstat;
use crate::report::RunReport;
use crate::server::{Database, Launch, Server};
use crate::setup::{self, BenchLicense, BenchSession, LicenseSpec};

/// Settings of the size benchmark.
#[derive(Clone, Debug, clap::Args)]
pub struct SizeArgs {
    /// Live sessions to hold, then expire at once.
    #[arg(long, default_value_t = 1_000_000)]
    pub sessions: usize,
    /// Requests per second of the baseline and reaping loads, sent on a fixed schedule
    /// (latency counted from it). Without it both loads are closed-loop at the maximum
    /// rate, where p99 is mostly queueing rather than stalls.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Sessions per license (the licenses that expire).
    #[arg(long, default_value_t = 1000)]
    pub per_license: usize,
    /// Seconds from the start until those licenses (and so their sessions) expire; must
    /// leave time to take every seat.
    #[arg(long, default_value_t = 600)]
    pub expire_after: u64,
    /// Connections used to take the seats and to run the load.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Seconds of baseline load measured before the mass expiry.
    #[arg(long, default_value_t = 5.0)]
    pub baseline: f64,
    /// Admin URL of a PostgreSQL server (default: embedded SQLite).
    #[arg(long, env = "CODITECT_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    /// The server binary (default: `coditect-license` next to this one).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// `RUST_LOG` for the server.
    #[arg(long)]
    pub server_log: Option<String>,
    /// The server's reaper interval, seconds.
    #[arg(long, default_value_t = 5)]
    pub reaper_interval: u64,
}

/// Samples the server's RSS every 200 ms and keeps the largest value.
fn watch_rss(pid: u32, stop: Arc<AtomicBool>) -> Arc<AtomicU64> {
    let peak = Arc::new(AtomicU64::new(0));
    let p = peak.clone();
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            if let Ok(rss) = procstat::rss_bytes(&pid.to_string()) {
                p.fetch_max(rss, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    peak
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

/// How the size benchmark's loads are sent: over how many connections, and at what total
/// rate (`None`: closed loop).
#[derive(Clone, Copy)]
struct Shape {
    connections: usize,
    rate: Option<f64>,
}

/// A mixed load on `sessions` until `until` or `stop`, measured from `record_from`.
async fn mixed_load(
    addr: SocketAddr,
    shape: Shape,
    licenses: &Arc<Vec<BenchLicense>>,
    sessions: Vec<BenchSession>,
    until: Instant,
    stop: Arc<AtomicBool>,
    tag: &str,
) -> anyhow::Result<(WorkerResult, f64)> {
    let Shape { connections, rate } = shape;
    let mut shares: Vec<Vec<BenchSession>> = vec![Vec::new(); connections];
    for (i, s) in sessions.into_iter().enumerate() {
        shares[i % connections].push(s);
    }
    let record_from = Instant::now();
    let plan = Arc::new(LoadPlan {
        scenario: Scenario::Mixed,
        licenses: licenses.clone(),
        hw_prefix: format!("{tag}-{}", uuid::Uuid::new_v4().simple()),
        record_from,
        until,
        stop,
        pace: LoadPlan::gap(rate, connections),
    });
    let tasks: Vec<_> = shares
        .into_iter()
        .enumerate()
        .map(|(i, share)| tokio::spawn(load::worker(addr, i, plan.clone(), share)))
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await??);
    }
    Ok((load::merge(results), record_from.elapsed().as_secs_f64()))
}

/// Runs the size benchmark.
pub async fn run(args: &SizeArgs) -> anyhow::Result<()> {
    let db = Database::fresh(args.pg_url.as_deref(), false).await?;
    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let bin = args
        .server_bin
        .clone()
        .unwrap_or_else(crate::server::default_server_bin);
    let launch = Launch {
        bin: &bin,
        db: &db,
        token: &token,
        log_filter: args.server_log.as_deref(),
        env: vec![(
            "CODITECT_REAPER_INTERVAL_SECONDS".into(),
            args.reaper_interval.to_string(),
        )],
    };
    let server = Server::start(&launch, 0).await?;
    let result = measure(args, &server, &token).await;
    server.stop().await?;
    db.cleanup().await?;
    result
}

async fn measure(args: &SizeArgs, server: &Server, token: &str) -> anyhow::Result<()> {
    let addr = server.addr;
    let backend = if args.pg_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.expire_after);
    let expires_at = (Utc::now() + chrono::Duration::seconds(args.expire_after as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let tenant = setup::create_tenant(addr, token, &run_id).await?;
    let doomed_spec = LicenseSpec {
        count: args.sessions.div_ceil(args.per_license.max(1)),
        seats: args.per_license as u64,
        ttl_seconds: 604_800,
        expires_at: Some(expires_at.clone()),
    };
    let doomed = setup::create_licenses(addr, token, &tenant, &doomed_spec).await?;
    let live_spec = LicenseSpec {
        count: 100,
        seats: 1_000_000,
        ttl_seconds: 3600,
        expires_at: None,
    };
    let live = Arc::new(setup::create_licenses(addr, token, &tenant, &live_spec).await?);
    let rss_start = procstat::rss_bytes(&server.pid.to_string())?;

    println!(
        "size {backend}: taking {} seats on {} licenses that expire at {expires_at}",
        args.sessions,
        doomed.len()
    );
    let stop_rss = Arc::new(AtomicBool::new(false));
    let peak = watch_rss(server.pid, stop_rss.clone());
    let t = Instant::now();
    let cpu0 = procstat::cpu_seconds(&server.pid.to_string())?;
    let taken = setup::acquire_sessions(
        &[addr],
        &doomed,
        args.sessions,
        args.connections,
        &format!("{run_id}-doomed"),
    )
    .await?;
    let took = t.elapsed().as_secs_f64();
    let cpu = procstat::cpu_seconds(&server.pid.to_string())? - cpu0;
    drop(taken);
    let load_sessions = setup::acquire_sessions(
        &[addr],
        &live,
        20_000,
        args.connections,
        &format!("{run_id}-live"),
    )
    .await?;
    let live_gauge = setup::metric(addr, "sessions_live").await.unwrap_or(-1.0);
    let rss_full = procstat::rss_bytes(&server.pid.to_string())?;
    println!(
        "took {} seats in {took:.1} s ({:.0}/s, server {:.1} µs/seat); RSS at start {:.0} MiB, \
         holding them {:.0} MiB (peak so far {:.0} MiB); sessions_live gauge {live_gauge}",
        args.sessions,
        args.sessions as f64 / took,
        cpu * 1e6 / args.sessions as f64,
        mib(rss_start),
        mib(rss_full),
        mib(peak.load(Ordering::Relaxed)),
    );
    let remaining = deadline.saturating_duration_since(Instant::now());
    anyhow::ensure!(
        remaining > Duration::from_secs_f64(args.baseline + 1.0),
        "the seats were not all taken before the expiry; raise --expire-after"
    );
    let (mut base_sessions, reap_sessions): (Vec<_>, Vec<_>) = load_sessions
        .into_iter()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let base_sessions: Vec<BenchSession> = base_sessions.drain(..).map(|(_, s)| s).collect();
    let reap_sessions: Vec<BenchSession> = reap_sessions.into_iter().map(|(_, s)| s).collect();

    // Idle until shortly before the expiry, then the baseline.
    let base_start = deadline - Duration::from_secs_f64(args.baseline + 0.5);
    tokio::time::sleep_until(base_start.into()).await;
    let shape = Shape {
        connections: args.connections,
        rate: args.rate,
    };
    let (base, base_secs) = mixed_load(
        addr,
        shape,
        &live,
        base_sessions,
        base_start + Duration::from_secs_f64(args.baseline),
        Arc::default(),
        "base",
    )
    .await?;
    let base_report = RunReport::new(
        "mixed-baseline",
        backend,
        1,
        args.connections,
        base_secs,
        &base,
        0.0,
        0.0,
        procstat::load_average(),
    );
    println!("before expiry: {}", base_report.line());

    // The mass expiry: load from the deadline until the reaper has marked them all.
    tokio::time::sleep_until(deadline.into()).await;
    let expired0 = setup::metric(addr, "reaper_sessions_expired_total").await?;
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (live, stop) = (live.clone(), stop.clone());
        tokio::spawn(async move {
            mixed_load(
                addr,
                shape,
                &live,
                reap_sessions,
                Instant::now() + Duration::from_secs(3600),
                stop,
                "reap",
            )
            .await
        })
    };
    let reap_start = Instant::now();
    let limit = Duration::from_secs(1800);
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let n = setup::metric(addr, "reaper_sessions_expired_total").await? - expired0;
        if n >= args.sessions as f64 {
            break;
        }
        anyhow::ensure!(
            reap_start.elapsed() < limit,
            "reaper did not finish in {limit:?} ({n} expired)"
        );
    }
    let reap_secs = reap_start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let (during, during_secs) = load.await.context("load task")??;
    stop_rss.store(true, Ordering::Relaxed);
    let during_report = RunReport::new(
        "mixed-during-reap",
        backend,
        1,
        args.connections,
        during_secs,
        &during,
        0.0,
        0.0,
        procstat::load_average(),
    );
    println!("while reaping: {}", during_report.line());
    println!(
        "SIZE {backend}: {} sessions; RSS holding them {:.0} MiB, peak {:.0} MiB; reaper \
         expired them in {reap_secs:.1} s (detected within 0.25 s + one reaper interval of \
         {} s); p99 during reaping {:.2} ms (max {:.2} ms), baseline p99 {:.2} ms",
        args.sessions,
        mib(rss_full),
        mib(peak.load(Ordering::Relaxed)),
        args.reaper_interval,
        during_report.p99_ms,
        during_report.max_ms,
        base_report.p99_ms,
    );
    Ok(())
}
