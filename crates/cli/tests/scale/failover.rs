//! Failover of PostgreSQL under load. A primary with a synchronous standby of the test's
//! own, behind a TCP proxy standing in for the address managed PostgreSQL keeps across a
//! failover; two server processes on it take acquire, heartbeat and release load. Mid-load
//! the primary is killed as a crashed machine (every process of it, SIGKILL), the standby
//! promoted, and the proxy switched to it. Then:
//! - every session acknowledged (201, or 200 on a retried acquire), before the kill or
//!   after it, and not released, still heartbeats with 200;
//! - no license has more live sessions than seats, sampled during the load and counted
//!   at the end on the promoted database;
//! - every answer is a 2xx, a `409 no_seats_available`, or a `503 service_unavailable`
//!   with `Retry-After`: never a 500 or another 5xx, never a hang past the server's
//!   request timeout.
//!
//! A second test plays what that run cannot make happen on loopback: a standby not yet
//! promoted behind the database address, and a database gone silent with its connections
//! open.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::{Connection, PgConnection, Row};

use crate::support::harness::{http_client, make_licenses_with_ttl, pg_admin_url, Db, Server};
use crate::support::pg_cluster::{self, PgCluster};
use crate::support::proxy::{authority_of, SwitchableProxy};

/// Few seats, so acquires keep running into full licenses and releases free them again.
const SEATS: [i64; 5] = [20; 5];
/// Long enough that no session of the test expires during it.
const TTL_SECONDS: u32 = 120;
const WORKERS: usize = 8;
/// Load before the kill, and after the switch.
const BEFORE_KILL: Duration = Duration::from_secs(4);
const AFTER_SWITCH: Duration = Duration::from_secs(5);
/// The servers' `CODITECT_REQUEST_TIMEOUT_SECONDS`: no request may take longer (plus a
/// margin for a loaded 2-core machine).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const LATENCY_MARGIN: Duration = Duration::from_secs(3);

/// Milliseconds since the load started at which the primary was killed and the proxy
/// switched (`u64::MAX` until then), to tell the phases of an answer apart.
struct Timeline {
    start: Instant,
    killed_ms: AtomicU64,
    switched_ms: AtomicU64,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Phase {
    BeforeKill,
    Switching,
    AfterSwitch,
}

impl Timeline {
    fn ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
    /// The phase a request sent at `sent_ms` and answered now belongs to: `Switching`
    /// when any part of it overlapped the time from the kill to the switch.
    fn phase(&self, sent_ms: u64) -> Phase {
        let now = self.ms();
        if now < self.killed_ms.load(Ordering::SeqCst) {
            Phase::BeforeKill
        } else if sent_ms <= self.switched_ms.load(Ordering::SeqCst) {
            Phase::Switching
        } else {
            Phase::AfterSwitch
        }
    }
}

/// A session a worker was granted and has not released.
#[derive(Clone, Debug)]
struct Held {
    key: usize,
    session: String,
}

#[derive(Default, Debug)]
struct Tally {
    /// `(phase, "acquire 201")` → count.
    answers: BTreeMap<(Phase, String), u64>,
    /// Answers the contract does not allow here (a 500, a 503 without its code or
    /// `Retry-After`, a resumed session for a fresh hardware id, ...).
    bad: Vec<String>,
    /// An acknowledged session that heartbeat called gone.
    lost: Vec<String>,
    /// Requests that got no HTTP answer: the servers never die here, so none is allowed.
    transport: Vec<String>,
    /// Releases whose outcome is unknown (503): those sessions are no longer checked.
    release_unknown: u64,
    max_latency: Duration,
    max_latency_of: String,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        for (k, v) in o.answers {
            *self.answers.entry(k).or_default() += v;
        }
        self.bad.extend(o.bad);
        self.lost.extend(o.lost);
        self.transport.extend(o.transport);
        self.release_unknown += o.release_unknown;
        if o.max_latency > self.max_latency {
            self.max_latency = o.max_latency;
            self.max_latency_of = o.max_latency_of;
        }
    }

    /// 503 answers of every kind, in `phase` or in all.
    fn unavailable(&self, phase: Option<Phase>) -> u64 {
        ["acquire 503", "heartbeat 503", "release 503"]
            .iter()
            .map(|w| self.count(w, phase))
            .sum()
    }

    fn count(&self, what: &str, phase: Option<Phase>) -> u64 {
        self.answers
            .iter()
            .filter(|((p, w), _)| w == what && phase.is_none_or(|x| x == *p))
            .map(|(_, n)| n)
            .sum()
    }
}

struct Reply {
    status: u16,
    body: Value,
    retry_after: Option<String>,
}

/// One request; `Err` when no HTTP answer came.
async fn post(
    http: &reqwest::Client,
    url: &str,
    body: &Value,
    op: &str,
    tl: &Timeline,
    t: &mut Tally,
) -> (Phase, Result<Reply, String>) {
    let sent_ms = tl.ms();
    let started = Instant::now();
    let res = http.post(url).json(body).send().await;
    let out = match res {
        Ok(r) => {
            let status = r.status().as_u16();
            let retry_after = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            match r.json::<Value>().await {
                Ok(body) => Ok(Reply {
                    status,
                    body,
                    retry_after,
                }),
                Err(e) => Err(format!("{op} {status}: body: {e}")),
            }
        }
        Err(e) => Err(format!("{op}: {e}")),
    };
    let took = started.elapsed();
    let phase = tl.phase(sent_ms);
    if took > t.max_latency {
        t.max_latency = took;
        t.max_latency_of = format!("{op} sent at {sent_ms} ms ({phase:?})");
    }
    let label = match &out {
        Ok(r) => format!("{op} {}", r.status),
        Err(_) => format!("{op} no answer"),
    };
    *t.answers.entry((phase, label)).or_default() += 1;
    (phase, out)
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

/// Whether a 5xx is the one the contract allows: `503 service_unavailable` with a
/// `Retry-After` of whole seconds. Anything else is recorded as bad.
fn check_unavailable(op: &str, r: &Reply, phase: Phase, t: &mut Tally) {
    let retry_ok = r
        .retry_after
        .as_deref()
        .is_some_and(|s| s.parse::<u64>().is_ok());
    if r.status != 503 || code(&r.body) != "service_unavailable" || !retry_ok {
        t.bad.push(format!(
            "{op} ({phase:?}) {} retry-after {:?}: {}",
            r.status, r.retry_after, r.body
        ));
    }
}

struct Ctx {
    http: reqwest::Client,
    bases: Vec<String>,
    keys: Vec<String>,
    tl: Timeline,
    stop: AtomicBool,
    salt: String,
}

/// One worker until `stop`: acquires with fresh hardware ids (an acquire whose outcome is
/// unknown is retried with the same one, as the SDK does, so a seat granted without an
/// answer is resumed rather than doubled), heartbeats and releases the sessions it got.
async fn worker(id: usize, ctx: Arc<Ctx>) -> (Vec<Held>, Tally) {
    let mut t = Tally::default();
    let mut held: Vec<Held> = Vec::new();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (id as u64 + 1).wrapping_mul(0x2545_F491);
    let mut next = |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    // An acquire whose outcome is unknown: (license, hardware id).
    let mut pending: Option<(usize, String)> = None;
    let mut n = 0u64;
    while !ctx.stop.load(Ordering::SeqCst) {
        let base = &ctx.bases[next(ctx.bases.len())];
        let roll = next(100);
        let mut backoff = false;
        if pending.is_some() || held.is_empty() || roll < 40 {
            let retry = pending.is_some();
            let (key, hwid) = pending.take().unwrap_or_else(|| {
                n += 1;
                (next(ctx.keys.len()), format!("w{id}-{n}-{}", ctx.salt))
            });
            let body = json!({"license_key": ctx.keys[key], "hardware_id": hwid});
            let url = format!("{base}/api/v1/licenses/acquire");
            match post(&ctx.http, &url, &body, "acquire", &ctx.tl, &mut t).await {
                (_, Ok(r)) if r.status == 201 || (r.status == 200 && retry) => {
                    let session = r.body["session_id"].as_str().unwrap_or_default();
                    held.push(Held {
                        key,
                        session: session.to_owned(),
                    });
                }
                (_, Ok(r)) if r.status == 409 && code(&r.body) == "no_seats_available" => {}
                (p, Ok(r)) if r.status >= 500 => {
                    check_unavailable("acquire", &r, p, &mut t);
                    pending = Some((key, hwid));
                    backoff = true;
                }
                (p, Ok(r)) => t.bad.push(format!(
                    "acquire ({p:?}, retry {retry}) {}: {}",
                    r.status, r.body
                )),
                (_, Err(e)) => {
                    t.transport.push(e);
                    pending = Some((key, hwid));
                    backoff = true;
                }
            }
        } else if roll < 85 {
            let h = held[next(held.len())].clone();
            let body = json!({"license_key": ctx.keys[h.key], "session_id": h.session});
            let url = format!("{base}/api/v1/licenses/heartbeat");
            match post(&ctx.http, &url, &body, "heartbeat", &ctx.tl, &mut t).await {
                (p, Ok(r)) if r.status == 200 => {
                    if r.body["session_id"].as_str() != Some(h.session.as_str()) {
                        t.bad.push(format!(
                            "heartbeat ({p:?}) answered another session: {}",
                            r.body
                        ));
                    }
                }
                (p, Ok(r)) if r.status == 404 || r.status == 410 => {
                    t.lost
                        .push(format!("{} ({p:?}): {} {}", h.session, r.status, r.body));
                }
                (p, Ok(r)) if r.status >= 500 => {
                    check_unavailable("heartbeat", &r, p, &mut t);
                    backoff = true;
                }
                (p, Ok(r)) => t
                    .bad
                    .push(format!("heartbeat ({p:?}) {}: {}", r.status, r.body)),
                (_, Err(e)) => {
                    t.transport.push(e);
                    backoff = true;
                }
            }
        } else {
            let h = held.swap_remove(next(held.len()));
            let body = json!({"license_key": ctx.keys[h.key], "session_id": h.session});
            let url = format!("{base}/api/v1/licenses/release");
            match post(&ctx.http, &url, &body, "release", &ctx.tl, &mut t).await {
                (_, Ok(r)) if r.status == 200 && r.body["released"] == json!(true) => {}
                (p, Ok(r)) if r.status == 200 || r.status == 404 => t
                    .lost
                    .push(format!("release of {} ({p:?}): {}", h.session, r.body)),
                (p, Ok(r)) if r.status >= 500 => {
                    // It may or may not have been released: no longer checked.
                    check_unavailable("release", &r, p, &mut t);
                    t.release_unknown += 1;
                    backoff = true;
                }
                (p, Ok(r)) => t
                    .bad
                    .push(format!("release ({p:?}) {}: {}", r.status, r.body)),
                (_, Err(e)) => {
                    t.transport.push(e);
                    t.release_unknown += 1;
                    backoff = true;
                }
            }
        }
        if backoff {
            // Shorter than the advertised Retry-After, to keep probing the switch.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    (held, t)
}

/// `license name -> (seats_total, live sessions)` on the database's clock.
async fn live_by_license(conn: &mut PgConnection) -> sqlx::Result<HashMap<String, (i64, i64)>> {
    let rows = sqlx::query(
        "SELECT l.name, l.seats_total::int8, (SELECT count(*) FROM sessions s \
           WHERE s.license_id = l.id AND s.status = 'active' AND s.expires_at > clock_timestamp()) \
         FROM licenses l",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<String, _>(0), (r.get(1), r.get(2))))
        .collect())
}

/// Samples every license on whichever database is the primary now (directly, not
/// through the proxy) until `stop`; returns the number of samples and the violations.
async fn sampler(target: Arc<Mutex<String>>, ctx: Arc<Ctx>) -> (u64, Vec<String>) {
    let (mut samples, mut violations) = (0u64, Vec::new());
    let mut conn: Option<(String, PgConnection)> = None;
    while !ctx.stop.load(Ordering::SeqCst) {
        let url = target.lock().unwrap().clone();
        if conn.as_ref().is_none_or(|(u, _)| *u != url) {
            let c = tokio::time::timeout(Duration::from_secs(1), PgConnection::connect(&url)).await;
            conn = c.ok().and_then(Result::ok).map(|c| (url, c));
        }
        if let Some((_, c)) = conn.as_mut() {
            match tokio::time::timeout(Duration::from_secs(2), live_by_license(c)).await {
                Ok(Ok(live)) => {
                    samples += 1;
                    for (name, (total, live)) in live {
                        if live > total {
                            violations.push(format!("{name}: {live} live on {total} seats"));
                        }
                    }
                }
                // The primary died under it: reconnect to whatever is the primary next.
                _ => conn = None,
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (samples, violations)
}

/// Heartbeats `h` until it answers something else than 503 (a pooled connection the
/// failover closed answers one 503 before it is discarded); the final status and body.
async fn final_heartbeat(http: &reqwest::Client, base: &str, key: &str, h: &Held) -> (u16, Value) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = http
            .post(format!("{base}/api/v1/licenses/heartbeat"))
            .json(&json!({"license_key": key, "session_id": h.session}))
            .send()
            .await
            .expect("heartbeat after the failover");
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or_default();
        if status != 503 || Instant::now() > deadline {
            return (status, v);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_seats_survive_a_primary_failover() {
    if pg_admin_url().is_none() {
        eprintln!("skipping PostgreSQL failover test: CODITECT_TEST_DATABASE_URL is not set");
        return;
    }
    let Some(bin) = pg_cluster::binaries() else {
        eprintln!(
            "skipping PostgreSQL failover test: no PostgreSQL server binaries \
             (initdb, pg_ctl, pg_basebackup, postgres) in /usr/lib/postgresql/<version>/bin"
        );
        return;
    };
    let setup = Instant::now();
    let mut cluster = PgCluster::start(bin).await;
    let proxy = SwitchableProxy::start(cluster.primary.addr()).await;
    let database_url = pg_cluster::url(proxy.addr.port());
    eprintln!(
        "failover: primary :{} with synchronous standby :{} behind proxy :{}, up in {:?}",
        cluster.primary.port,
        cluster.standby.port,
        proxy.addr.port(),
        setup.elapsed()
    );
    let mut env = crate::support::unlimited();
    env.push((
        "CODITECT_REQUEST_TIMEOUT_SECONDS",
        REQUEST_TIMEOUT.as_secs().to_string(),
    ));
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut servers = Vec::new();
    for d in &dirs {
        servers.push(Server::start_on(&database_url, d.path(), &env).await);
    }
    // Longer than the servers' request timeout: a slow answer is measured, not cut.
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT * 3)
        .pool_max_idle_per_host(32)
        .build()
        .unwrap();
    let keys = make_licenses_with_ttl(&http, &servers[0].base, &SEATS, TTL_SECONDS).await;
    assert_eq!(keys.len(), SEATS.len());
    let ctx = Arc::new(Ctx {
        http: http.clone(),
        bases: servers.iter().map(|s| s.base.clone()).collect(),
        keys,
        tl: Timeline {
            start: Instant::now(),
            killed_ms: AtomicU64::new(u64::MAX),
            switched_ms: AtomicU64::new(u64::MAX),
        },
        stop: AtomicBool::new(false),
        salt: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
    });
    let target = Arc::new(Mutex::new(cluster.primary.url()));
    let sampling = tokio::spawn(sampler(target.clone(), ctx.clone()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|i| tokio::spawn(worker(i, ctx.clone())))
        .collect();

    tokio::time::sleep(BEFORE_KILL).await;
    let killed = Instant::now();
    ctx.tl.killed_ms.store(ctx.tl.ms(), Ordering::SeqCst);
    cluster.crash_primary().await;
    let dead = killed.elapsed();
    cluster.promote_standby().await;
    let promoted = killed.elapsed();
    *target.lock().unwrap() = cluster.standby.url();
    proxy.switch(cluster.standby.addr());
    ctx.tl.switched_ms.store(ctx.tl.ms(), Ordering::SeqCst);
    let switched = killed.elapsed();
    tokio::time::sleep(AFTER_SWITCH).await;
    ctx.stop.store(true, Ordering::SeqCst);

    let mut held = Vec::new();
    let mut tally = Tally::default();
    for w in workers {
        let (h, t) = w.await.unwrap();
        held.extend(h);
        tally.merge(t);
    }
    let (samples, violations) = sampling.await.unwrap();
    let unavailable = tally.unavailable(None);
    eprintln!(
        "failover: primary dead {dead:?} after the kill, standby promoted at {promoted:?}, \
         proxy switched at {switched:?}; {unavailable} answers were 503 (switching: {}), \
         {} releases of unknown outcome, max latency {:?} ({}), {samples} seat samples, \
         {} sessions held at the end",
        tally.unavailable(Some(Phase::Switching)),
        tally.release_unknown,
        tally.max_latency,
        tally.max_latency_of,
        held.len()
    );
    for ((phase, what), n) in &tally.answers {
        eprintln!("failover:   {phase:?} {what}: {n}");
    }

    // (c) Only the answers the contract allows, and an answer to every request.
    assert!(
        tally.bad.is_empty(),
        "{} answers the contract does not allow: {:?}",
        tally.bad.len(),
        &tally.bad[..tally.bad.len().min(10)]
    );
    assert!(
        tally.transport.is_empty(),
        "requests without an answer: {:?}",
        &tally.transport[..tally.transport.len().min(10)]
    );
    // (d) Nothing waited longer than the request timeout.
    assert!(
        tally.max_latency <= REQUEST_TIMEOUT + LATENCY_MARGIN,
        "a request took {:?} ({}), over the {REQUEST_TIMEOUT:?} request timeout",
        tally.max_latency,
        tally.max_latency_of
    );
    // (a) during the load: no acknowledged session was called gone.
    assert!(
        tally.lost.is_empty(),
        "acknowledged sessions lost: {:?}",
        &tally.lost[..tally.lost.len().min(10)]
    );
    // (e) The outage was seen (a request in flight from the kill to the switch can only
    // be answered 503), and the servers served on both sides of it.
    assert!(unavailable > 0, "no request saw the failover: {tally:?}");
    for phase in [Phase::BeforeKill, Phase::AfterSwitch] {
        assert!(
            tally.count("acquire 201", Some(phase)) > 0
                && tally.count("heartbeat 200", Some(phase)) > 0,
            "no seat granted or heartbeat answered in {phase:?}: {:?}",
            tally.answers
        );
    }
    assert!(samples > 20, "the seat sampler barely ran ({samples})");
    assert!(violations.is_empty(), "oversold: {violations:?}");

    // (a) Every acknowledged session not released heartbeats on the promoted database,
    // through both processes.
    let mut lost = Vec::new();
    for (i, h) in held.iter().enumerate() {
        let base = &ctx.bases[i % ctx.bases.len()];
        let (status, v) = final_heartbeat(&http, base, &ctx.keys[h.key], h).await;
        if status != 200 || v["session_id"].as_str() != Some(h.session.as_str()) {
            lost.push(format!("{} -> {status} {v}", h.session));
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged sessions do not heartbeat after the failover: {:?}",
        lost.len(),
        held.len(),
        &lost[..lost.len().min(10)]
    );
    // (b) On the promoted database: never more live sessions than seats, and at least the
    // acknowledged ones (a seat granted without an answer may be live besides them).
    let mut conn = PgConnection::connect(&cluster.standby.url()).await.unwrap();
    let live = live_by_license(&mut conn).await.unwrap();
    for i in 0..SEATS.len() {
        let name = format!("scale-{i}");
        let (total, live) = live[&name];
        let mine = held.iter().filter(|h| h.key == i).count() as i64;
        eprintln!("failover:   {name}: {live} live of {total} seats, {mine} acknowledged");
        assert!(
            live <= total,
            "{name}: {live} live sessions on {total} seats"
        );
        assert!(
            live >= mine,
            "{name}: {mine} acknowledged sessions, {live} live"
        );
    }
    conn.close().await.unwrap();
    drop(servers);
    drop(proxy);
    drop(cluster);
}

/// One client request; its status, `Retry-After` and body.
async fn client_call(
    http: &reqwest::Client,
    base: &str,
    op: &str,
    body: Value,
) -> (u16, Option<String>, Value) {
    let r = http
        .post(format!("{base}/api/v1/licenses/{op}"))
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{op}: no answer: {e}"));
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, retry, r.json().await.unwrap_or_default())
}

/// What a failover looks like from a server that the main test cannot make happen on
/// loopback: the database address leading to a standby not yet promoted (every write
/// refused with SQLSTATE 25006, played here by `default_transaction_read_only`), and a
/// database gone silent without closing its connections (half-open connections after a
/// host vanished, played by the proxy forwarding nothing). Both are answered `503
/// service_unavailable` with `Retry-After`, the silence within the request timeout, and
/// the session is there again once the database is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_or_silent_database_answers_503_in_time() {
    let Some(admin) = pg_admin_url() else {
        eprintln!("skipping PostgreSQL failover test: CODITECT_TEST_DATABASE_URL is not set");
        return;
    };
    const TIMEOUT: Duration = Duration::from_secs(2);
    let db = Db::postgres(&admin).await;
    let (admin_url, name) = db.postgres_name().expect("a PostgreSQL database");
    let upstream = authority_of(&db.url);
    let proxy = SwitchableProxy::start(upstream.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = crate::support::unlimited();
    env.push((
        "CODITECT_REQUEST_TIMEOUT_SECONDS",
        TIMEOUT.as_secs().to_string(),
    ));
    let server = Server::start_on(&proxy.rewrite(&db.url), dir.path(), &env).await;
    let http = http_client();
    let key = make_licenses_with_ttl(&http, &server.base, &[3], TTL_SECONDS).await[0].clone();
    let acquire = |hwid: &str| json!({"license_key": key, "hardware_id": hwid});
    let (status, _, v) = client_call(&http, &server.base, "acquire", acquire("hw-0")).await;
    assert_eq!(status, 201, "{v}");
    let session = v["session_id"].as_str().unwrap().to_owned();
    let heartbeat = json!({"license_key": key, "session_id": session});
    let is_unavailable = |status: u16, retry: &Option<String>, v: &Value| {
        status == 503
            && code(v) == "service_unavailable"
            && retry.as_deref().is_some_and(|s| s.parse::<u64>().is_ok())
    };
    // Until the session heartbeats again (a pooled connection the proxy closed answers
    // one 503 before it is discarded).
    let recovered = || async {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, retry, v) =
                client_call(&http, &server.base, "heartbeat", heartbeat.clone()).await;
            if status == 200 {
                assert_eq!(v["session_id"], json!(session), "{v}");
                return;
            }
            assert!(is_unavailable(status, &retry, &v), "{status} {v}");
            assert!(
                Instant::now() < deadline,
                "the session never heartbeat again"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let mut admin_conn = PgConnection::connect(admin_url).await.unwrap();

    // Read-only, as a hot standby is; new connections (the proxy closed the old ones)
    // take it up.
    sqlx::query(&format!(
        "ALTER DATABASE {name} SET default_transaction_read_only = on"
    ))
    .execute(&mut admin_conn)
    .await
    .unwrap();
    proxy.switch(upstream.clone());
    for i in 0..10 {
        let (op, body) = if i % 2 == 0 {
            ("acquire", acquire(&format!("hw-ro-{i}")))
        } else {
            ("heartbeat", heartbeat.clone())
        };
        let (status, retry, v) = client_call(&http, &server.base, op, body).await;
        assert!(
            is_unavailable(status, &retry, &v),
            "{op} on a read-only database: {status} (Retry-After {retry:?}) {v}"
        );
    }
    sqlx::query(&format!(
        "ALTER DATABASE {name} RESET default_transaction_read_only"
    ))
    .execute(&mut admin_conn)
    .await
    .unwrap();
    proxy.switch(upstream.clone());
    recovered().await;

    // Silent: every connection stays open and nothing comes back.
    proxy.stall();
    for (op, body) in [
        ("heartbeat", heartbeat.clone()),
        ("acquire", acquire("hw-silent")),
        ("heartbeat", heartbeat.clone()),
    ] {
        let started = Instant::now();
        let (status, retry, v) = client_call(&http, &server.base, op, body).await;
        let took = started.elapsed();
        assert!(
            is_unavailable(status, &retry, &v),
            "{op} on a silent database: {status} (Retry-After {retry:?}) {v}"
        );
        assert!(
            took <= TIMEOUT + LATENCY_MARGIN,
            "{op} on a silent database took {took:?}, request timeout {TIMEOUT:?}"
        );
        eprintln!("failover: {op} on a silent database answered 503 in {took:?}");
    }
    proxy.switch(upstream.clone());
    recovered().await;

    let _ = admin_conn.close().await;
    drop(server);
    drop(proxy);
    db.drop_db().await;
}
