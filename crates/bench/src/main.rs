//! `coditect-bench`: the load generator and size benchmark of BENCHMARKS.md. It starts
//! real release-build server processes (or attaches to running ones), sets up its own
//! tenant, licenses and sessions through the API, runs a bounded closed-loop load over
//! keep-alive HTTP/1.1 connections and reports throughput, latency percentiles
//! (HdrHistogram) and the servers' CPU time per request (from `/proc/<pid>/stat`).

mod client;
mod load;
mod pgbench;
mod procstat;
mod report;
mod run;
mod server;
mod setup;
mod size;
mod usage;
mod webhooks;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "coditect-bench",
    version,
    about = "Benchmarks the CODITECT License Server"
)]
struct Cli {
    /// Worker threads of the load generator. One leaves the most CPU to the server on a
    /// small machine; raise it when the generator is the bottleneck.
    #[arg(long, global = true, default_value_t = 1)]
    client_threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs one scenario, `--repeat` times, each on fresh servers and a fresh database.
    Run {
        #[command(flatten)]
        args: run::RunArgs,
        /// How many times to run it; the summary gives the median and range.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// Appends one JSON line per run to this file.
        #[arg(long)]
        json_out: Option<PathBuf>,
        /// Exit 0 even when some answers were not the scenario's expected status (by
        /// default such a run is not a valid measurement and the command fails).
        #[arg(long)]
        allow_errors: bool,
        /// Before each run, measure pgbench's one-UPDATE transactions per second on the
        /// same PostgreSQL with as many connections (needs `--pg-url` and `pgbench`), and
        /// report the scenario's rate as a ratio of it.
        #[arg(long)]
        pgbench: bool,
    },
    /// Holds many live sessions, reports the server's RSS, then lets them all expire at
    /// once and measures request latency while the reaper works through them.
    Size(size::SizeArgs),
    /// Times `GET /usage` (exact seat-hours) over a million sessions on PostgreSQL,
    /// against a plain fetch of the same sessions.
    Usage(usage::UsageArgs),
    /// Drains a backlog of webhook events through a second server process and times single
    /// events from the API's answer to their arrival, against posting directly.
    Webhooks(webhooks::WebhookArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = if cli.client_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cli.client_threads)
            .enable_all()
            .build()?
    };
    rt.block_on(async move {
        match cli.command {
            Command::Run {
                args,
                repeat,
                json_out,
                allow_errors,
                pgbench,
            } => {
                let mut runs = Vec::new();
                let mut ratios = Vec::new();
                for _ in 0..repeat.max(1) {
                    let reference = match (&args.pg_url, pgbench) {
                        (Some(url), true) => Some(
                            pgbench::one_update_tps(url, args.connections, args.duration).await?,
                        ),
                        (None, true) => anyhow::bail!("--pgbench needs --pg-url"),
                        _ => None,
                    };
                    let r = run::run_once(&args).await?;
                    println!("{}", r.line());
                    if let Some(p) = reference {
                        println!("{}", report::against_pgbench(&r, p.tps));
                        ratios.push(r.rps / p.tps);
                    }
                    if let Some(p) = &json_out {
                        report::append_json(p, &r)?;
                    }
                    runs.push(r);
                }
                println!("{}", report::summary(&runs));
                if !ratios.is_empty() {
                    println!("{}", report::ratio_summary(&runs[0].scenario, ratios));
                }
                let errors: u64 = runs.iter().map(|r| r.errors).sum();
                anyhow::ensure!(
                    allow_errors || errors == 0,
                    "{errors} answers were not the expected status (see the status counts)"
                );
                Ok(())
            }
            Command::Size(args) => size::run(&args).await,
            Command::Usage(args) => usage::run(&args).await,
            Command::Webhooks(args) => webhooks::run(&args).await,
        }
    })
}
