//! The load: one worker per connection, each sending its next request as soon as the
//! previous answer arrived (closed loop), for a bounded time. Latency goes into a
//! per-worker HdrHistogram (microseconds), merged at the end.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use hyper::StatusCode;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::client::Conn;
use crate::setup::{acquire_body, session_body, session_id, BenchLicense, BenchSession};

/// What each request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// New seats (`201`), a fresh hardware id each time.
    Acquire,
    /// Heartbeats of live sessions made during set-up.
    Heartbeat,
    /// Releases of sessions made during set-up, each once.
    Release,
    /// Validates of license keys (the read path).
    Validate,
    /// 80 % heartbeat, 10 % acquire, 10 % release, on sessions each worker holds.
    Mixed,
    /// `GET /health/`: the same server, HTTP stack and middleware with no database work
    /// and no signing; the ceiling the other scenarios are compared with.
    Health,
}

impl Scenario {
    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Acquire => "acquire",
            Self::Heartbeat => "heartbeat",
            Self::Release => "release",
            Self::Validate => "validate",
            Self::Mixed => "mixed",
            Self::Health => "health",
        }
    }

    /// Whether set-up must take seats for the load to work on.
    pub fn needs_sessions(self) -> bool {
        matches!(self, Self::Heartbeat | Self::Release | Self::Mixed)
    }
}

/// What one worker saw.
pub struct WorkerResult {
    /// Latency of every recorded request, in microseconds.
    pub hist: Histogram<u64>,
    /// Answers by status; anything but the expected one is an error.
    pub statuses: BTreeMap<u16, u64>,
    /// Answers that were not what the scenario expects.
    pub unexpected: u64,
    /// Transport failures.
    pub io_errors: u64,
}

/// Shared inputs of the workers.
pub struct LoadPlan {
    /// The scenario.
    pub scenario: Scenario,
    /// The licenses.
    pub licenses: Arc<Vec<BenchLicense>>,
    /// Unique prefix of hardware ids made during the load.
    pub hw_prefix: String,
    /// Requests before this instant are not recorded (warm-up).
    pub record_from: Instant,
    /// No request starts after this instant.
    pub until: Instant,
    /// Or once this is set (the size benchmark stops when the reaper is done).
    pub stop: Arc<AtomicBool>,
    /// With `Some(gap)`, each connection sends on a fixed schedule, one request per `gap`
    /// (an open-loop load of `connections / gap` requests per second), and a request's
    /// latency counts from its scheduled time, so time the server made it wait before it
    /// could even be sent is not hidden (no coordinated omission). `None`: closed loop,
    /// each connection sends as soon as its previous answer arrived (the maximum rate).
    pub pace: Option<Duration>,
}

impl LoadPlan {
    /// The per-connection gap for a total `rate` over `connections`.
    pub fn gap(rate: Option<f64>, connections: usize) -> Option<Duration> {
        rate.filter(|r| *r > 0.0)
            .map(|r| Duration::from_secs_f64(connections.max(1) as f64 / r))
    }
}

fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds")
}

/// Runs one worker on its own connection with its own share of the sessions.
pub async fn worker(
    addr: SocketAddr,
    index: usize,
    plan: Arc<LoadPlan>,
    mut sessions: Vec<BenchSession>,
) -> anyhow::Result<WorkerResult> {
    let mut conn = Conn::open(addr).await?;
    let mut out = WorkerResult {
        hist: new_hist(),
        statuses: BTreeMap::new(),
        unexpected: 0,
        io_errors: 0,
    };
    let mut rng = SmallRng::seed_from_u64(index as u64);
    let keys = &plan.licenses;
    let mut n: u64 = 0;
    // Paced connections start spread over one gap, not all at once.
    let mut scheduled = plan
        .pace
        .map(|gap| Instant::now() + gap.mul_f64(rng.gen_range(0.0..1.0)));
    loop {
        let started = match (&mut scheduled, plan.pace) {
            (Some(at), Some(gap)) => {
                tokio::time::sleep_until((*at).into()).await;
                let this = *at;
                *at += gap;
                this
            }
            _ => Instant::now(),
        };
        if started >= plan.until || plan.stop.load(Ordering::Relaxed) {
            break;
        }
        n += 1;
        let op = match plan.scenario {
            Scenario::Mixed if sessions.is_empty() => Scenario::Acquire,
            Scenario::Mixed => match rng.gen_range(0..10) {
                0 => Scenario::Acquire,
                1 => Scenario::Release,
                _ => Scenario::Heartbeat,
            },
            s => s,
        };
        let (path, body, expect, pick) = match op {
            Scenario::Acquire => {
                let license = rng.gen_range(0..keys.len());
                let hw = format!("{}-{index}-{n}", plan.hw_prefix);
                let body = acquire_body(&keys[license].key, &hw);
                (
                    "/api/v1/licenses/acquire",
                    body,
                    StatusCode::CREATED,
                    license,
                )
            }
            Scenario::Validate => {
                let license = rng.gen_range(0..keys.len());
                let body = Bytes::from(format!(r#"{{"license_key":"{}"}}"#, keys[license].key));
                ("/api/v1/licenses/validate", body, StatusCode::OK, license)
            }
            Scenario::Heartbeat | Scenario::Release => {
                let Some(i) = pick_session(&sessions, op, &mut rng) else {
                    break; // release: every session of this worker is released
                };
                let s = &sessions[i];
                let body = session_body(&keys[s.license].key, &s.id);
                let path = if op == Scenario::Heartbeat {
                    "/api/v1/licenses/heartbeat"
                } else {
                    "/api/v1/licenses/release"
                };
                (path, body, StatusCode::OK, i)
            }
            Scenario::Health => ("/health/", Bytes::new(), StatusCode::OK, 0),
            Scenario::Mixed => unreachable!("mixed picks a concrete operation"),
        };
        let reply = if op == Scenario::Health {
            conn.get(path).await
        } else {
            conn.post(path, body).await
        };
        let elapsed = started.elapsed();
        let recorded = started >= plan.record_from;
        match reply {
            Ok(r) => {
                if recorded {
                    *out.statuses.entry(r.status.as_u16()).or_default() += 1;
                    if r.status != expect {
                        out.unexpected += 1;
                    }
                    out.hist
                        .saturating_record(elapsed.as_micros().max(1) as u64);
                }
                // Keep the worker's view of its sessions in step with the server's.
                match op {
                    Scenario::Acquire
                        if plan.scenario == Scenario::Mixed && r.status == StatusCode::CREATED =>
                    {
                        if let Ok(id) = r.json().and_then(|v| session_id(&v)) {
                            sessions.push(BenchSession { license: pick, id });
                        }
                    }
                    Scenario::Release => {
                        sessions.swap_remove(pick);
                    }
                    _ => {}
                }
            }
            Err(_) => {
                out.io_errors += 1;
                conn = reconnect(addr).await?;
            }
        }
    }
    Ok(out)
}

fn pick_session(sessions: &[BenchSession], op: Scenario, rng: &mut SmallRng) -> Option<usize> {
    if sessions.is_empty() {
        return None;
    }
    Some(match op {
        // Releases take the last one so the worker's list shrinks without reordering.
        Scenario::Release => sessions.len() - 1,
        _ => rng.gen_range(0..sessions.len()),
    })
}

async fn reconnect(addr: SocketAddr) -> anyhow::Result<Conn> {
    tokio::time::sleep(Duration::from_millis(10)).await;
    Conn::open(addr).await
}

/// Merges the workers' results.
pub fn merge(results: Vec<WorkerResult>) -> WorkerResult {
    let mut all = WorkerResult {
        hist: new_hist(),
        statuses: BTreeMap::new(),
        unexpected: 0,
        io_errors: 0,
    };
    for r in results {
        all.hist.add(&r.hist).expect("same histogram bounds");
        for (k, v) in r.statuses {
            *all.statuses.entry(k).or_default() += v;
        }
        all.unexpected += r.unexpected;
        all.io_errors += r.io_errors;
    }
    all
}
