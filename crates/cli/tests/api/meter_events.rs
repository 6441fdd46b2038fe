//! Seat-hours reported to Stripe as meter events, to a listener of the test's own that
//! stands in for Stripe's API: it checks the bearer key and the form, is down at first,
//! then answers 503, then takes events. Every whole hour of the metered license is
//! accepted once with the hand-computed value, none twice; unmetered use is not reported.
//! Also the `subscription.updated` webhook of the same purchase.

use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use coditect_test_support::receiver::{Received, Receiver};
use coditect_test_support::stripe::{self, checkout, event, Sub};
use serde_json::{json, Value};

use crate::support::billing::{id, SECRET};
use crate::support::fixtures::key_and_id;
use crate::support::helpers::*;

const KEY: &str = "sk_test_meter_0123456789";

fn form(r: &Received) -> Vec<(String, String)> {
    let body = String::from_utf8(r.body.clone()).unwrap();
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn field(f: &[(String, String)], name: &str) -> String {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Sets a session's times as if it had lived in the past (the test owns the database).
async fn set_times(
    db_url: &str,
    session_id: &str,
    created: DateTime<Utc>,
    ended: Option<DateTime<Utc>>,
    expires: DateTime<Utc>,
) {
    let sid: uuid::Uuid = session_id.parse().unwrap();
    let status = if ended.is_some() {
        "released"
    } else {
        "active"
    };
    let sql = "UPDATE sessions SET created_at = $1, last_heartbeat_at = $1, ended_at = $2, \
               expires_at = $3, status = $4 WHERE id = $5";
    if db_url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(db_url).await.unwrap();
        let us = |t: DateTime<Utc>| t.timestamp_micros();
        sqlx::query(sql)
            .bind(us(created))
            .bind(ended.map(us))
            .bind(us(expires))
            .bind(status)
            .bind(sid)
            .execute(&pool)
            .await
            .unwrap();
    } else {
        let pool = sqlx::PgPool::connect(db_url).await.unwrap();
        sqlx::query(sql)
            .bind(created)
            .bind(ended)
            .bind(expires)
            .bind(status)
            .bind(sid)
            .execute(&pool)
            .await
            .unwrap();
    }
}

async fn set_cursor(db_url: &str, hour: DateTime<Utc>) -> u64 {
    let sql = "UPDATE meter_cursor SET next_hour = $1";
    if db_url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(db_url).await.unwrap();
        sqlx::query(sql)
            .bind(hour.timestamp_micros())
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected()
    } else {
        let pool = sqlx::PgPool::connect(db_url).await.unwrap();
        sqlx::query(sql)
            .bind(hour)
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected()
    }
}

#[tokio::test]
async fn every_whole_hour_is_reported_to_stripe_once_through_an_outage() {
    // Keep clear of an hour's turn, so the test's hours are the server's.
    let now = Utc::now();
    let h0 = now.duration_trunc(chrono::Duration::hours(1)).unwrap();
    if h0 + chrono::Duration::hours(1) - now < chrono::Duration::minutes(2) {
        tokio::time::sleep((h0 + chrono::Duration::minutes(61) - now).to_std().unwrap()).await;
    }
    let h0 = Utc::now()
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap();
    let h = |hours: i64, mins: i64| {
        h0 + chrono::Duration::hours(hours) + chrono::Duration::minutes(mins)
    };

    let mut stripe_api = Receiver::start(|got, before| {
        let authorized =
            got.headers.get("authorization").map(String::as_str) == Some(&*format!("Bearer {KEY}"));
        let form_body = got
            .headers
            .get("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        if !authorized
            || !form_body
            || got.path != "/v1/billing/meter_events"
            || got.method != "POST"
        {
            return (401, r#"{"error":{"message":"bad request"}}"#.into());
        }
        if before.len() < 2 {
            return (503, r#"{"error":{"message":"overloaded"}}"#.into());
        }
        (200, r#"{"object":"billing.meter_event"}"#.into())
    })
    .await;
    stripe_api.down();
    let hooks = Receiver::start(|_, _| (200, "{}".into())).await;
    let base = format!("http://{}", stripe_api.addr);
    let app = spawn_app_with(move |c| {
        c.billing.stripe_webhook_secrets = vec![SECRET.into()];
        c.meter.api_base = base;
        c.meter.api_key = Some(KEY.into());
        c.meter.interval = Duration::from_millis(100);
        c.meter.settle = Duration::ZERO;
        c.meter.retries.first = chrono::Duration::milliseconds(200);
        c.meter.retries.cap = chrono::Duration::milliseconds(400);
        c.webhooks.allow_http = true;
        c.webhooks.poll_interval = Duration::from_millis(100);
    })
    .await;
    app.admin(
        "POST",
        "/api/v1/webhooks",
        Some(json!({"url": hooks.url("/subs"), "events": ["subscription.updated"]})),
    )
    .await
    .expect(201);

    let product = app.product("metered-cad", "price_metered", 1).await;
    let pid = product["id"].as_str().unwrap();
    app.admin(
        "PATCH",
        &format!("/api/v1/products/{pid}"),
        Some(json!({"metered": true})),
    )
    .await
    .expect(200);
    let sub = Sub::active(&id("sub"), &id("cus"), "price_metered", 5);
    let t = stripe::now();
    app.stripe(&event(
        &id("evt"),
        "checkout.session.completed",
        t,
        checkout(&sub.customer, &sub.id, "m@example.com", "Meter Corp"),
    ))
    .await;
    app.stripe(&event(
        &id("evt"),
        "customer.subscription.created",
        t,
        sub.object(),
    ))
    .await;
    let l = app.license_of(&sub.customer, &sub.id).await;
    let (key, lid) = key_and_id(&l);
    let tid = l["tenant_id"].as_str().unwrap().to_owned();
    let plain = app.create_license(&tid, json!({"seats_total": 5})).await;
    let (plain_key, _) = key_and_id(&plain);

    // A: released, H-3:15 to H-2:45. B: expired, from just after H-2 to H-1:00:30.
    // C: live since H-1:30. Unmetered: an hour in H-2.
    let a = app.take_seat(&key, "a").await;
    let b = app.take_seat(&key, "b").await;
    let c = app.take_seat(&key, "c").await;
    let u = app.take_seat(&plain_key, "u").await;
    let db = app.db.url.clone();
    let sid = |s: &Value| s["session_id"].as_str().unwrap().to_owned();
    set_times(&db, &sid(&a), h(-3, 15), Some(h(-2, 45)), h(-2, 45)).await;
    let b_start = h(-2, 0) + chrono::Duration::microseconds(1);
    let b_end = h(-1, 0) + chrono::Duration::seconds(30);
    set_times(&db, &sid(&b), b_start, Some(b_end), b_end).await;
    set_times(
        &db,
        &sid(&c),
        h(-1, 30),
        None,
        Utc::now() + chrono::Duration::hours(1),
    )
    .await;
    set_times(&db, &sid(&u), h(-2, 0), Some(h(-1, 0)), h(-1, 0)).await;
    // The reporter's first pass started its cursor at this hour; wind it back three.
    for _ in 0..100 {
        if set_cursor(&db, h(-3, 0)).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        stripe_api.received().is_empty(),
        "down: nothing got through"
    );
    stripe_api.up().await;
    let accepted = |got: &[Received]| {
        got.iter()
            .filter(|r| r.status == 200)
            .map(form)
            .collect::<Vec<_>>()
    };
    for _ in 0..300 {
        if accepted(&stripe_api.received()).len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = stripe_api.received();
    assert!(
        got.iter().filter(|r| r.status == 503).count() == 2,
        "the outage was seen"
    );
    let mut ok = accepted(&got);
    ok.sort_by_key(|f| field(f, "timestamp"));
    let unix = |t: DateTime<Utc>| t.timestamp().to_string();
    let expected = [(h(-3, 0), "0.75"), (h(-2, 0), "1.75"), (h(-1, 0), "0.51")];
    assert_eq!(ok.len(), 3, "each hour accepted once, nothing else: {ok:?}");
    for (f, (hour, value)) in ok.iter().zip(expected) {
        assert_eq!(field(f, "identifier"), format!("{lid}:{}", unix(hour)));
        assert_eq!(field(f, "timestamp"), unix(hour));
        assert_eq!(field(f, "payload[value]"), value, "hour {hour}");
        assert_eq!(field(f, "payload[stripe_customer_id]"), sub.customer);
        assert_eq!(field(f, "event_name"), "seat_hours");
    }
    let subs = hooks.received();
    let told: Vec<Value> = subs
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let updated = told
        .iter()
        .find(|b| b["type"] == "subscription.updated")
        .expect("subscription.updated");
    assert_eq!(updated["data"]["subscription_id"], sub.id.as_str());
    assert_eq!(updated["data"]["status"], "active");
    assert_eq!(updated["tenant_id"], tid.as_str());
}
