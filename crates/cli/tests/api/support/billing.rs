//! Billing as the tests drive it: a server with Stripe webhook secrets (and a test SMTP
//! server), products, and Stripe events signed with Stripe's scheme by the test itself.

#![allow(dead_code)]

use coditect_test_support::stripe;
use serde_json::{json, Value};

use super::helpers::{spawn_app_with, Reply, TestApp};
use super::web::SmtpServer;

/// The current webhook secret of every billing test server.
pub const SECRET: &str = "whsec_test_current_0123456789";
/// A second secret, configured too (a rotation in progress).
pub const OLD_SECRET: &str = "whsec_test_previous_0123456789";
/// A secret rotated out: configured on no test server.
pub const RETIRED_SECRET: &str = "whsec_test_retired_0123456789";

/// A server that takes Stripe webhooks signed with [`SECRET`] or [`OLD_SECRET`], its mails
/// going to a test SMTP server.
pub async fn billing_app() -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(url);
        c.billing.stripe_webhook_secrets = vec![SECRET.into(), OLD_SECRET.into()];
        c.billing.pass_interval = std::time::Duration::from_millis(500);
    })
    .await;
    (app, smtp)
}

impl TestApp {
    /// Posts `event` signed now with `secret`.
    pub async fn post_event_signed(&self, event: &Value, secret: &str, t: i64) -> Reply {
        let body = serde_json::to_vec(event).unwrap();
        let req = self
            .http
            .post(self.url("/api/v1/billing/stripe/webhook"))
            .header("content-type", "application/json")
            .header("stripe-signature", stripe::signature(secret, t, &body))
            .body(body);
        self.send(req).await
    }

    /// Posts `event` signed now with the current secret, expecting it stored.
    pub async fn stripe(&self, event: &Value) -> Value {
        self.post_event_signed(event, SECRET, stripe::now())
            .await
            .expect(200)
    }

    /// Creates a product selling `price` at `seats_per_unit` seats a unit.
    pub async fn product(&self, slug: &str, price: &str, seats_per_unit: i64) -> Value {
        self.admin(
            "POST",
            "/api/v1/products",
            Some(json!({"slug": slug, "name": format!("Product {slug}"),
                "seats_per_unit": seats_per_unit, "stripe_price_ids": [price],
                "entitlements": ["export"], "heartbeat_ttl_seconds": 120, "grace_days": 7,
                "trial_days": 14, "trial_seats": 2})),
        )
        .await
        .expect(201)
    }

    /// The stored events, newest first (one page of up to 200).
    pub async fn billing_events(&self) -> Vec<Value> {
        let r = self
            .admin("GET", "/api/v1/billing/events?limit=200", None)
            .await
            .expect(200);
        r["items"].as_array().unwrap().clone()
    }

    /// The stored event `id`.
    pub async fn billing_event(&self, id: &str) -> Value {
        self.billing_events()
            .await
            .into_iter()
            .find(|e| e["id"] == id)
            .unwrap_or_else(|| panic!("event {id} is not stored"))
    }

    /// The tenant billed as `customer`.
    pub async fn tenant_of_customer(&self, customer: &str) -> Option<Value> {
        let r = self
            .admin("GET", "/api/v1/tenants?limit=200", None)
            .await
            .expect(200);
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["stripe_customer_id"] == customer)
            .cloned()
    }

    /// The licenses sold under `subscription` in the customer's tenant.
    pub async fn licenses_of(&self, customer: &str, subscription: &str) -> Vec<Value> {
        let Some(t) = self.tenant_of_customer(customer).await else {
            return Vec::new();
        };
        let tid = t["id"].as_str().unwrap();
        let r = self
            .admin(
                "GET",
                &format!("/api/v1/tenants/{tid}/licenses?subscription_id={subscription}"),
                None,
            )
            .await
            .expect(200);
        r["items"].as_array().unwrap().clone()
    }

    /// The one license of a subscription.
    pub async fn license_of(&self, customer: &str, subscription: &str) -> Value {
        let ls = self.licenses_of(customer, subscription).await;
        assert_eq!(ls.len(), 1, "licenses of {subscription}: {ls:?}");
        ls[0].clone()
    }
}

/// A fresh id with a prefix (`evt`, `sub`, `cus`, …).
pub fn id(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    )
}

/// Unix time of an RFC 3339 value.
pub fn unix(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
        .expect("RFC 3339")
        .timestamp()
}
