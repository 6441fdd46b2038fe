//! A license's life as Stripe drives it, one event type at a time: purchase, quantity up
//! and down, renewal (both API shapes), a failed payment and its dunning mail then the
//! renewal, cancellation at period end, immediate cancellation, a full refund.

use coditect_test_support::stripe::{self, charge, checkout, event, invoice, Sub};
use serde_json::Value;

use crate::support::billing::{billing_app, id, unix};
use crate::support::fixtures::key_and_id;
use crate::support::helpers::TestApp;

const DAY: i64 = 86_400;

/// A checkout and the subscription it made: returns the license.
async fn purchase(app: &TestApp, sub: &Sub, email: &str) -> Value {
    let t = stripe::now();
    app.stripe(&event(
        &id("evt"),
        "checkout.session.completed",
        t,
        checkout(&sub.customer, &sub.id, email, "Buyer Corp"),
    ))
    .await;
    app.stripe(&event(
        &id("evt"),
        "customer.subscription.created",
        t,
        sub.object(),
    ))
    .await;
    app.license_of(&sub.customer, &sub.id).await
}

async fn send(app: &TestApp, event_type: &str, created: i64, object: Value) -> String {
    let eid = id("evt");
    app.stripe(&event(&eid, event_type, created, object)).await;
    eid
}

#[tokio::test]
async fn a_purchase_makes_the_tenant_invites_the_buyer_and_makes_a_working_license() {
    let (app, smtp) = billing_app().await;
    let product = app.product("cad-pro", "price_cad", 2).await;
    let sub = Sub::active(&id("sub"), &id("cus"), "price_cad", 3);
    let l = purchase(&app, &sub, "Buyer@Example.com").await;
    // The tenant: named from the checkout, linked to the customer, billing e-mail set.
    let t = app
        .tenant_of_customer(&sub.customer)
        .await
        .expect("a tenant");
    assert_eq!(
        (t["name"].as_str(), t["slug"].as_str()),
        (Some("Buyer Corp"), Some("buyer-corp"))
    );
    assert_eq!(t["billing_email"], "Buyer@Example.com");
    // The license: quantity × seats_per_unit, the product's terms, expiry = period + grace.
    assert_eq!(l["seats_total"], 6);
    assert_eq!(l["product_id"], product["id"]);
    assert_eq!(l["entitlements"], serde_json::json!(["export"]));
    assert_eq!(l["heartbeat_ttl_seconds"], 120);
    assert_eq!(unix(&l["expires_at"]), sub.period_end + 7 * DAY);
    let s = &l["subscription"];
    assert_eq!(
        (
            s["provider"].as_str(),
            s["id"].as_str(),
            s["customer_id"].as_str()
        ),
        (
            Some("stripe"),
            Some(sub.id.as_str()),
            Some(sub.customer.as_str())
        )
    );
    assert_eq!(
        (s["status"].as_str(), s["cancel_at_period_end"].as_bool()),
        (Some("active"), Some(false))
    );
    assert_eq!(unix(&s["current_period_end"]), sub.period_end);
    // It works: a client acquires a seat with its key.
    let (key, _) = key_and_id(&l);
    app.take_seat(&key, "hw-1").await;
    // The buyer is invited as owner, by mail through the outbox.
    smtp.mail_with("buyer@example.com", "as owner", 10).await;
    // Every change is audited as Stripe.
    let audit = app.audit_entries(t["id"].as_str().unwrap()).await;
    let by_stripe: Vec<&str> = audit
        .iter()
        .filter(|e| e["actor"]["type"] == "system" && e["actor"]["name"] == "stripe")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "tenant.create",
        "tenant.update",
        "invitation.create",
        "license.create",
    ] {
        assert!(
            by_stripe.contains(&action),
            "{action} not audited as stripe: {by_stripe:?}"
        );
    }
    // Both events are listed as applied; the subscription's names its license.
    let events = app.billing_events().await;
    assert_eq!(events.len(), 2);
    assert!(
        events.iter().all(|e| e["status"] == "applied"),
        "{events:?}"
    );
    assert_eq!(events[0]["type"], "customer.subscription.created");
    assert_eq!(events[0]["license_ids"], serde_json::json!([l["id"]]));
    // The product and subscription filters find it.
    let tid = t["id"].as_str().unwrap();
    let pid = product["id"].as_str().unwrap();
    let r = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{tid}/licenses?product_id={pid}"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn quantity_up_and_down_resizes_and_lowering_ends_no_session() {
    let (app, _smtp) = billing_app().await;
    app.product("resize", "price_resize", 2).await;
    let mut sub = Sub::active(&id("sub"), &id("cus"), "price_resize", 2);
    let l = purchase(&app, &sub, "resize@example.com").await;
    let (key, _) = key_and_id(&l);
    let mut sessions = Vec::new();
    for i in 0..4 {
        sessions.push(
            app.take_seat(&key, &format!("hw-{i}")).await["session_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    app.acquire(&key, "hw-5")
        .await
        .expect_error(409, "no_seats_available");
    let t0 = stripe::now();
    sub.quantity = 5;
    send(&app, "customer.subscription.updated", t0 + 1, sub.object()).await;
    assert_eq!(
        app.license_of(&sub.customer, &sub.id).await["seats_total"],
        10
    );
    app.take_seat(&key, "hw-5").await;
    sub.quantity = 1;
    send(&app, "customer.subscription.updated", t0 + 2, sub.object()).await;
    let l = app.license_of(&sub.customer, &sub.id).await;
    assert_eq!(
        (l["seats_total"].as_i64(), l["seats_used"].as_i64()),
        (Some(2), Some(5))
    );
    for s in &sessions {
        app.heartbeat(&key, s).await.expect(200);
    }
    app.acquire(&key, "hw-6")
        .await
        .expect_error(409, "no_seats_available");
}

#[tokio::test]
async fn renewal_extends_the_license_in_both_api_shapes() {
    let (app, _smtp) = billing_app().await;
    app.product("renew", "price_renew", 1).await;
    let mut sub = Sub::active(&id("sub"), &id("cus"), "price_renew", 1);
    // Since 2025 the period end is on the items only.
    sub.item_level_period = true;
    let l = purchase(&app, &sub, "renew@example.com").await;
    assert_eq!(unix(&l["expires_at"]), sub.period_end + 7 * DAY);
    let t0 = stripe::now();
    let next = sub.period_end + 30 * DAY;
    send(
        &app,
        "invoice.paid",
        t0 + 1,
        invoice(&id("in"), &sub.id, &sub.customer, next, false),
    )
    .await;
    let l = app.license_of(&sub.customer, &sub.id).await;
    assert_eq!(unix(&l["expires_at"]), next + 7 * DAY);
    assert_eq!(unix(&l["subscription"]["current_period_end"]), next);
    let after = next + 30 * DAY;
    send(
        &app,
        "invoice.paid",
        t0 + 2,
        invoice(&id("in"), &sub.id, &sub.customer, after, true),
    )
    .await;
    let l = app.license_of(&sub.customer, &sub.id).await;
    assert_eq!(unix(&l["expires_at"]), after + 7 * DAY);
    assert_eq!(l["subscription"]["status"], "active");
}

#[tokio::test]
async fn a_failed_payment_is_past_due_with_one_mail_per_invoice_then_renewal_heals_it() {
    let (app, smtp) = billing_app().await;
    app.product("dunning", "price_dunning", 1).await;
    let sub = Sub::active(&id("sub"), &id("cus"), "price_dunning", 1);
    let l = purchase(&app, &sub, "payer@example.com").await;
    let (key, _) = key_and_id(&l);
    let expires = l["expires_at"].clone();
    let t0 = stripe::now();
    let inv = id("in");
    let next = sub.period_end + 30 * DAY;
    // Stripe retries a failed payment: two events for one invoice.
    send(
        &app,
        "invoice.payment_failed",
        t0 + 1,
        invoice(&inv, &sub.id, &sub.customer, next, false),
    )
    .await;
    send(
        &app,
        "invoice.payment_failed",
        t0 + 2,
        invoice(&inv, &sub.id, &sub.customer, next, false),
    )
    .await;
    let l = app.license_of(&sub.customer, &sub.id).await;
    assert_eq!(l["subscription"]["status"], "past_due");
    assert_eq!(l["expires_at"], expires, "the grace period stays");
    assert_eq!(l["is_active"], true);
    app.take_seat(&key, "hw-1").await;
    smtp.mail_with("payer@example.com", "Payment failed", 10)
        .await;
    // Only one dunning mail for the invoice (the other mail to the buyer is the invitation).
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let dunning = smtp
        .mails
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.data.contains("Payment failed"))
        .count();
    assert_eq!(dunning, 1);
    send(
        &app,
        "invoice.paid",
        t0 + 3,
        invoice(&inv, &sub.id, &sub.customer, next, false),
    )
    .await;
    let l = app.license_of(&sub.customer, &sub.id).await;
    assert_eq!(l["subscription"]["status"], "active");
    assert_eq!(unix(&l["expires_at"]), next + 7 * DAY);
}

#[tokio::test]
async fn cancellation_at_period_end_then_deletion_ends_the_license_without_grace() {
    let (app, _smtp) = billing_app().await;
    app.product("cancel", "price_cancel", 1).await;
    let mut sub = Sub::active(&id("sub"), &id("cus"), "price_cancel", 1);
    purchase(&app, &sub, "cancel@example.com").await;
    let t0 = stripe::now();
    sub.cancel_at_period_end = true;
    send(&app, "customer.subscription.updated", t0 + 1, sub.object()).await;
    let l = app.license_of(&sub.customer, &sub.id).await;
    assert_eq!(
        unix(&l["expires_at"]),
        sub.period_end,
        "exactly the period's end"
    );
    assert_eq!(l["subscription"]["cancel_at_period_end"], true);
    assert_eq!(l["subscription"]["status"], "active");
    sub.status = "canceled".into();
    sub.ended_at = Some(sub.period_end);
    send(&app, "customer.subscription.deleted", t0 + 2, sub.object()).await;
    let l = app.license_of(&sub.customer, &sub.id).await;
    assert_eq!(unix(&l["expires_at"]), sub.period_end);
    assert_eq!(l["subscription"]["status"], "canceled");
}

#[tokio::test]
async fn immediate_cancellation_expires_the_license_and_its_sessions() {
    let (app, _smtp) = billing_app().await;
    app.product("now", "price_now", 1).await;
    let mut sub = Sub::active(&id("sub"), &id("cus"), "price_now", 2);
    let l = purchase(&app, &sub, "now@example.com").await;
    let (key, _) = key_and_id(&l);
    let session = app.take_seat(&key, "hw-1").await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t0 = stripe::now();
    sub.status = "canceled".into();
    sub.ended_at = Some(t0 - 1);
    send(&app, "customer.subscription.deleted", t0 + 1, sub.object()).await;
    let l = app.license_of(&sub.customer, &sub.id).await;
    assert_eq!(unix(&l["expires_at"]), t0 - 1);
    assert_eq!(l["subscription"]["status"], "canceled");
    app.acquire(&key, "hw-2")
        .await
        .expect_error(403, "license_expired");
    app.heartbeat(&key, &session)
        .await
        .expect_error(403, "license_expired");
}

#[tokio::test]
async fn a_full_refund_ends_the_license_and_a_partial_one_does_not() {
    let (app, _smtp) = billing_app().await;
    app.product("refund", "price_refund", 1).await;
    let sub = Sub::active(&id("sub"), &id("cus"), "price_refund", 1);
    // Events of a while ago, so the refund's end (its event's time) is in the past.
    let t0 = stripe::now() - 100;
    send(&app, "customer.subscription.created", t0, sub.object()).await;
    let inv = id("in");
    send(
        &app,
        "invoice.paid",
        t0 + 1,
        invoice(&inv, &sub.id, &sub.customer, sub.period_end, false),
    )
    .await;
    let partial = send(
        &app,
        "charge.refunded",
        t0 + 2,
        charge(&id("ch"), &inv, &sub.customer, 1000, 300),
    )
    .await;
    let e = app.billing_event(&partial).await;
    assert_eq!(e["status"], "ignored");
    assert!(e["reason"].as_str().unwrap().contains("in part"), "{e}");
    assert_eq!(
        app.license_of(&sub.customer, &sub.id).await["subscription"]["status"],
        "active"
    );
    send(
        &app,
        "charge.refunded",
        t0 + 3,
        charge(&id("ch"), &inv, &sub.customer, 1000, 1000),
    )
    .await;
    let l = app.license_of(&sub.customer, &sub.id).await;
    assert_eq!(l["subscription"]["status"], "canceled");
    assert_eq!(unix(&l["expires_at"]), t0 + 3);
    let (key, _) = key_and_id(&l);
    app.acquire(&key, "hw-1")
        .await
        .expect_error(403, "license_expired");
}

#[tokio::test]
async fn unknown_types_and_unsold_prices_are_stored_and_ignored_with_a_reason() {
    let (app, _smtp) = billing_app().await;
    let t0 = stripe::now();
    let other = send(
        &app,
        "customer.created",
        t0,
        serde_json::json!({"id": "cus_x", "object": "customer"}),
    )
    .await;
    let sub = Sub::active(&id("sub"), &id("cus"), "price_nobody_sells", 1);
    let unsold = send(&app, "customer.subscription.created", t0, sub.object()).await;
    let e = app.billing_event(&other).await;
    assert_eq!(e["status"], "ignored");
    let e = app.billing_event(&unsold).await;
    assert_eq!(e["status"], "ignored");
    assert!(
        e["reason"].as_str().unwrap().contains("price_nobody_sells"),
        "{e}"
    );
    assert!(
        app.tenant_of_customer(&sub.customer).await.is_none(),
        "no tenant for nothing sold"
    );
    let r = app
        .admin(
            "GET",
            "/api/v1/billing/events?status=ignored&type=customer.created",
            None,
        )
        .await
        .expect(200);
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    assert_eq!(r["items"][0]["id"], other);
}
