//! Self-service trials (one per e-mail and per hardware id, the key mailed, working) and
//! expiry reminders (each threshold once per expiry, re-armed by a renewal).

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use crate::support::billing::billing_app;
use crate::support::fixtures::time_from_now;
use crate::support::helpers::spawn_app_with;
use crate::support::web::SmtpServer;

#[tokio::test]
async fn a_trial_is_mailed_works_and_is_one_per_email_and_per_hardware_id() {
    let (app, smtp) = billing_app().await;
    app.product("trial-pro", "price_trial", 1).await;
    let t = app
        .call("POST", "/api/v1/trials", None,
            Some(json!({"product": "trial-pro", "email": "  Ana@Example.COM ", "hardware_id": "hw-a", "name": "Ana's Studio"})))
        .await
        .expect(201);
    assert_eq!(
        (t["seats_total"].as_i64(), t["product"].as_str()),
        (Some(2), Some("trial-pro"))
    );
    let expires = chrono::DateTime::parse_from_rfc3339(t["expires_at"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((14 * 24 - 1..=14 * 24).contains(&days), "{days} hours");
    let key = t["license_key"].as_str().unwrap();
    // The key is mailed, validates and acquires.
    smtp.mail_with("ana@example.com", key, 10).await;
    let v = app.validate(key).await;
    assert_eq!(v["valid"], true, "{v}");
    app.take_seat(key, "hw-a").await;
    // The license: the product's, a trial, in the e-mail's tenant.
    let tid = t["tenant_id"].as_str().unwrap();
    let lid = t["license_id"].as_str().unwrap();
    let l = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{tid}/licenses/{lid}"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(l["metadata"], json!({"trial": true}));
    assert!(l["subscription"].is_null());
    let tenant = app
        .admin("GET", &format!("/api/v1/tenants/{tid}"), None)
        .await
        .expect(200);
    assert_eq!(tenant["name"], "Ana's Studio");
    // Again: the same e-mail in another case and spacing, and the same hardware id.
    for body in [
        json!({"product": "trial-pro", "email": "ana@example.com"}),
        json!({"product": "trial-pro", "email": "other@example.com", "hardware_id": "hw-a"}),
    ] {
        app.call("POST", "/api/v1/trials", None, Some(body))
            .await
            .expect_error(409, "trial_already_used");
    }
    // Unknown product, and a product without trials.
    app.call(
        "POST",
        "/api/v1/trials",
        None,
        Some(json!({"product": "nope", "email": "b@example.com"})),
    )
    .await
    .expect_error(404, "product_not_found");
    app.admin(
        "POST",
        "/api/v1/products",
        Some(json!({"slug": "no-trials", "name": "No trials"})),
    )
    .await
    .expect(201);
    app.call(
        "POST",
        "/api/v1/trials",
        None,
        Some(json!({"product": "no-trials", "email": "b@example.com"})),
    )
    .await
    .expect_error(404, "product_not_found");
    app.call(
        "POST",
        "/api/v1/trials",
        None,
        Some(json!({"product": "trial-pro", "email": "not-an-email"})),
    )
    .await
    .expect_error(422, "validation_error");
}

#[tokio::test]
async fn racing_trials_of_one_email_make_one() {
    let (app, _smtp) = billing_app().await;
    app.product("race-trial", "price_race_trial", 1).await;
    let replies = join_all((0..8).map(|i| {
        app.call("POST", "/api/v1/trials", None,
            Some(json!({"product": "race-trial", "email": "race@example.com", "hardware_id": format!("hw-{i}")})))
    }))
    .await;
    let made = replies.iter().filter(|r| r.status == 201).count();
    let refused = replies
        .iter()
        .filter(|r| r.code() == "trial_already_used")
        .count();
    assert_eq!(
        (made, refused),
        (1, 7),
        "{:?}",
        replies.iter().map(|r| r.body.clone()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn trials_are_rate_limited_per_client_address() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(url);
        c.billing.trials_per_ip_per_hour = 3;
    })
    .await;
    app.admin(
        "POST",
        "/api/v1/products",
        Some(json!({"slug": "limited", "name": "L", "trial_days": 3})),
    )
    .await
    .expect(201);
    for i in 0..3 {
        app.call(
            "POST",
            "/api/v1/trials",
            None,
            Some(json!({"product": "limited", "email": format!("u{i}@example.com")})),
        )
        .await
        .expect(201);
    }
    let r = app
        .call(
            "POST",
            "/api/v1/trials",
            None,
            Some(json!({"product": "limited", "email": "u9@example.com"})),
        )
        .await;
    r.expect_error(429, "rate_limited");
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn expiry_reminders_go_once_per_threshold_and_a_renewal_rearms_them() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(url);
        c.billing.pass_interval = Duration::from_millis(300);
        c.billing.expiry_reminder_days = vec![7, 1];
    })
    .await;
    app.admin(
        "POST",
        "/api/v1/products",
        Some(json!({"slug": "remind", "name": "Remind", "trial_days": 3})),
    )
    .await
    .expect(201);
    // A trial of 3 days: within the 7-day threshold at once; its tenant's billing e-mail
    // is the trial's.
    let t = app
        .call(
            "POST",
            "/api/v1/trials",
            None,
            Some(json!({"product": "remind", "email": "remind@example.com"})),
        )
        .await
        .expect(201);
    let reminders = || {
        smtp.mails
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.data.contains("expires within"))
            .count()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while reminders() < 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reminder within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Several more passes: no second mail for the same threshold and expiry.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(reminders(), 1);
    // Moved to 20 hours from now: the 1-day threshold is due, once.
    let (tid, lid) = (
        t["tenant_id"].as_str().unwrap(),
        t["license_id"].as_str().unwrap(),
    );
    app.patch_license(tid, lid, json!({"expires_at": time_from_now(20 * 3600)}))
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while reminders() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no 1-day reminder within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    smtp.mail_with("remind@example.com", "within a day", 1)
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(reminders(), 2);
}
