//! Exactly once, whatever the order: a replayed event and a late older one change
//! nothing; 200 concurrent deliveries of one event make one license; 50 events of one
//! subscription delivered at once in random order end in the newest one's state.

use coditect_test_support::stripe::{self, event, Sub};
use futures::future::join_all;
use serde_json::json;

use crate::support::billing::{billing_app, id, SECRET};

#[tokio::test]
async fn a_replayed_event_and_a_late_older_one_change_nothing() {
    let (app, _smtp) = billing_app().await;
    app.product("order", "price_order", 1).await;
    let mut sub = Sub::active(&id("sub"), &id("cus"), "price_order", 3);
    let t0 = stripe::now();
    let created = event(
        &id("evt"),
        "customer.subscription.created",
        t0,
        sub.object(),
    );
    app.stripe(&created).await;
    sub.quantity = 4;
    let newer = event(
        &id("evt"),
        "customer.subscription.updated",
        t0 + 10,
        sub.object(),
    );
    app.stripe(&newer).await;
    let before = app.license_of(&sub.customer, &sub.id).await;
    assert_eq!(before["seats_total"], 4);
    let tid = before["tenant_id"].as_str().unwrap().to_owned();
    let audit_before = app.audit_entries(&tid).await.len();
    // The same event again: a duplicate, nothing changes.
    let r = app.stripe(&newer).await;
    assert_eq!(r, json!({"received": true, "duplicate": true}));
    // An older event arriving late (Stripe does not deliver in order): stored, ignored.
    sub.quantity = 9;
    let late = event(
        &id("evt"),
        "customer.subscription.updated",
        t0 + 5,
        sub.object(),
    );
    let r = app.stripe(&late).await;
    assert_eq!(r["duplicate"], false);
    let e = app.billing_event(late["id"].as_str().unwrap()).await;
    assert_eq!(e["status"], "ignored");
    assert!(e["reason"].as_str().unwrap().contains("older"), "{e}");
    let after = app.license_of(&sub.customer, &sub.id).await;
    assert_eq!(after, before, "the license changed");
    assert_eq!(
        app.audit_entries(&tid).await.len(),
        audit_before,
        "something was audited"
    );
    assert_eq!(app.billing_events().await.len(), 3);
}

#[tokio::test]
async fn two_hundred_concurrent_deliveries_of_one_event_make_one_license() {
    let (app, _smtp) = billing_app().await;
    app.product("burst", "price_burst", 1).await;
    let sub = Sub::active(&id("sub"), &id("cus"), "price_burst", 2);
    let e = event(
        &id("evt"),
        "customer.subscription.created",
        stripe::now(),
        sub.object(),
    );
    let now = stripe::now();
    let replies = join_all((0..200).map(|_| app.post_event_signed(&e, SECRET, now))).await;
    let mut fresh = 0;
    for r in replies {
        assert_eq!(r.status, 200, "{}", r.body);
        if r.body["duplicate"] == false {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1, "exactly one delivery stored the event");
    let l = app.license_of(&sub.customer, &sub.id).await;
    let tid = l["tenant_id"].as_str().unwrap();
    let creates = app
        .audit_entries(tid)
        .await
        .iter()
        .filter(|a| a["action"] == "license.create")
        .count();
    assert_eq!(creates, 1);
    let events = app.billing_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["status"], "applied");
    let r = app
        .admin("GET", "/api/v1/tenants?limit=200", None)
        .await
        .expect(200);
    let tenants = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["stripe_customer_id"] == sub.customer.as_str())
        .count();
    assert_eq!(tenants, 1, "one tenant for the customer");
}

#[tokio::test]
async fn fifty_events_of_one_subscription_in_random_order_end_in_the_newest_state() {
    let (app, _smtp) = billing_app().await;
    app.product("shuffle", "price_shuffle", 1).await;
    let base = Sub::active(&id("sub"), &id("cus"), "price_shuffle", 1);
    let t0 = stripe::now() - 100;
    // Event i sets quantity i + 1; the newest (i = 49) says 50, past due.
    let mut events: Vec<_> = (0..50)
        .map(|i| {
            let mut s = base.clone();
            s.quantity = i + 1;
            if i == 49 {
                s.status = "past_due".into();
            }
            let kind = if i == 0 {
                "customer.subscription.created"
            } else {
                "customer.subscription.updated"
            };
            event(&id("evt"), kind, t0 + i, s.object())
        })
        .collect();
    // A fixed shuffle (a reproducible permutation: 17 is coprime with 50).
    events = (0..50).map(|i| events[(i * 17 + 3) % 50].clone()).collect();
    assert_ne!(
        events[49]["data"]["object"]["items"]["data"][0]["quantity"],
        50
    );
    let now = stripe::now();
    let replies = join_all(events.iter().map(|e| app.post_event_signed(e, SECRET, now))).await;
    assert!(replies.iter().all(|r| r.status == 200));
    let l = app.license_of(&base.customer, &base.id).await;
    assert_eq!(l["seats_total"], 50, "{l}");
    assert_eq!(l["subscription"]["status"], "past_due");
    let stored = app.billing_events().await;
    assert_eq!(stored.len(), 50);
    assert!(
        stored.iter().all(|e| e["status"] != "pending"),
        "an event was left pending"
    );
}
