//! The load: workers that acquire, heartbeat and release across server processes and
//! remember every seat they were granted; a checker that samples every license in the
//! database and through the API; and the final reckoning.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::{Connection, PgConnection, Row, SqliteConnection};
use tokio::sync::RwLock;

use crate::support::harness::Db;

/// Where the workers send requests; the crash test swaps nothing here, it restarts the
/// process on the same port.
pub type Bases = Arc<RwLock<Vec<String>>>;

/// A seat a worker was granted (201) and did not give back.
#[derive(Clone, Debug)]
pub struct Held {
    pub key: usize,
    pub session: String,
}

/// What the workers saw.
#[derive(Default, Debug)]
pub struct Tally {
    pub granted: u64,
    pub refused: u64,
    pub heartbeats: u64,
    pub released: u64,
    pub rate_limited: u64,
    /// Requests that got no HTTP answer (the process was killed mid-request).
    pub transport_errors: u64,
    /// 5xx answers, with the time since the load started.
    pub server_errors: Vec<(Duration, u16, String)>,
    /// A held session that heartbeat called gone: a lost seat.
    pub lost: Vec<String>,
    /// Anything the contract does not allow here.
    pub unexpected: Vec<String>,
    pub max_latency: Duration,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        self.granted += o.granted;
        self.refused += o.refused;
        self.heartbeats += o.heartbeats;
        self.released += o.released;
        self.rate_limited += o.rate_limited;
        self.transport_errors += o.transport_errors;
        self.server_errors.extend(o.server_errors);
        self.lost.extend(o.lost);
        self.unexpected.extend(o.unexpected);
        self.max_latency = self.max_latency.max(o.max_latency);
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

enum Answer {
    Http(u16, Value),
    /// The connection was refused: the request never reached a server.
    NotSent,
    /// The request may or may not have been served.
    Unknown,
}

async fn post(http: &reqwest::Client, url: String, body: Value, t: &mut Tally) -> Answer {
    let started = Instant::now();
    let res = http.post(url).json(&body).send().await;
    let out = match res {
        Ok(r) => {
            let status = r.status().as_u16();
            match r.json::<Value>().await {
                Ok(v) => Answer::Http(status, v),
                Err(_) => Answer::Unknown,
            }
        }
        Err(e) if e.is_connect() => Answer::NotSent,
        Err(_) => Answer::Unknown,
    };
    t.max_latency = t.max_latency.max(started.elapsed());
    out
}

/// One worker until `until`; returns the seats it still holds.
async fn worker(
    id: usize,
    http: reqwest::Client,
    bases: Bases,
    keys: Arc<Vec<String>>,
    salt: String,
    mut held: Vec<Held>,
    (start, until): (Instant, Instant),
) -> (Vec<Held>, Tally) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1).wrapping_mul(0x2545_F491));
    let mut t = Tally::default();
    let mut n = 0u64;
    while Instant::now() < until {
        let base = {
            let b = bases.read().await;
            b[rng.next(b.len())].clone()
        };
        if t.transport_errors > 0 && t.transport_errors % 8 == 0 {
            // The process is down: do not spin on refused connections.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let roll = rng.next(100);
        let code = |v: &Value| v["error"]["code"].as_str().unwrap_or("").to_owned();
        if held.is_empty() || roll < 40 {
            let key = rng.next(keys.len());
            n += 1;
            let body =
                json!({"license_key": keys[key], "hardware_id": format!("w{id}-{n}-{salt}")});
            match post(
                &http,
                format!("{base}/api/v1/licenses/acquire"),
                body,
                &mut t,
            )
            .await
            {
                Answer::Http(201, v) => {
                    t.granted += 1;
                    let session = v["session_id"].as_str().unwrap_or_default().to_owned();
                    held.push(Held { key, session });
                }
                Answer::Http(409, _) => t.refused += 1,
                Answer::Http(429, _) => t.rate_limited += 1,
                Answer::Http(s, v) if s >= 500 => {
                    t.server_errors.push((start.elapsed(), s, code(&v)));
                }
                Answer::Http(s, v) => t.unexpected.push(format!("acquire {s}: {v}")),
                Answer::Unknown | Answer::NotSent => t.transport_errors += 1,
            }
        } else if roll < 85 {
            let h = held[rng.next(held.len())].clone();
            let body = json!({"license_key": keys[h.key], "session_id": h.session});
            match post(
                &http,
                format!("{base}/api/v1/licenses/heartbeat"),
                body,
                &mut t,
            )
            .await
            {
                Answer::Http(200, v) => {
                    t.heartbeats += 1;
                    if v["session_id"].as_str() != Some(h.session.as_str()) {
                        t.unexpected
                            .push(format!("heartbeat answered another session: {v}"));
                    }
                }
                Answer::Http(404 | 410, v) => t.lost.push(format!("{}: {v}", h.session)),
                Answer::Http(429, _) => t.rate_limited += 1,
                Answer::Http(s, v) if s >= 500 => {
                    t.server_errors.push((start.elapsed(), s, code(&v)));
                }
                Answer::Http(s, v) => t.unexpected.push(format!("heartbeat {s}: {v}")),
                // A heartbeat cannot end a session: it is still held either way.
                Answer::Unknown | Answer::NotSent => t.transport_errors += 1,
            }
        } else {
            let i = rng.next(held.len());
            let h = held.swap_remove(i);
            let body = json!({"license_key": keys[h.key], "session_id": h.session});
            match post(
                &http,
                format!("{base}/api/v1/licenses/release"),
                body,
                &mut t,
            )
            .await
            {
                Answer::Http(200, v) if v["released"] == json!(true) => t.released += 1,
                Answer::Http(200, v) => t.lost.push(format!("released already: {v}")),
                Answer::Http(404, v) => t.lost.push(format!("{}: {v}", h.session)),
                Answer::Http(429, _) => {
                    t.rate_limited += 1;
                    held.push(h);
                }
                Answer::Http(s, v) if s >= 500 => {
                    // Unknown outcome: the seat may or may not be free now.
                    t.server_errors.push((start.elapsed(), s, code(&v)));
                }
                Answer::Http(s, v) => t.unexpected.push(format!("release {s}: {v}")),
                Answer::NotSent => {
                    t.transport_errors += 1;
                    held.push(h);
                }
                // Unknown outcome; no longer counted as held.
                Answer::Unknown => t.transport_errors += 1,
            }
        }
    }
    (held, t)
}

/// Runs `workers` workers across `bases` for `duration`; `initial` seats (held from an
/// earlier run) are handed out among them to heartbeat and release.
pub async fn run_workers(
    http: &reqwest::Client,
    bases: Bases,
    keys: Arc<Vec<String>>,
    workers: usize,
    duration: Duration,
    initial: Vec<Held>,
) -> (Vec<Held>, Tally) {
    let mut shares: Vec<Vec<Held>> = vec![Vec::new(); workers];
    for (i, h) in initial.into_iter().enumerate() {
        shares[i % workers].push(h);
    }
    let start = Instant::now();
    let until = start + duration;
    // Hardware ids unique to this run, so no acquire resumes a session of another run.
    let salt = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let tasks: Vec<_> = shares
        .into_iter()
        .enumerate()
        .map(|(i, share)| {
            tokio::spawn(worker(
                i,
                http.clone(),
                bases.clone(),
                keys.clone(),
                salt.clone(),
                share,
                (start, until),
            ))
        })
        .collect();
    let mut held = Vec::new();
    let mut tally = Tally::default();
    for task in tasks {
        let (h, t) = task.await.expect("worker");
        held.extend(h);
        tally.merge(t);
    }
    (held, tally)
}

/// Reads the database directly, as the server's processes cannot vouch for themselves.
pub enum Probe {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl Probe {
    pub async fn connect(db: &Db) -> Self {
        if db.is_postgres() {
            Probe::Pg(PgConnection::connect(&db.url).await.expect("probe"))
        } else {
            Probe::Sqlite(SqliteConnection::connect(&db.url).await.expect("probe"))
        }
    }

    /// `name -> (seats_total, live sessions)` for every license, on the database's clock.
    pub async fn live_by_license(&mut self) -> HashMap<String, (i64, i64)> {
        fn pairs<R: Row>(rows: Vec<R>) -> HashMap<String, (i64, i64)>
        where
            for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            usize: sqlx::ColumnIndex<R>,
        {
            rows.iter()
                .map(|r| (r.get::<String, _>(0usize), (r.get(1usize), r.get(2usize))))
                .collect()
        }
        match self {
            Probe::Pg(c) => pairs(
                sqlx::query(
                    "WITH t AS MATERIALIZED (SELECT clock_timestamp() AS now) \
                     SELECT l.name, l.seats_total, (SELECT count(*) FROM sessions s \
                       WHERE s.license_id = l.id AND s.status = 'active' AND s.expires_at > t.now) \
                     FROM licenses l CROSS JOIN t",
                )
                .fetch_all(c)
                .await
                .expect("probe query"),
            ),
            Probe::Sqlite(c) => pairs(
                sqlx::query(
                    "SELECT l.name, l.seats_total, (SELECT count(*) FROM sessions s \
                       WHERE s.license_id = l.id AND s.status = 'active' AND s.expires_at > \
                       CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)) \
                     FROM licenses l",
                )
                .fetch_all(c)
                .await
                .expect("probe query"),
            ),
        }
    }
}

/// What the checker saw.
#[derive(Default, Debug)]
pub struct Samples {
    pub db_samples: u64,
    pub api_samples: u64,
    pub violations: Vec<String>,
    /// The fullest any license was seen, as live/seats.
    pub fullest: f64,
}

/// Tells a checker to stop.
pub type Stop = Arc<AtomicBool>;

/// Samples every license until `stop` is set: in the database (every ~20 ms) and through
/// the API's `validate` on each process in turn. Never more live sessions than seats.
pub async fn checker(
    db: &Db,
    http: reqwest::Client,
    bases: Bases,
    keys: Arc<Vec<String>>,
    stop: Stop,
) -> Samples {
    let mut probe = Probe::connect(db).await;
    let mut s = Samples::default();
    let mut turn = 0usize;
    while !stop.load(Ordering::Relaxed) {
        for (name, (total, live)) in probe.live_by_license().await {
            if live > total {
                s.violations.push(format!(
                    "database: {name} has {live} live sessions on {total} seats"
                ));
            }
            s.fullest = s.fullest.max(live as f64 / total as f64);
        }
        s.db_samples += 1;
        let base = {
            let b = bases.read().await;
            b[turn % b.len()].clone()
        };
        let key = &keys[turn % keys.len()];
        turn += 1;
        let res = http
            .post(format!("{base}/api/v1/licenses/validate"))
            .json(&json!({"license_key": key}))
            .send()
            .await;
        if let Ok(r) = res {
            if r.status().as_u16() == 200 {
                let v: Value = r.json().await.unwrap_or_default();
                let used = v["license"]["seats_used"].as_i64().unwrap_or(0);
                let total = v["license"]["seats_total"].as_i64().unwrap_or(0);
                if used > total {
                    s.violations
                        .push(format!("API: {used} seats used of {total}: {v}"));
                }
                s.api_samples += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s
}

/// The end of a run: every held seat still heartbeats (200, same session); per license,
/// the live sessions in the database are at least the held ones (exactly them when every
/// request got an answer), never more than the seats, and the API's `seats_used` agrees
/// with the database.
pub async fn reckon(
    db: &Db,
    http: &reqwest::Client,
    base: &str,
    keys: &[String],
    held: &[Held],
    exact: bool,
) {
    let mut lost = Vec::new();
    for h in held {
        let r = http
            .post(format!("{base}/api/v1/licenses/heartbeat"))
            .json(&json!({"license_key": keys[h.key], "session_id": h.session}))
            .send()
            .await
            .expect("heartbeat after the load");
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or_default();
        if status != 200 || v["session_id"].as_str() != Some(h.session.as_str()) {
            lost.push(format!("{} -> {status} {v}", h.session));
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} held sessions were lost: {:?}",
        lost.len(),
        held.len(),
        &lost[..lost.len().min(5)]
    );
    let mut probe = Probe::connect(db).await;
    let live = probe.live_by_license().await;
    for (i, key) in keys.iter().enumerate() {
        let name = format!("scale-{i}");
        let (total, live) = live[&name];
        let mine = held.iter().filter(|h| h.key == i).count() as i64;
        assert!(
            live <= total,
            "{name}: {live} live sessions on {total} seats"
        );
        assert!(live >= mine, "{name}: {mine} sessions held, {live} live");
        if exact {
            assert_eq!(
                live, mine,
                "{name}: live sessions differ from the held ones"
            );
        }
        let v: Value = http
            .post(format!("{base}/api/v1/licenses/validate"))
            .json(&json!({"license_key": key}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["license"]["seats_used"].as_i64(),
            Some(live),
            "{name}: API seats_used disagrees with the database: {v}"
        );
    }
}
