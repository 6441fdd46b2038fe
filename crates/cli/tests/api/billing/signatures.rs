//! The webhook's door: only events signed with a configured secret, within 300 s, are
//! stored; everything else is `400 invalid_signature` and leaves no trace.

use coditect_test_support::stripe::{self, event, Sub};
use serde_json::json;

use crate::support::billing::{billing_app, id, OLD_SECRET, RETIRED_SECRET, SECRET};
use crate::support::helpers::spawn_app;

#[tokio::test]
async fn bad_stale_rotated_out_and_missing_signatures_store_nothing() {
    let (app, _smtp) = billing_app().await;
    app.product("sig", "price_sig", 1).await;
    let sub = Sub::active(&id("sub"), &id("cus"), "price_sig", 1);
    let e = event(
        &id("evt"),
        "customer.subscription.created",
        stripe::now(),
        sub.object(),
    );
    let now = stripe::now();
    // Signed with a secret no longer configured.
    app.post_event_signed(&e, RETIRED_SECRET, now)
        .await
        .expect_error(400, "invalid_signature");
    // Timestamps 301 s in the past and the future.
    for t in [now - 301, now + 301] {
        app.post_event_signed(&e, SECRET, t)
            .await
            .expect_error(400, "invalid_signature");
    }
    // A body that is not the one signed.
    let body = serde_json::to_vec(&e).unwrap();
    let sig = stripe::signature(SECRET, now, &body);
    let mut tampered = e.clone();
    tampered["data"]["object"]["items"]["data"][0]["quantity"] = json!(1000);
    let r = app
        .send(
            app.http
                .post(app.url("/api/v1/billing/stripe/webhook"))
                .header("stripe-signature", &sig)
                .body(serde_json::to_vec(&tampered).unwrap()),
        )
        .await;
    r.expect_error(400, "invalid_signature");
    // The raw body is what is verified: the same JSON re-serialized with other spacing
    // does not verify either.
    let spaced = serde_json::to_vec_pretty(&e).unwrap();
    let r = app
        .send(
            app.http
                .post(app.url("/api/v1/billing/stripe/webhook"))
                .header("stripe-signature", &sig)
                .body(spaced),
        )
        .await;
    r.expect_error(400, "invalid_signature");
    // No header, and a header without v1.
    let r = app
        .send(
            app.http
                .post(app.url("/api/v1/billing/stripe/webhook"))
                .body(body.clone()),
        )
        .await;
    r.expect_error(400, "invalid_signature");
    let r = app
        .send(
            app.http
                .post(app.url("/api/v1/billing/stripe/webhook"))
                .header("stripe-signature", format!("t={now}"))
                .body(body.clone()),
        )
        .await;
    r.expect_error(400, "invalid_signature");
    assert!(
        app.billing_events().await.is_empty(),
        "a refused event was stored"
    );
    assert!(app.licenses_of(&sub.customer, &sub.id).await.is_empty());
    // The same event signed properly, with the older of the two configured secrets (a
    // rotation in progress), is stored and applied.
    let r = app.post_event_signed(&e, OLD_SECRET, now).await.expect(200);
    assert_eq!(r, json!({"received": true, "duplicate": false}));
    assert_eq!(
        app.license_of(&sub.customer, &sub.id).await["seats_total"],
        1
    );
}

#[tokio::test]
async fn without_secrets_the_webhook_does_not_exist() {
    let app = spawn_app().await;
    let e = event(
        "evt_1",
        "customer.created",
        stripe::now(),
        json!({"id": "cus_1"}),
    );
    app.post_event_signed(&e, SECRET, stripe::now())
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn signed_garbage_is_refused_in_the_error_shape_and_not_stored() {
    let (app, _smtp) = billing_app().await;
    let now = stripe::now();
    let post = |body: Vec<u8>| {
        let sig = stripe::signature(SECRET, now, &body);
        app.http
            .post(app.url("/api/v1/billing/stripe/webhook"))
            .header("stripe-signature", sig)
            .body(body)
    };
    app.send(post(b"not json".to_vec()))
        .await
        .expect_error(400, "invalid_json");
    app.send(post(b"[1,2]".to_vec()))
        .await
        .expect_error(400, "invalid_json");
    let no_id = serde_json::to_vec(&json!({"type": "invoice.paid", "created": now})).unwrap();
    app.send(post(no_id))
        .await
        .expect_error(422, "validation_error");
    assert!(app.billing_events().await.is_empty());
}

#[tokio::test]
async fn only_superadmins_read_the_billing_events() {
    let (app, _smtp) = billing_app().await;
    let t = app.tenant_fixture().await;
    let r = app
        .call("GET", "/api/v1/billing/events", Some(&t.admin), None)
        .await;
    r.expect_error(403, "forbidden");
    app.call("GET", "/api/v1/billing/events", None, None)
        .await
        .expect_error(401, "unauthorized");
    app.admin("GET", "/api/v1/billing/events?status=done", None)
        .await
        .expect_error(422, "validation_error");
}
