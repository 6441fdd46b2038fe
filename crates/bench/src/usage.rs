//! The metering benchmark: `GET /usage` over `--sessions` sessions (1,000,000 by default)
//! of `--licenses` licenses spread over a `--days` window, on SQLite or PostgreSQL. The licenses are
//! made through the API; the sessions, which only a month of real traffic would make, are
//! written straight into the sessions table (released ones of 1 minute to 8 hours, and
//! a live share). The reference, measured in the same run on the same database, is one
//! plain query fetching the same sessions' times: the floor any exact computation pays.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, DurationRound, SecondsFormat, Utc};
use hdrhistogram::Histogram;
use sqlx::{Connection, PgConnection, SqliteConnection};

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
    /// Admin URL of a PostgreSQL server (default: embedded SQLite).
    #[arg(long, env = "CODITECT_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    /// The server binary (default: `coditect-license` next to this one).
    #[arg(long)]
    pub server_bin: Option<std::path::PathBuf>,
}

/// Runs the metering benchmark.
pub async fn run(args: &UsageArgs) -> anyhow::Result<()> {
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
    let mut conn = if args.pg_url.is_some() {
        Direct::Pg(PgConnection::connect(db.url()).await?)
    } else {
        Direct::Sqlite(SqliteConnection::connect(db.url()).await?)
    };
    let seeded = Instant::now();
    conn.seed(&tenant, args.sessions, from, to).await?;
    println!(
        "seeded {} sessions on {} licenses over {} days in {:.1} s",
        args.sessions,
        args.licenses,
        args.days,
        seeded.elapsed().as_secs_f64()
    );
    let reference = conn.time_reference(&tenant, from, to, args.repeat).await?;
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
            conn.time_reference(&tenant, from, to, args.repeat).await?
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

/// The benchmark's own connection to the servers' database, for what the API cannot do
/// in a benchmark's time (a month of sessions) and for the reference query.
enum Direct {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// The sessions' shape, as SQL both dialects read: each license gets an equal share,
/// start times uniform over the window, 5 % still live, the rest released after 1 minute
/// to 8 hours (never after the window's end).
const SEED_PG: &str = "WITH l AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i, \
        count(*) OVER () AS n FROM licenses WHERE tenant_id = $1), \
      s AS (SELECT g, $3::timestamptz + (random() * $4) * interval '1 second' AS start, \
        (60 + random() * 28740) * interval '1 second' AS len, g % 20 = 0 AS live \
        FROM generate_series(1, $2::bigint) g) \
    INSERT INTO sessions (id, tenant_id, license_id, hardware_id, status, end_reason, \
        created_at, last_heartbeat_at, expires_at, ended_at) \
    SELECT gen_random_uuid(), $1, l.id, 'hw-' || s.g, \
        CASE WHEN s.live THEN 'active' ELSE 'released' END, \
        CASE WHEN s.live THEN NULL ELSE 'released' END, s.start, s.start, \
        CASE WHEN s.live THEN now() + interval '1 day' ELSE s.start + s.len END, \
        CASE WHEN s.live THEN NULL ELSE least(s.start + s.len, $5) END \
    FROM s JOIN l ON l.i = s.g % l.n";

/// The same on SQLite, times in microseconds (`$4` the window's length in µs, `$6` now).
const SEED_SQLITE: &str =
    "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < $2), \
      l AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i, count(*) OVER () AS n \
        FROM licenses WHERE tenant_id = $1), \
      s AS (SELECT x AS g, $3 + abs(random() % $4) AS start, \
        (60 + abs(random() % 28740)) * 1000000 AS len, x % 20 = 0 AS live FROM g) \
    INSERT INTO sessions (id, tenant_id, license_id, hardware_id, status, end_reason, \
        created_at, last_heartbeat_at, expires_at, ended_at) \
    SELECT randomblob(16), $1, l.id, 'hw-' || s.g, \
        CASE WHEN s.live THEN 'active' ELSE 'released' END, \
        CASE WHEN s.live THEN NULL ELSE 'released' END, s.start, s.start, \
        CASE WHEN s.live THEN $6 + 86400000000 ELSE s.start + s.len END, \
        CASE WHEN s.live THEN NULL ELSE min(s.start + s.len, $5) END \
    FROM s JOIN l ON l.i = s.g % l.n";

/// Every session that held a seat in the window, as the reference reads it.
const REFERENCE: &str = "SELECT license_id, created_at, ended_at, expires_at FROM sessions \
    WHERE tenant_id = $1 AND created_at < $3 AND coalesce(ended_at, expires_at) > $2 \
    ORDER BY license_id, created_at";

impl Direct {
    /// Writes `n` sessions over `[from, to)` and refreshes the planner's statistics.
    async fn seed(
        &mut self,
        tenant: &str,
        n: u64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let tenant = uuid::Uuid::parse_str(tenant)?;
        match self {
            Self::Pg(pg) => {
                let span = (to - from).num_seconds() as f64;
                sqlx::query(SEED_PG)
                    .bind(tenant)
                    .bind(n as i64)
                    .bind(from)
                    .bind(span)
                    .bind(to)
                    .execute(&mut *pg)
                    .await?;
                sqlx::query("ANALYZE sessions").execute(&mut *pg).await?;
            }
            Self::Sqlite(db) => {
                let span = (to - from).num_microseconds().context("window")?;
                sqlx::query(SEED_SQLITE)
                    .bind(tenant)
                    .bind(n as i64)
                    .bind(from.timestamp_micros())
                    .bind(span)
                    .bind(to.timestamp_micros())
                    .bind(Utc::now().timestamp_micros())
                    .execute(&mut *db)
                    .await?;
                sqlx::query("ANALYZE").execute(&mut *db).await?;
            }
        }
        Ok(())
    }

    /// The median time of one plain query fetching the times of every session that
    /// held a seat in the window.
    async fn time_reference(
        &mut self,
        tenant: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        repeat: usize,
    ) -> anyhow::Result<Duration> {
        let tenant = uuid::Uuid::parse_str(tenant)?;
        let mut times = Vec::new();
        for _ in 0..repeat.max(1) {
            let t = Instant::now();
            let n = match self {
                Self::Pg(pg) => {
                    let rows: Vec<PgTimes> = sqlx::query_as(REFERENCE)
                        .bind(tenant)
                        .bind(from)
                        .bind(to)
                        .fetch_all(&mut *pg)
                        .await?;
                    rows.len()
                }
                Self::Sqlite(db) => {
                    let rows: Vec<SqliteTimes> = sqlx::query_as(REFERENCE)
                        .bind(tenant)
                        .bind(from.timestamp_micros())
                        .bind(to.timestamp_micros())
                        .fetch_all(&mut *db)
                        .await?;
                    rows.len()
                }
            };
            anyhow::ensure!(n > 0, "the reference found no sessions");
            times.push(t.elapsed());
        }
        times.sort();
        Ok(times[times.len() / 2])
    }
}

/// A session's license and times as PostgreSQL gives them.
type PgTimes = (
    uuid::Uuid,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);
/// The same as SQLite stores them (microseconds).
type SqliteTimes = (uuid::Uuid, i64, Option<i64>, i64);
