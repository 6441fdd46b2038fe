//! One benchmark run: fresh database, servers, set-up, warm-up, measured load, report.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::load::{self, LoadPlan, Scenario};
use crate::procstat;
use crate::report::RunReport;
use crate::server::{Database, Launch, Server};
use crate::setup::{self, BenchSession, LicenseSpec};

/// Settings of a run (see `--help` of `run`).
#[derive(Clone, Debug, clap::Args)]
pub struct RunArgs {
    /// What each request does.
    #[arg(long, value_enum, default_value = "heartbeat")]
    pub scenario: Scenario,
    /// Admin URL of a PostgreSQL server; each run gets a fresh database on it. Without
    /// it the servers use their embedded SQLite default.
    #[arg(long, env = "CODITECT_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    /// Server processes sharing the database.
    #[arg(long, default_value_t = 1)]
    pub processes: usize,
    /// Keep-alive connections, spread evenly over the processes.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Requests per second in total, sent on a fixed schedule per connection (latency
    /// counted from it); default: closed loop at the maximum rate.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Licenses the load is spread over.
    #[arg(long, default_value_t = 1000)]
    pub licenses: usize,
    /// Seats of each license.
    #[arg(long, default_value_t = 1_000_000)]
    pub seats: u64,
    /// Sessions taken during set-up (heartbeat, release, mixed). Default: 10,000, and for
    /// release 5,000 per second of the run (it ends early, and says so, if they run out).
    #[arg(long)]
    pub sessions: Option<usize>,
    /// The server binary (default: `coditect-license` next to this one).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// `RUST_LOG` for the servers (default: the server's own default, `info`).
    #[arg(long)]
    pub server_log: Option<String>,
    /// Attach to running servers instead: `ADDR=PID` per process (PID for CPU time).
    #[arg(long, value_delimiter = ',')]
    pub attach: Vec<String>,
    /// Superadmin token of attached servers.
    #[arg(long, env = "CODITECT_BOOTSTRAP_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Keep the PostgreSQL database after the run.
    #[arg(long)]
    pub keep: bool,
}

impl RunArgs {
    fn backend(&self) -> &'static str {
        if self.pg_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    fn session_count(&self) -> usize {
        match (self.sessions, self.scenario) {
            (Some(n), _) => n,
            (None, Scenario::Release) => ((self.duration + self.warmup) * 5_000.0) as usize,
            (None, _) => 10_000,
        }
    }
}

/// Servers a run talks to: started here (and stopped at the end) or attached.
struct Fleet {
    servers: Vec<Server>,
    db: Option<Database>,
    token: String,
}

impl Fleet {
    async fn up(args: &RunArgs) -> anyhow::Result<Self> {
        if !args.attach.is_empty() {
            let token = args.token.clone().context("--attach needs --token")?;
            let servers = args
                .attach
                .iter()
                .map(|a| {
                    let (addr, pid) = a.split_once('=').context("--attach takes ADDR=PID")?;
                    Ok(Server::attach(addr.parse()?, pid.parse()?))
                })
                .collect::<anyhow::Result<_>>()?;
            return Ok(Self {
                servers,
                db: None,
                token,
            });
        }
        let db = Database::fresh(args.pg_url.as_deref(), args.keep).await?;
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
            env: Vec::new(),
        };
        let mut servers = Vec::new();
        for i in 0..args.processes.max(1) {
            servers.push(Server::start(&launch, i).await?);
        }
        Ok(Self {
            servers,
            db: Some(db),
            token,
        })
    }

    async fn down(self) -> anyhow::Result<()> {
        for s in self.servers {
            s.stop().await?;
        }
        if let Some(db) = self.db {
            db.cleanup().await?;
        }
        Ok(())
    }
}

/// Runs the scenario once and reports it.
pub async fn run_once(args: &RunArgs) -> anyhow::Result<RunReport> {
    let fleet = Fleet::up(args).await?;
    let result = measure(args, &fleet).await;
    fleet.down().await?;
    result
}

async fn measure(args: &RunArgs, fleet: &Fleet) -> anyhow::Result<RunReport> {
    let addrs: Vec<SocketAddr> = fleet.servers.iter().map(|s| s.addr).collect();
    let pids: Vec<u32> = fleet.servers.iter().map(|s| s.pid).collect();
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let tenant = setup::create_tenant(addrs[0], &fleet.token, &run_id).await?;
    let spec = LicenseSpec {
        count: args.licenses.max(1),
        seats: args.seats,
        ttl_seconds: 3600,
        expires_at: None,
    };
    let licenses = setup::create_licenses(addrs[0], &fleet.token, &tenant, &spec).await?;
    let sessions = if args.scenario.needs_sessions() {
        let n = args.session_count();
        setup::acquire_sessions(&addrs, &licenses, n, args.connections, &run_id).await?
    } else {
        Vec::new()
    };

    let conns = args.connections.max(1);
    let mut shares: Vec<Vec<BenchSession>> = vec![Vec::new(); conns];
    for (i, s) in sessions.into_iter().enumerate() {
        shares[i % conns].push(s);
    }
    let db_pids = match &fleet.db {
        Some(db) => {
            db.analyze().await?;
            db.backend_pids().await?
        }
        None => Vec::new(),
    };
    let load_avg = procstat::load_average();
    let start = Instant::now() + Duration::from_millis(100);
    let record_from = start + Duration::from_secs_f64(args.warmup);
    let plan = Arc::new(LoadPlan {
        scenario: args.scenario,
        licenses: Arc::new(licenses),
        hw_prefix: format!("{run_id}-load"),
        record_from,
        until: record_from + Duration::from_secs_f64(args.duration),
        stop: Arc::default(),
        pace: LoadPlan::gap(args.rate, conns),
    });
    let mut tasks = Vec::with_capacity(conns);
    for (i, share) in shares.into_iter().enumerate() {
        let addr = addrs[i % addrs.len()];
        tasks.push(tokio::spawn(load::worker(addr, i, plan.clone(), share)));
    }
    // CPU counters at the start of the measured window.
    tokio::time::sleep_until(record_from.into()).await;
    let server_cpu0 = procstat::total_cpu(&pids)?;
    let client_cpu0 = procstat::cpu_seconds("self")?;
    let switches0 = procstat::total_context_switches(&pids);
    let db_cpu0 = procstat::total_cpu_lenient(&db_pids);
    let mut results = Vec::with_capacity(conns);
    for t in tasks {
        results.push(t.await??);
    }
    let seconds = record_from.elapsed().as_secs_f64();
    let server_cpu = procstat::total_cpu(&pids)? - server_cpu0;
    let client_cpu = procstat::cpu_seconds("self")? - client_cpu0;
    let switches = procstat::total_context_switches(&pids) - switches0;
    let db_cpu = procstat::total_cpu_lenient(&db_pids) - db_cpu0;
    let merged = load::merge(results);
    let mut report = RunReport::new(
        args.scenario.name(),
        args.backend(),
        pids.len(),
        conns,
        seconds,
        &merged,
        server_cpu,
        client_cpu,
        load_avg,
    );
    report.server_switches_per_req = switches as f64 / report.requests.max(1) as f64;
    report.db_cpu_us_per_req = db_cpu * 1e6 / report.requests.max(1) as f64;
    Ok(report)
}
