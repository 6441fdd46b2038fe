//! Default rate limits fit real fleets: a license key's limit follows its license, so a
//! 2,000-seat license with a 6 s TTL, every seat heartbeating at the contract's interval
//! (a third of the TTL: 60,000 heartbeats a minute, ten times the flat floor of 6,000), is
//! never throttled with the default settings.

use futures::stream::{self, StreamExt};
use serde_json::json;

use crate::support::helpers::*;

const SEATS: usize = 2_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_big_license_heartbeating_at_its_interval_is_never_rate_limited() {
    let app = spawn_app().await;
    assert_eq!(app.config.rate_limits.per_key, 6_000, "the default floor");
    let (_, l) = app
        .license_with(json!({"seats_total": SEATS, "heartbeat_ttl_seconds": 6}))
        .await;
    let key = l["license_key"].as_str().unwrap().to_owned();
    let app = &app;
    // The key's window opens with its first request; all of the test's requests must fall
    // inside it for the count to mean anything.
    let started = std::time::Instant::now();
    let sessions: Vec<String> = stream::iter(0..SEATS)
        .map(|i| {
            let key = key.clone();
            async move {
                let r = app.acquire(&key, &format!("host-{i}")).await;
                assert_eq!(r.status.as_u16(), 201, "acquire {i}: {}", r.body);
                r.body["session_id"].as_str().unwrap().to_owned()
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert_eq!(sessions[0].len(), 36);
    // Three heartbeat rounds (6 s of the fleet's traffic, sent as fast as we can): with
    // the acquires, 8,000 requests on one key inside one window. A session this test was
    // too slow to reach in time (a loaded machine, 6 s TTL) answers 410: counted like any
    // other request, and not what is tested here.
    let mut limited = 0;
    for round in 0..3 {
        let statuses: Vec<u16> = stream::iter(sessions.iter())
            .map(|s| {
                let key = key.clone();
                async move { app.heartbeat(&key, s).await.status.as_u16() }
            })
            .buffer_unordered(32)
            .collect()
            .await;
        limited += statuses.iter().filter(|s| **s == 429).count();
        assert!(
            statuses.iter().all(|s| [200, 410, 429].contains(s)),
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses.iter().filter(|s| **s == 200).count() > 0,
            "round {round}: no session was live"
        );
    }
    assert!(
        started.elapsed() < app.config.rate_limits.window,
        "the requests spread over more than one window ({:?})",
        started.elapsed()
    );
    assert_eq!(
        limited, 0,
        "heartbeats at the contract's interval were throttled"
    );
}
