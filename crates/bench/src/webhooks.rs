//! The webhook benchmark: how fast the outbox drains and how soon an event arrives. A
//! first server process stores `--events` events (license creations) while its sender
//! sleeps; a second process on the same database then delivers the backlog to a receiver
//! of the benchmark's own (throughput), and then `--latency-events` more, one at a time
//! (latency from the API's answer to the event's arrival). The reference, measured in the
//! same run against the same receiver, is the benchmark posting the same number of signed
//! bodies itself, 8 at a time like the sender: what delivering costs with no outbox.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use coditect_test_support::receiver::Receiver;
use hdrhistogram::Histogram;
use serde_json::json;

use crate::client::Conn;
use crate::server::{Database, Launch, Server};
use crate::setup;

/// Settings of the webhook benchmark.
#[derive(Clone, Debug, clap::Args)]
pub struct WebhookArgs {
    /// Events in the backlog the second process drains.
    #[arg(long, default_value_t = 2000)]
    pub events: usize,
    /// Events sent one at a time afterwards, for the latency.
    #[arg(long, default_value_t = 200)]
    pub latency_events: usize,
    /// Admin URL of a PostgreSQL server (default: embedded SQLite).
    #[arg(long, env = "CODITECT_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    /// The server binary (default: `coditect-license` next to this one).
    #[arg(long)]
    pub server_bin: Option<std::path::PathBuf>,
}

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// Runs the webhook benchmark.
pub async fn run(args: &WebhookArgs) -> anyhow::Result<()> {
    let arrivals: Arrivals = Arc::default();
    let seen = arrivals.clone();
    let receiver = Receiver::start(move |got, _| {
        if let Some(id) = got.headers.get("coditect-event-id") {
            seen.lock()
                .expect("arrivals")
                .entry(id.clone())
                .or_insert_with(Instant::now);
        }
        (200, "{}".into())
    })
    .await;
    let db = Database::fresh(args.pg_url.as_deref(), false).await?;
    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let bin = args
        .server_bin
        .clone()
        .unwrap_or_else(crate::server::default_server_bin);
    let env = |poll: &str| {
        vec![
            ("CODITECT_WEBHOOKS_ALLOW_HTTP".to_owned(), "true".to_owned()),
            ("CODITECT_WEBHOOK_POLL_MS".to_owned(), poll.to_owned()),
        ]
    };
    let launch = |poll| Launch {
        bin: &bin,
        db: &db,
        token: &token,
        log_filter: None,
        env: env(poll),
    };
    let result = async {
        // 1. The backlog, stored by a process whose sender looks once, at start.
        let first = Server::start(&launch("60000"), 0).await?;
        let run_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let tenant = setup::create_tenant(first.addr, &token, &run_id).await?;
        let mut admin = Conn::open(first.addr).await?.with_bearer(&token)?;
        let hook = json!({"url": receiver.url("/bench"), "events": ["license.created"]});
        let r = admin.post(&format!("/api/v1/tenants/{tenant}/webhooks"), Bytes::from(hook.to_string())).await?;
        anyhow::ensure!(r.status.as_u16() == 201, "register the endpoint: {}", r.status);
        let spec = setup::LicenseSpec { count: args.events, seats: 1, ttl_seconds: 60, expires_at: None };
        setup::create_licenses(first.addr, &token, &tenant, &spec).await?;
        first.stop().await?;
        anyhow::ensure!(arrivals.lock().expect("arrivals").is_empty(), "the first process sent");

        // 2. Drain it.
        let start = Instant::now();
        let second = Server::start(&launch("50"), 1).await?;
        let ready = start.elapsed();
        wait_for(&arrivals, args.events, Duration::from_secs(600)).await?;
        let drained = start.elapsed() - ready;
        let rate = args.events as f64 / drained.as_secs_f64();

        // 3. Latency, one event at a time.
        let mut admin = Conn::open(second.addr).await?.with_bearer(&token)?;
        let mut h = Histogram::<u64>::new(3)?;
        for i in 0..args.latency_events {
            let body = json!({"name": format!("latency {i}"), "seats_total": 1});
            let r = admin.post(&format!("/api/v1/tenants/{tenant}/licenses"), Bytes::from(body.to_string())).await?;
            let answered = Instant::now();
            anyhow::ensure!(r.status.as_u16() == 201, "create license: {}", r.status);
            let before = arrivals.lock().expect("arrivals").len();
            wait_for(&arrivals, before + 1, Duration::from_secs(30)).await?;
            h.record(answered.elapsed().as_micros() as u64)?;
        }
        second.stop().await?;

        // 4. The reference: the same deliveries posted straight to the receiver.
        let reference = reference_rate(&receiver, args.events).await?;
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "webhooks backend={} backlog={} drained in {:.2} s: {rate:.0} deliveries/s; reference (direct posts, 8 at a time) {reference:.0}/s; ratio {:.2}",
            if args.pg_url.is_some() { "postgres" } else { "sqlite" },
            args.events,
            drained.as_secs_f64(),
            reference / rate
        );
        println!(
            "webhooks latency (API answer to arrival, poll 50 ms) n={}: p50 {:.1} ms p90 {:.1} ms p99 {:.1} ms max {:.1} ms",
            args.latency_events, ms(0.5), ms(0.9), ms(0.99), h.max() as f64 / 1000.0
        );
        anyhow::Ok(())
    }
    .await;
    db.cleanup().await?;
    result
}

async fn wait_for(arrivals: &Arrivals, n: usize, limit: Duration) -> anyhow::Result<()> {
    let t = Instant::now();
    while arrivals.lock().expect("arrivals").len() < n {
        anyhow::ensure!(
            t.elapsed() < limit,
            "only {} of {n} events arrived",
            arrivals.lock().expect("arrivals").len()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// Posts `n` signed delivery-sized bodies to the receiver, 8 connections at a time.
async fn reference_rate(receiver: &Receiver, n: usize) -> anyhow::Result<f64> {
    let start = Instant::now();
    let mut lanes = Vec::new();
    for lane in 0..8 {
        let addr = receiver.addr;
        lanes.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await?;
            for i in (lane..n).step_by(8) {
                let body = json!({"id": uuid::Uuid::now_v7(), "type": "license.created", "n": i,
                    "data": {"name": format!("reference {i}"), "seats_total": 1}});
                let body = body.to_string();
                // The sender signs every body; so does the reference.
                let _signature =
                    coditect_test_support::stripe::signature("whsec_reference", 0, body.as_bytes());
                c.post("/reference", Bytes::from(body)).await?;
            }
            anyhow::Ok(())
        }));
    }
    for l in lanes {
        l.await??;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}
