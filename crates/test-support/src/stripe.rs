//! Stripe events as the tests send them: shaped like the examples of Stripe's API
//! reference (event envelope, checkout session, subscription with items, invoice with
//! lines, charge), and signed with Stripe's scheme computed here, independently of the
//! server's own code: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`.

use ring::hmac;
use serde_json::{json, Value};

/// The `Stripe-Signature` header of `body` signed at `t` with `secret`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut msg = format!("{t}.").into_bytes();
    msg.extend_from_slice(body);
    format!("t={t},v1={}", hex::encode(hmac::sign(&key, &msg).as_ref()))
}

/// Unix time now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// An event envelope around `object`.
pub fn event(id: &str, event_type: &str, created: i64, object: Value) -> Value {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": created,
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": event_type,
        "data": {"object": object}
    })
}

/// A completed checkout session of `customer` for `subscription`.
pub fn checkout(customer: &str, subscription: &str, email: &str, name: &str) -> Value {
    json!({
        "id": format!("cs_test_{subscription}"),
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "customer": customer,
        "subscription": subscription,
        "customer_details": {"email": email, "name": name, "address": null, "phone": null},
        "metadata": {}
    })
}

/// What a subscription looks like: one item of `price` × `quantity`.
#[derive(Clone, Debug)]
pub struct Sub {
    /// `sub_…`.
    pub id: String,
    /// `cus_…`.
    pub customer: String,
    /// Stripe status.
    pub status: String,
    /// Price of the one item.
    pub price: String,
    /// Quantity of the one item.
    pub quantity: i64,
    /// The period end (unix).
    pub period_end: i64,
    /// Cancel at period end.
    pub cancel_at_period_end: bool,
    /// `ended_at` (unix), for a deleted one.
    pub ended_at: Option<i64>,
    /// Put `current_period_end` on the items only, as API versions since 2025 do.
    pub item_level_period: bool,
}

impl Sub {
    /// An active subscription of `quantity` units of `price`, paid for 30 days.
    pub fn active(id: &str, customer: &str, price: &str, quantity: i64) -> Self {
        Self {
            id: id.into(),
            customer: customer.into(),
            status: "active".into(),
            price: price.into(),
            quantity,
            period_end: now() + 30 * 86_400,
            cancel_at_period_end: false,
            ended_at: None,
            item_level_period: false,
        }
    }

    /// The subscription object.
    pub fn object(&self) -> Value {
        let start = self.period_end - 30 * 86_400;
        let mut item = json!({
            "id": format!("si_{}", self.id),
            "object": "subscription_item",
            "price": {"id": self.price, "object": "price", "recurring": {"interval": "month"}},
            "quantity": self.quantity,
            "subscription": self.id,
        });
        let mut sub = json!({
            "id": self.id,
            "object": "subscription",
            "customer": self.customer,
            "status": self.status,
            "cancel_at_period_end": self.cancel_at_period_end,
            "cancel_at": if self.cancel_at_period_end { json!(self.period_end) } else { Value::Null },
            "canceled_at": self.ended_at,
            "ended_at": self.ended_at,
            "metadata": {},
            "items": {"object": "list", "data": []},
        });
        if self.item_level_period {
            item["current_period_start"] = json!(start);
            item["current_period_end"] = json!(self.period_end);
        } else {
            sub["current_period_start"] = json!(start);
            sub["current_period_end"] = json!(self.period_end);
        }
        sub["items"]["data"] = json!([item]);
        sub
    }
}

/// An invoice of `subscription` for the period ending `period_end`; `new_shape` names the
/// subscription under `parent.subscription_details` as API versions since 2025 do.
pub fn invoice(
    id: &str,
    subscription: &str,
    customer: &str,
    period_end: i64,
    new_shape: bool,
) -> Value {
    let mut inv = json!({
        "id": id,
        "object": "invoice",
        "customer": customer,
        "status": "paid",
        "payment_intent": format!("pi_{id}"),
        "lines": {"object": "list", "data": [{
            "id": format!("il_{id}"),
            "object": "line_item",
            "period": {"start": period_end - 30 * 86_400, "end": period_end}
        }]}
    });
    if new_shape {
        inv["parent"] = json!({"type": "subscription_details",
            "subscription_details": {"subscription": subscription}});
    } else {
        inv["subscription"] = json!(subscription);
    }
    inv
}

/// A charge of `amount` paying `invoice`, of which `refunded` was refunded.
pub fn charge(id: &str, invoice: &str, customer: &str, amount: i64, refunded: i64) -> Value {
    json!({
        "id": id,
        "object": "charge",
        "amount": amount,
        "amount_refunded": refunded,
        "refunded": refunded >= amount,
        "customer": customer,
        "invoice": invoice,
        "payment_intent": format!("pi_{invoice}"),
    })
}
