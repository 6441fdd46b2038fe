//! Outgoing webhooks over real HTTP, to a receiver of the test's own: registration and
//! the refused addresses, signed deliveries retried until a 2xx and never after it,
//! redelivery, staff-wide and disabled endpoints, giving up. Across processes:
//! `webhook_processes.rs`.

use std::collections::HashMap;
use std::time::Duration;

use coditect_test_support::receiver::{Received, Receiver};
use coditect_test_support::stripe::signature;
use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;

/// A test server that may call loopback, looks at its outbox often and retries fast.
pub(crate) async fn hook_app() -> TestApp {
    spawn_app_with(|c| {
        c.webhooks.allow_http = true;
        c.webhooks.poll_interval = Duration::from_millis(100);
        c.webhooks.retries.first = chrono::Duration::milliseconds(200);
        c.webhooks.retries.cap = chrono::Duration::milliseconds(400);
    })
    .await
}

pub(crate) fn body(r: &Received) -> Value {
    serde_json::from_slice(&r.body).expect("a JSON delivery")
}

/// Answers 500 to the first `failures` requests of each event, then 200.
pub(crate) async fn flaky_receiver(failures: usize) -> Receiver {
    Receiver::start(move |got, before| {
        let id = got.headers.get("coditect-event-id").cloned();
        let seen = before
            .iter()
            .filter(|r| r.headers.get("coditect-event-id") == id.as_ref())
            .count();
        if seen < failures {
            (500, "{}".into())
        } else {
            (200, "{}".into())
        }
    })
    .await
}

/// Waits until `done` holds of what the receiver got (at most 30 s).
pub(crate) async fn until(receiver: &Receiver, what: &str, done: impl Fn(&[Received]) -> bool) {
    for _ in 0..300 {
        if done(&receiver.received()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{what}: the receiver got {:#?}",
        receiver.received().iter().map(body).collect::<Vec<_>>()
    );
}

/// The requests answered 2xx, per event id.
pub(crate) fn delivered(got: &[Received]) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for r in got.iter().filter(|r| r.status == 200) {
        *out.entry(body(r)["id"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    out
}

pub(crate) async fn register(app: &TestApp, path: &str, url: &str, events: &[&str]) -> Value {
    app.admin(
        "POST",
        path,
        Some(json!({"url": url, "events": events, "description": "crm"})),
    )
    .await
    .expect(201)
}

#[tokio::test]
async fn webhooks_to_private_loopback_or_metadata_addresses_are_refused() {
    let app = spawn_app().await;
    let t = app.create_tenant(&unique_slug()).await;
    let path = format!("/api/v1/tenants/{}/webhooks", t["id"].as_str().unwrap());
    for url in [
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/hook",
        "https://192.168.1.20/hook",
        "https://[fd00:ec2::254]/hook",
        "https://[::ffff:169.254.169.254]/hook",
        "https://127.0.0.1/hook",
        "http://127.0.0.1:9/hook",
        "https://localhost/hook",
        "http://hooks.example.com/hook",
        "https://user:secret@hooks.example.com/hook",
        "ftp://hooks.example.com/",
    ] {
        let r = app
            .admin(
                "POST",
                &path,
                Some(json!({"url": url, "events": ["seat.denied"]})),
            )
            .await;
        r.expect_error(422, "validation_error");
        assert!(
            r.body["error"]["details"]["fields"]["url"].is_string(),
            "{url}: {:?}",
            r.body
        );
    }
    for bad in [
        json!([]),
        json!(["seat.nope"]),
        json!(["seat.denied", "seat.denied"]),
        json!("seat.denied"),
    ] {
        let r = app
            .admin(
                "POST",
                &path,
                Some(json!({"url": "https://hooks.example.com/x", "events": bad})),
            )
            .await;
        r.expect_error(422, "validation_error");
        assert!(
            r.body["error"]["details"]["fields"]["events"].is_string(),
            "{bad}"
        );
    }
    let listed = app.admin("GET", &path, None).await.expect(200);
    assert_eq!(listed["items"], json!([]), "nothing stored");
}

#[tokio::test]
async fn a_receiver_that_fails_then_recovers_gets_every_event_once_signed() {
    let app = hook_app().await;
    let receiver = flaky_receiver(3).await;
    let f = app.tenant_fixture().await;
    let path = format!("/api/v1/tenants/{}/webhooks", f.id);
    let events = ["license.created", "license.updated", "seat.denied"];
    let created = app
        .call(
            "POST",
            &path,
            Some(&f.admin),
            Some(json!({"url": receiver.url("/in"), "events": events})),
        )
        .await
        .expect(201);
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() > 40);
    assert_keys(
        &created,
        &[
            "id",
            "tenant_id",
            "url",
            "description",
            "events",
            "enabled",
            "created_at",
            "updated_at",
            "secret",
        ],
    );
    let hook_id = created["id"].as_str().unwrap().to_owned();
    let shown = app
        .admin("GET", &format!("{path}/{hook_id}"), None)
        .await
        .expect(200);
    assert!(shown.get("secret").is_none(), "the secret is shown once");
    app.call("GET", &path, Some(&f.reader), None)
        .await
        .expect_error(403, "forbidden");

    let l = app.create_license(&f.id, json!({"seats_total": 1})).await;
    let (key, lid) = key_and_id(&l);
    app.patch_license(&f.id, &lid, json!({"name": "renamed"}))
        .await;
    app.take_seat(&key, "hw-1").await;
    for hw in ["hw-2", "hw-3"] {
        app.acquire(&key, hw)
            .await
            .expect_error(409, "no_seats_available");
    }
    until(&receiver, "three events delivered", |got| {
        delivered(got).len() == 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = receiver.received();
    let counts = delivered(&got);
    assert!(
        counts.values().all(|n| *n == 1),
        "once each after a 2xx: {counts:?}"
    );
    assert_eq!(got.len(), 3 * 4, "three 500s then a 200, per event");
    let mut types = Vec::new();
    for r in &got {
        let sig = &r.headers["coditect-signature"];
        let t: i64 = sig
            .split(',')
            .next()
            .unwrap()
            .trim_start_matches("t=")
            .parse()
            .unwrap();
        assert_eq!(sig, &signature(&secret, t, &r.body), "a valid signature");
        assert!((coditect_test_support::stripe::now() - t).abs() < 60);
        assert_eq!(r.headers["content-type"], "application/json");
        let b = body(r);
        assert_keys(&b, &["id", "type", "created_at", "tenant_id", "data"]);
        assert_eq!(b["tenant_id"], f.id.as_str());
        if r.status == 200 {
            types.push(b["type"].as_str().unwrap().to_owned());
        }
        if b["type"] == "seat.denied" {
            assert_eq!(
                (
                    b["data"]["seats_total"].as_i64(),
                    b["data"]["seats_used"].as_i64()
                ),
                (Some(1), Some(1))
            );
            assert_eq!(b["data"]["license_id"], lid.as_str());
        }
        if b["type"] == "license.updated" {
            assert_eq!(b["data"]["name"], "renamed");
        }
    }
    types.sort();
    assert_eq!(
        types,
        ["license.created", "license.updated", "seat.denied"],
        "one denial event a minute"
    );

    let log = app
        .admin("GET", &format!("{path}/{hook_id}/deliveries"), None)
        .await
        .expect(200);
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for d in items {
        assert_keys(
            d,
            &[
                "id",
                "event_id",
                "event",
                "status",
                "attempts",
                "last_status_code",
                "last_error",
                "next_attempt_at",
                "created_at",
                "delivered_at",
            ],
        );
        assert_eq!(
            (
                d["status"].as_str(),
                d["attempts"].as_i64(),
                d["last_status_code"].as_i64()
            ),
            (Some("delivered"), Some(4), Some(200))
        );
        assert!(d["next_attempt_at"].is_null());
    }
    let first = items[0]["id"].as_str().unwrap();
    let again = app
        .admin(
            "POST",
            &format!("{path}/{hook_id}/deliveries/{first}/redeliver"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(again["status"], "pending");
    let event_id = items[0]["event_id"].as_str().unwrap().to_owned();
    until(&receiver, "the redelivery", |got| {
        delivered(got).get(&event_id) == Some(&2)
    })
    .await;
    let other = app.create_tenant(&unique_slug()).await;
    let elsewhere = format!(
        "/api/v1/tenants/{}/webhooks/{hook_id}",
        other["id"].as_str().unwrap()
    );
    app.admin("GET", &elsewhere, None)
        .await
        .expect_error(404, "not_found");
    app.admin("DELETE", &format!("{path}/{hook_id}"), None)
        .await
        .expect(204);
    app.admin("GET", &format!("{path}/{hook_id}/deliveries"), None)
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn staff_webhooks_get_every_tenants_events_and_disabled_ones_none() {
    let app = hook_app().await;
    let receiver = flaky_receiver(0).await;
    // By name: the sender's resolver, not an address literal, finds the receiver.
    let by_name = format!("http://localhost:{}/staff", receiver.addr.port());
    let staff = register(&app, "/api/v1/webhooks", &by_name, &["license.created"]).await;
    assert!(staff["tenant_id"].is_null());
    let f = app.tenant_fixture().await;
    app.call("GET", "/api/v1/webhooks", Some(&f.admin), None)
        .await
        .expect_error(403, "forbidden");
    let (a, _) = app.license_with(json!({"seats_total": 1})).await;
    let (b, _) = app.license_with(json!({"seats_total": 1})).await;
    until(&receiver, "both tenants' events", |got| {
        delivered(got).len() == 2
    })
    .await;
    let tenants: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| body(r)["tenant_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(tenants.contains(&a) && tenants.contains(&b), "{tenants:?}");
    let id = staff["id"].as_str().unwrap();
    let off = app
        .admin(
            "PATCH",
            &format!("/api/v1/webhooks/{id}"),
            Some(json!({"enabled": false})),
        )
        .await
        .expect(200);
    assert_eq!(off["enabled"], false);
    app.license_with(json!({"seats_total": 1})).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        receiver.received().len(),
        2,
        "a disabled endpoint gets nothing"
    );
    let bad = app
        .admin(
            "PATCH",
            &format!("/api/v1/webhooks/{id}"),
            Some(json!({"url": "https://10.1.2.3/x"})),
        )
        .await;
    bad.expect_error(422, "validation_error");
}

#[tokio::test]
async fn a_delivery_that_never_succeeds_fails_once_its_retries_run_out() {
    let app = spawn_app_with(|c| {
        c.webhooks.allow_http = true;
        c.webhooks.poll_interval = Duration::from_millis(100);
        c.webhooks.retries.first = chrono::Duration::milliseconds(100);
        c.webhooks.retries.give_up_after = chrono::Duration::seconds(1);
    })
    .await;
    let receiver = Receiver::start(|_, _| (503, "{}".into())).await;
    let t = app.create_tenant(&unique_slug()).await;
    let tid = t["id"].as_str().unwrap();
    let path = format!("/api/v1/tenants/{tid}/webhooks");
    let hook = register(&app, &path, &receiver.url("/down"), &["license.created"]).await;
    app.create_license(tid, json!({"seats_total": 1})).await;
    let log = format!("{path}/{}/deliveries", hook["id"].as_str().unwrap());
    for _ in 0..100 {
        let items = app.admin("GET", &log, None).await.expect(200)["items"].clone();
        if items[0]["status"] == "failed" {
            assert!(items[0]["attempts"].as_i64().unwrap() >= 2);
            assert_eq!(items[0]["last_status_code"], 503);
            assert!(items[0]["last_error"].as_str().unwrap().contains("503"));
            let n = receiver.received().len();
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert_eq!(receiver.received().len(), n, "no attempt after failed");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let items = app.admin("GET", &log, None).await.expect(200);
    panic!(
        "the delivery never failed: {items} after {} requests",
        receiver.received().len()
    );
}
