//! `kill -9` between a webhook's 200 and its application: the stored event is applied
//! after the restart, once. The window is made reachable by the test hook
//! `CODITECT_TEST_HOLD_STRIPE_EVENTS` (events are stored and answered, never applied),
//! and, without any hook, by a kill in the middle of a burst of deliveries.

use coditect_test_support::stripe::{self, checkout, event, Sub};
use futures::future::join_all;
use serde_json::{json, Value};

use crate::support::harness::{http_client, pg_admin_url, Db, Server, ADMIN_TOKEN};

const SECRET: &str = "whsec_crash_test_0123456789";

async fn post(http: &reqwest::Client, base: &str, e: &Value) -> Option<Value> {
    let body = serde_json::to_vec(e).unwrap();
    let r = http
        .post(format!("{base}/api/v1/billing/stripe/webhook"))
        .header(
            "stripe-signature",
            stripe::signature(SECRET, stripe::now(), &body),
        )
        .body(body)
        .send()
        .await
        .ok()?;
    if r.status() != 200 {
        return None;
    }
    r.json().await.ok()
}

async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn events(http: &reqwest::Client, base: &str) -> Vec<Value> {
    get(http, format!("{base}/api/v1/billing/events?limit=200")).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The customer's tenant id and the subscription's licenses.
async fn licenses(http: &reqwest::Client, base: &str, sub: &Sub) -> (Option<String>, Vec<Value>) {
    let tenants = get(http, format!("{base}/api/v1/tenants?limit=200")).await;
    let Some(t) = tenants["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["stripe_customer_id"] == sub.customer.as_str())
    else {
        return (None, Vec::new());
    };
    let tid = t["id"].as_str().unwrap().to_owned();
    let ls = get(
        http,
        format!(
            "{base}/api/v1/tenants/{tid}/licenses?subscription_id={}",
            sub.id
        ),
    )
    .await;
    (Some(tid), ls["items"].as_array().unwrap().clone())
}

async fn license_creates(http: &reqwest::Client, base: &str, tid: &str) -> usize {
    let audit = get(http, format!("{base}/api/v1/tenants/{tid}/audit?limit=200")).await;
    audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "license.create")
        .count()
}

async fn start(db: &Db, dir: &std::path::Path, hold: bool) -> Server {
    let env = [
        ("CODITECT_STRIPE_WEBHOOK_SECRETS", SECRET.to_owned()),
        ("CODITECT_TEST_HOLD_STRIPE_EVENTS", hold.to_string()),
        ("CODITECT_BILLING_PASS_SECONDS", "1".to_owned()),
    ];
    let server = Server::start(db, dir, &env).await;
    let http = http_client();
    let r = http
        .post(format!("{}/api/v1/products", server.base))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"slug": "crash", "name": "Crash", "seats_per_unit": 2, "stripe_price_ids": ["price_crash"]}))
        .send()
        .await
        .unwrap();
    assert!(r.status() == 201 || r.status() == 409, "{}", r.status());
    server
}

async fn until_applied(http: &reqwest::Client, base: &str, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let es = events(http, base).await;
        if es.len() >= n && es.iter().all(|e| e["status"] != "pending") {
            return es;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "events left pending: {es:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn answered_then_killed_then_applied_once(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(&db, dir.path(), true).await;
    let http = http_client();
    let sub = Sub::active("sub_crash", "cus_crash", "price_crash", 3);
    let t = stripe::now();
    let batch = [
        event(
            "evt_crash_checkout",
            "checkout.session.completed",
            t,
            checkout(&sub.customer, &sub.id, "crash@example.com", "Crash Co"),
        ),
        event(
            "evt_crash_sub",
            "customer.subscription.created",
            t,
            sub.object(),
        ),
    ];
    for e in &batch {
        let r = post(&http, &server.base, e).await.expect("answered 200");
        assert_eq!(r["duplicate"], false);
    }
    // Answered, stored, not applied: the window a crash can fall into.
    let es = events(&http, &server.base).await;
    assert_eq!(es.len(), 2);
    assert!(es.iter().all(|e| e["status"] == "pending"), "{es:?}");
    assert!(licenses(&http, &server.base, &sub).await.1.is_empty());
    server.kill9().await;
    server.set_env("CODITECT_TEST_HOLD_STRIPE_EVENTS", "false");
    server.restart().await;
    // Start-up applies them.
    until_applied(&http, &server.base, 2).await;
    let (tid, ls) = licenses(&http, &server.base, &sub).await;
    assert_eq!(ls.len(), 1, "{ls:?}");
    assert_eq!(ls[0]["seats_total"], 6);
    // Stripe retries deliveries it saw fail; duplicates change nothing.
    for e in &batch {
        assert_eq!(
            post(&http, &server.base, e).await.unwrap()["duplicate"],
            true
        );
    }
    let tid = tid.unwrap();
    assert_eq!(license_creates(&http, &server.base, &tid).await, 1);
    drop(server);
    db.drop_db().await;
}

async fn killed_during_a_burst_loses_nothing(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(&db, dir.path(), false).await;
    let http = http_client();
    let base_sub = Sub::active("sub_burst", "cus_burst", "price_crash", 1);
    let t0 = stripe::now() - 200;
    let batch: Vec<Value> = (0..60)
        .map(|i| {
            let mut s = base_sub.clone();
            s.quantity = i + 1;
            event(
                &format!("evt_burst_{i}"),
                "customer.subscription.updated",
                t0 + i,
                s.object(),
            )
        })
        .collect();
    let base = server.base.clone();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let burst = {
        let (http, batch, done) = (http.clone(), batch.clone(), done.clone());
        tokio::spawn(async move {
            join_all(batch.iter().map(|e| {
                let (http, base, done) = (http.clone(), base.clone(), done.clone());
                async move {
                    let r = post(&http, &base, e).await;
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    r
                }
            }))
            .await
        })
    };
    // Kill once a part of the burst was answered: some events are applied, some stored
    // and answered but maybe not applied, some never got an answer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while done.load(std::sync::atomic::Ordering::SeqCst) < 15
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    server.kill9().await;
    let answered = burst.await.unwrap().iter().filter(|r| r.is_some()).count();
    assert!(
        (1..60).contains(&answered),
        "the kill fell outside the burst: {answered} answered"
    );
    server.restart().await;
    // Stripe redelivers every event it did not get a 200 for (here: all of them again).
    let replies = join_all(batch.iter().map(|e| post(&http, &server.base, e))).await;
    assert!(replies.iter().all(Option::is_some), "a redelivery failed");
    until_applied(&http, &server.base, 60).await;
    let (tid, ls) = licenses(&http, &server.base, &base_sub).await;
    assert_eq!(ls.len(), 1);
    assert_eq!(
        ls[0]["seats_total"], 120,
        "the newest event's quantity (60 × 2)"
    );
    assert_eq!(license_creates(&http, &server.base, &tid.unwrap()).await, 1);
    eprintln!(
        "billing burst on {}: {answered} of 60 deliveries answered before the kill; all 60 applied or ignored once after it",
        if db.is_postgres() { "postgres" } else { "sqlite" }
    );
    drop(server);
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_answered_then_killed_is_applied_once_after_restart_on_sqlite() {
    answered_then_killed_then_applied_once(Db::sqlite()).await;
    killed_during_a_burst_loses_nothing(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_answered_then_killed_is_applied_once_after_restart_on_postgres() {
    let Some(admin) = pg_admin_url() else {
        eprintln!("skipping PostgreSQL billing crash test: CODITECT_TEST_DATABASE_URL is not set");
        return;
    };
    answered_then_killed_then_applied_once(Db::postgres(&admin).await).await;
    killed_during_a_burst_loses_nothing(Db::postgres(&admin).await).await;
}
