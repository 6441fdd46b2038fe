//! What a run measured, printed for people and as JSON lines for scripts.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::load::WorkerResult;

/// One run's figures.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Server processes.
    pub processes: usize,
    /// Connections (workers).
    pub connections: usize,
    /// Measured seconds (after warm-up).
    pub seconds: f64,
    /// Recorded requests.
    pub requests: u64,
    /// Requests per second.
    pub rps: f64,
    /// Latency percentiles, milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Slowest request.
    pub max_ms: f64,
    /// Answers other than the scenario's expected status, plus transport errors.
    pub errors: u64,
    /// Answers by status.
    pub statuses: String,
    /// Server CPU (all processes, user + system) per request, microseconds.
    pub server_cpu_us_per_req: f64,
    /// Cores the servers used on average.
    pub server_cores: f64,
    /// Server context switches (all threads) per request.
    pub server_switches_per_req: f64,
    /// PostgreSQL backends' CPU per request, microseconds (0 on SQLite).
    pub db_cpu_us_per_req: f64,
    /// The load generator's own CPU per request, microseconds.
    pub client_cpu_us_per_req: f64,
    /// 1-minute load average when the run started.
    pub load_avg: String,
}

impl RunReport {
    /// Fills the latency and count fields from the merged worker results.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        scenario: &str,
        backend: &str,
        processes: usize,
        connections: usize,
        seconds: f64,
        r: &WorkerResult,
        server_cpu: f64,
        client_cpu: f64,
        load_avg: String,
    ) -> Self {
        let requests = r.hist.len();
        let ms = |q: f64| r.hist.value_at_quantile(q) as f64 / 1000.0;
        let per_req = |cpu: f64| {
            if requests == 0 {
                0.0
            } else {
                cpu * 1e6 / requests as f64
            }
        };
        Self {
            scenario: scenario.into(),
            backend: backend.into(),
            processes,
            connections,
            seconds,
            requests,
            rps: requests as f64 / seconds.max(1e-9),
            p50_ms: ms(0.5),
            p90_ms: ms(0.9),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            max_ms: r.hist.max() as f64 / 1000.0,
            errors: r.unexpected + r.io_errors,
            statuses: r
                .statuses
                .iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect::<Vec<_>>()
                .join(" "),
            server_cpu_us_per_req: per_req(server_cpu),
            server_cores: server_cpu / seconds.max(1e-9),
            server_switches_per_req: 0.0,
            db_cpu_us_per_req: 0.0,
            client_cpu_us_per_req: per_req(client_cpu),
            load_avg,
        }
    }

    /// One line for people.
    pub fn line(&self) -> String {
        format!(
            "{:<9} {:<8} procs={} conns={} {:>9.0} req/s  p50={:.2} p90={:.2} p99={:.2} \
             p99.9={:.2} max={:.2} ms  server {:.1} µs/req ({:.2} cores, {:.1} cs/req)  \
             db {:.1} µs/req  client {:.1} µs/req  \
             errors={} [{}] load={}",
            self.scenario,
            self.backend,
            self.processes,
            self.connections,
            self.rps,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.p999_ms,
            self.max_ms,
            self.server_cpu_us_per_req,
            self.server_cores,
            self.server_switches_per_req,
            self.db_cpu_us_per_req,
            self.client_cpu_us_per_req,
            self.errors,
            self.statuses,
            self.load_avg,
        )
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The summary of repeated runs: median and range of throughput, medians of the rest.
pub fn summary(runs: &[RunReport]) -> String {
    let f = |g: fn(&RunReport) -> f64| runs.iter().map(g).collect::<Vec<_>>();
    let rps = f(|r| r.rps);
    let lo = rps.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = rps.iter().copied().fold(0.0, f64::max);
    let first = &runs[0];
    format!(
        "SUMMARY {} {} procs={} conns={} runs={}: {:.0} req/s (min {:.0}, max {:.0}); \
         median p50={:.2} p90={:.2} p99={:.2} p99.9={:.2} max={:.2} ms; server {:.1} µs/req, \
         {:.1} cs/req; db {:.1} µs/req; client {:.1} µs/req; errors={}; load {}",
        first.scenario,
        first.backend,
        first.processes,
        first.connections,
        runs.len(),
        median(rps),
        lo,
        hi,
        median(f(|r| r.p50_ms)),
        median(f(|r| r.p90_ms)),
        median(f(|r| r.p99_ms)),
        median(f(|r| r.p999_ms)),
        median(f(|r| r.max_ms)),
        median(f(|r| r.server_cpu_us_per_req)),
        median(f(|r| r.server_switches_per_req)),
        median(f(|r| r.db_cpu_us_per_req)),
        median(f(|r| r.client_cpu_us_per_req)),
        runs.iter().map(|r| r.errors).sum::<u64>(),
        runs.iter()
            .map(|r| r.load_avg.as_str())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// Appends one JSON line per run to `path`.
pub fn append_json(path: &Path, r: &RunReport) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(f, "{}", serde_json::to_string(r)?)?;
    Ok(())
}

/// One run beside pgbench's one-UPDATE rate measured just before it.
pub fn against_pgbench(r: &RunReport, pgbench_tps: f64) -> String {
    format!(
        "pgbench   one-UPDATE {pgbench_tps:.0} tps ({} connections): {} at {:.2} of it",
        r.connections,
        r.scenario,
        r.rps / pgbench_tps
    )
}

/// The median of the runs' ratios to pgbench, with their range.
pub fn ratio_summary(scenario: &str, ratios: Vec<f64>) -> String {
    let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ratios.iter().copied().fold(0.0, f64::max);
    let n = ratios.len();
    format!(
        "RATIO {scenario}/pgbench runs={n}: median {:.2} (min {lo:.2}, max {hi:.2})",
        median(ratios)
    )
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(vec![]), 0.0);
    }
}
