//! The metering benchmark: `GET /usage` over `--sessions` sessions (1,000,000 by default)
//! of `--licenses` licenses spread over a `--days` window, on PostgreSQL. The licenses are
//! made through the API; the sessions, which only a month of real traffic would make, are
//! written straight into the sessions table (released ones of 1 minute to 8 hours, and
//! a live share). The reference, measured in the same run on the same database, is one
//! plain query fetching the same sessions' times: the floor any exact computation pays.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, DurationRound, SecondsFormat, Utc};
use hdrhistogram::Histogram;
use sqlx::{Connection, PgConnection};

use crate::client::Conn;
use crate::server::{Database, Launch, Server};
use crate::setup::{self, LicenseSpec};

/// Settings of the metering benchmark.
#[derive(Clone, Debug, clap::Args)]
pub struct UsageArgs {
    /// Sessions to write.
    #[arg(long, default_value_t = 1_000_000)]
    pub sessions: u64,
    /// Licenses they belong to.
    #[arg(long, default_value_t = 1000)]
    pub licenses: usize,
    /// Days of the window they are spread over (ending at the current hour).
    #[arg(long, default_value_t = 30)]
    pub days: i64,
    /// Requests timed per granularity.
    #[arg(long, default_value_t = 10)]
    pub repeat: usize,
    /// Admin URL of the PostgreSQL server.
    #[arg(long, env = "CODITECT_BENCH_PG_URL")]
    pub pg_url: String,
    /// The server binary (default: `coditect-license` next to this one).
    #[arg(long)]
    pub server_bin: Option<std::path::PathBuf>,
}

/// Runs the metering benchmark.
pub async fn run(args: &UsageArgs) -> anyhow::Result<()> {
    let db = Database::fresh(Some(&args.pg_url), false).await?;
    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let bin = args
        .server_bin
        .clone()
        .unwrap_or_else(crate::server::default_server_bin);
    let launch = Launch {
        bin: &bin,
        db: &db,
        token: &token,
        log_filter: None,
        env: Vec::new(),
    };
    let server = Server::start(&launch, 0).await?;
    let result = measure(args, &server, &db, &token).await;
    server.stop().await?;
    db.cleanup().await?;
    result
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn measure(
    args: &UsageArgs,
    server: &Server,
    db: &Database,
    token: &str,
) -> anyhow::Result<()> {
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let tenant = setup::create_tenant(server.addr, token, &run_id).await?;
    let spec = LicenseSpec {
        count: args.licenses,
        seats: 1_000_000,
        ttl_seconds: 86_400,
        expires_at: None,
    };
    setup::create_licenses(server.addr, token, &tenant, &spec).await?;
    let to = Utc::now().duration_trunc(chrono::Duration::hours(1))?;
    let from = to - chrono::Duration::days(args.days);
    let mut pg = PgConnection::connect(db.url()).await?;
    let seeded = Instant::now();
    seed(&mut pg, &tenant, args.sessions, from, to).await?;
    println!(
        "seeded {} sessions on {} licenses over {} days in {:.1} s",
        args.sessions,
        args.licenses,
        args.days,
        seeded.elapsed().as_secs_f64()
    );
    let reference = time_reference(&mut pg, &tenant, from, to, args.repeat).await?;
    for (granularity, days) in [("day", args.days), ("hour", args.days.min(7))] {
        let from = to - chrono::Duration::days(days);
        let path = format!(
            "/api/v1/tenants/{tenant}/usage?from={}&to={}&granularity={granularity}",
            stamp(from),
            stamp(to)
        );
        let mut admin = Conn::open(server.addr).await?.with_bearer(token)?;
        let mut h = Histogram::<u64>::new(3)?;
        let mut rows = 0;
        for _ in 0..args.repeat.max(1) {
            let t = Instant::now();
            let r = admin.get(&path).await?;
            h.record(t.elapsed().as_micros() as u64)?;
            anyhow::ensure!(r.status.as_u16() == 200, "usage: {}", r.status);
            rows = r.json()?["items"].as_array().context("items")?.len();
        }
        let reference = if days == args.days {
            reference
        } else {
            time_reference(&mut pg, &tenant, from, to, args.repeat).await?
        };
        println!(
            "usage granularity={granularity} days={days} rows={rows}: p50 {:.1} ms p95 {:.1} ms max {:.1} ms; \
             reference (plain fetch of the same sessions) p50 {:.1} ms; ratio {:.2}",
            h.value_at_quantile(0.5) as f64 / 1000.0,
            h.value_at_quantile(0.95) as f64 / 1000.0,
            h.max() as f64 / 1000.0,
            reference.as_secs_f64() * 1000.0,
            h.value_at_quantile(0.5) as f64 / 1000.0 / (reference.as_secs_f64() * 1000.0)
        );
    }
    Ok(())
}

/// Writes the sessions: each license gets an equal share, start times uniform over the
/// window, 5 % still live, the rest released after 1 minute to 8 hours.
async fn seed(
    pg: &mut PgConnection,
    tenant: &str,
    n: u64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<()> {
    let tenant = uuid::Uuid::parse_str(tenant)?;
    let span = (to - from).num_seconds() as f64;
    sqlx::query(
        "WITH l AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i, count(*) OVER () AS n \
                    FROM licenses WHERE tenant_id = $1), \
              s AS (SELECT g, $3::timestamptz + (random() * $4) * interval '1 second' AS start, \
                           (60 + random() * 28740) * interval '1 second' AS len, g % 20 = 0 AS live \
                    FROM generate_series(1, $2::bigint) g) \
         INSERT INTO sessions (id, tenant_id, license_id, hardware_id, status, end_reason, created_at, \
                               last_heartbeat_at, expires_at, ended_at) \
         SELECT gen_random_uuid(), $1, l.id, 'hw-' || s.g, \
                CASE WHEN s.live THEN 'active' ELSE 'released' END, \
                CASE WHEN s.live THEN NULL ELSE 'released' END, \
                s.start, s.start, \
                CASE WHEN s.live THEN now() + interval '1 day' ELSE s.start + s.len END, \
                CASE WHEN s.live THEN NULL ELSE least(s.start + s.len, $5) END \
         FROM s JOIN l ON l.i = s.g % l.n",
    )
    .bind(tenant)
    .bind(n as i64)
    .bind(from)
    .bind(span)
    .bind(to)
    .execute(&mut *pg)
    .await?;
    sqlx::query("ANALYZE sessions").execute(&mut *pg).await?;
    Ok(())
}

/// A session's license and times, as the reference query reads them.
type SessionTimes = (
    uuid::Uuid,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

/// The median time of one plain query fetching the times of every session that held a
/// seat in the window.
async fn time_reference(
    pg: &mut PgConnection,
    tenant: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    repeat: usize,
) -> anyhow::Result<Duration> {
    let tenant = uuid::Uuid::parse_str(tenant)?;
    let mut times = Vec::new();
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let rows: Vec<SessionTimes> = sqlx::query_as(
            "SELECT license_id, created_at, ended_at, expires_at FROM sessions \
                 WHERE tenant_id = $1 AND created_at < $3 AND coalesce(ended_at, expires_at) > $2 \
                 ORDER BY license_id, created_at",
        )
        .bind(tenant)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *pg)
        .await?;
        anyhow::ensure!(!rows.is_empty(), "the reference found no sessions");
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}
