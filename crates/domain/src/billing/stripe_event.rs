//! Stripe's events, parsed from the JSON Stripe sends into the few facts each handled type
//! carries. Shapes follow Stripe's API reference; where API versions differ (the period
//! end moved from the subscription to its items in 2025; an invoice's subscription moved
//! under `parent.subscription_details`), both shapes are read. A field that may be an id or
//! an expanded object is read either way.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::SubscriptionStatus;

/// An event as far as this server cares.
#[derive(Clone, Debug, PartialEq)]
pub struct StripeEvent {
    /// `evt_…`.
    pub id: String,
    /// Stripe's type, e.g. `invoice.paid`.
    pub event_type: String,
    /// Stripe's `created`: the order events about one subscription are applied in.
    pub created: DateTime<Utc>,
    /// What the handled types carry; [`StripeEventBody::Unhandled`] for the rest.
    pub body: StripeEventBody,
}

/// The facts of one handled event type.
#[derive(Clone, Debug, PartialEq)]
pub enum StripeEventBody {
    /// `checkout.session.completed`.
    CheckoutCompleted(Checkout),
    /// `customer.subscription.created` and `.updated`.
    SubscriptionChanged(StripeSubscription),
    /// `customer.subscription.deleted`.
    SubscriptionDeleted(StripeSubscription),
    /// `invoice.paid`.
    InvoicePaid(Invoice),
    /// `invoice.payment_failed`.
    InvoicePaymentFailed(Invoice),
    /// `charge.refunded`.
    ChargeRefunded(Charge),
    /// A type this server stores and does not act on.
    Unhandled,
}

/// A completed checkout: which customer bought, and who they are.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkout {
    /// `cus_…`; `None` for a checkout that made no customer (then it is ignored).
    pub customer: Option<String>,
    /// `metadata.tenant_id` when it is a uuid: the vendor's own link to a tenant.
    pub tenant_hint: Option<Uuid>,
    /// `customer_details.email`.
    pub email: Option<String>,
    /// `customer_details.name`.
    pub name: Option<String>,
}

/// A subscription as its events carry it.
#[derive(Clone, Debug, PartialEq)]
pub struct StripeSubscription {
    /// `sub_…`.
    pub id: String,
    /// `cus_…`.
    pub customer: String,
    /// Stripe's status.
    pub status: SubscriptionStatus,
    /// The subscription's own `current_period_end`, when this API version has one.
    pub current_period_end: Option<DateTime<Utc>>,
    /// `cancel_at_period_end`.
    pub cancel_at_period_end: bool,
    /// `cancel_at`: when a scheduled cancellation takes effect.
    pub cancel_at: Option<DateTime<Utc>>,
    /// `ended_at`: when it ended, for a deleted one.
    pub ended_at: Option<DateTime<Utc>>,
    /// `metadata.tenant_id` when it is a uuid.
    pub tenant_hint: Option<Uuid>,
    /// Its items.
    pub items: Vec<SubscriptionItem>,
}

/// One item of a subscription: a price and how many units of it.
#[derive(Clone, Debug, PartialEq)]
pub struct SubscriptionItem {
    /// `price.id` (or the older `plan.id`).
    pub price_id: String,
    /// Units bought (`quantity`, 1 when Stripe omits it).
    pub quantity: i64,
    /// The item's `current_period_end` (API versions since 2025).
    pub current_period_end: Option<DateTime<Utc>>,
}

/// An invoice, for renewals and failed payments.
#[derive(Clone, Debug, PartialEq)]
pub struct Invoice {
    /// `in_…`.
    pub id: String,
    /// `cus_…`, when the invoice names it.
    pub customer: Option<String>,
    /// The subscription it bills, in either API shape.
    pub subscription: Option<String>,
    /// Its payment intent, so a later refund of the charge finds the subscription.
    pub payment_intent: Option<String>,
    /// The largest `lines.data[].period.end`: the end of the period it paid for.
    pub period_end: Option<DateTime<Utc>>,
}

/// A refunded charge.
#[derive(Clone, Debug, PartialEq)]
pub struct Charge {
    /// `ch_…`.
    pub id: String,
    /// `cus_…`, when the charge names it.
    pub customer: Option<String>,
    /// The invoice it paid, when the API version still says.
    pub invoice: Option<String>,
    /// Its payment intent.
    pub payment_intent: Option<String>,
    /// True when all of it was refunded (`refunded`, or `amount_refunded ≥ amount`).
    pub full_refund: bool,
}

impl StripeSubscription {
    /// The end of the paid period: the subscription's field when present, else the largest
    /// of its items' (both API shapes).
    pub fn period_end(&self) -> Option<DateTime<Utc>> {
        self.current_period_end
            .or_else(|| self.items.iter().filter_map(|i| i.current_period_end).max())
    }
}

/// Why an event could not be read; it is stored and ignored with this as its reason.
pub type Malformed = String;

fn unix(v: &Value) -> Option<DateTime<Utc>> {
    v.as_i64().and_then(|s| Utc.timestamp_opt(s, 0).single())
}

/// An id field: Stripe sends either the id or the expanded object with an `id`.
fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn tenant_hint(obj: &Value) -> Option<Uuid> {
    obj.pointer("/metadata/tenant_id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s.trim()).ok())
}

fn required(obj: &Value, field: &str) -> Result<String, Malformed> {
    id_of(&obj[field]).ok_or_else(|| format!("data.object.{field} is missing"))
}

fn subscription(obj: &Value) -> Result<StripeSubscription, Malformed> {
    let items = obj
        .pointer("/items/data")
        .and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|item| {
            let price_id = id_of(&item["price"]).or_else(|| id_of(&item["plan"]))?;
            Some(SubscriptionItem {
                price_id,
                quantity: item["quantity"].as_i64().unwrap_or(1),
                current_period_end: unix(&item["current_period_end"]),
            })
        })
        .collect();
    Ok(StripeSubscription {
        id: required(obj, "id")?,
        customer: required(obj, "customer")?,
        status: SubscriptionStatus::parse(obj["status"].as_str().unwrap_or_default()),
        current_period_end: unix(&obj["current_period_end"]),
        cancel_at_period_end: obj["cancel_at_period_end"].as_bool().unwrap_or(false),
        cancel_at: unix(&obj["cancel_at"]),
        ended_at: unix(&obj["ended_at"]),
        tenant_hint: tenant_hint(obj),
        items,
    })
}

fn invoice(obj: &Value) -> Result<Invoice, Malformed> {
    let subscription = id_of(&obj["subscription"])
        .or_else(|| id_of(&obj["parent"]["subscription_details"]["subscription"]));
    let payment_intent = id_of(&obj["payment_intent"]).or_else(|| {
        obj.pointer("/payments/data/0/payment/payment_intent")
            .and_then(id_of)
    });
    let period_end = obj
        .pointer("/lines/data")
        .and_then(Value::as_array)
        .map(|lines| lines.iter().filter_map(|l| unix(&l["period"]["end"])).max())
        .unwrap_or_default()
        .or_else(|| unix(&obj["period_end"]));
    Ok(Invoice {
        id: required(obj, "id")?,
        customer: id_of(&obj["customer"]),
        subscription,
        payment_intent,
        period_end,
    })
}

fn charge(obj: &Value) -> Result<Charge, Malformed> {
    let amount = obj["amount"].as_i64();
    let refunded = obj["amount_refunded"].as_i64();
    let full_refund = obj["refunded"].as_bool().unwrap_or(false)
        || matches!((amount, refunded), (Some(a), Some(r)) if a > 0 && r >= a);
    Ok(Charge {
        id: required(obj, "id")?,
        customer: id_of(&obj["customer"]),
        invoice: id_of(&obj["invoice"]),
        payment_intent: id_of(&obj["payment_intent"]),
        full_refund,
    })
}

impl StripeEvent {
    /// Reads an event. `Err` when its envelope (`id`, `type`, `created`) is unusable; a
    /// handled type whose object lacks what it needs yields `Ok` with the envelope and an
    /// inner `Err` so it can be stored and ignored with the reason.
    pub fn parse(v: &Value) -> Result<(Self, Result<(), Malformed>), Malformed> {
        let id = text(&v["id"]).ok_or("the event has no id")?;
        if id.len() > 255 {
            return Err("the event id is longer than 255 characters".into());
        }
        let event_type = text(&v["type"]).ok_or("the event has no type")?;
        if event_type.len() > 255 {
            return Err("the event type is longer than 255 characters".into());
        }
        let created = unix(&v["created"]).ok_or("the event has no created time")?;
        let obj = &v["data"]["object"];
        let body = match event_type.as_str() {
            "checkout.session.completed" => Ok(StripeEventBody::CheckoutCompleted(Checkout {
                customer: id_of(&obj["customer"]),
                tenant_hint: tenant_hint(obj),
                email: text(&obj["customer_details"]["email"])
                    .or_else(|| text(&obj["customer_email"])),
                name: text(&obj["customer_details"]["name"]),
            })),
            "customer.subscription.created" | "customer.subscription.updated" => {
                subscription(obj).map(StripeEventBody::SubscriptionChanged)
            }
            "customer.subscription.deleted" => {
                subscription(obj).map(StripeEventBody::SubscriptionDeleted)
            }
            "invoice.paid" => invoice(obj).map(StripeEventBody::InvoicePaid),
            "invoice.payment_failed" => invoice(obj).map(StripeEventBody::InvoicePaymentFailed),
            "charge.refunded" => charge(obj).map(StripeEventBody::ChargeRefunded),
            _ => Ok(StripeEventBody::Unhandled),
        };
        let (body, problem) = match body {
            Ok(b) => (b, Ok(())),
            Err(why) => (StripeEventBody::Unhandled, Err(why)),
        };
        Ok((
            Self {
                id,
                event_type,
                created,
                body,
            },
            problem,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(t: &str, obj: Value) -> Value {
        json!({"id": "evt_1", "object": "event", "type": t, "created": 1_700_000_000,
               "data": {"object": obj}})
    }

    #[test]
    fn the_period_end_is_read_from_the_subscription_or_else_its_items() {
        let old = event(
            "customer.subscription.updated",
            json!({"id": "sub_1", "customer": "cus_1",
            "status": "active", "current_period_end": 1_800_000_000,
            "items": {"data": [{"price": {"id": "price_1"}, "quantity": 2}]}}),
        );
        let new = event(
            "customer.subscription.updated",
            json!({"id": "sub_1", "customer": {"id": "cus_1"},
            "status": "past_due", "items": {"data": [
                {"price": {"id": "price_1"}, "quantity": 2, "current_period_end": 1_800_000_100},
                {"price": "price_2", "current_period_end": 1_800_000_050}]}}),
        );
        for (v, end) in [(old, 1_800_000_000), (new, 1_800_000_100)] {
            let (e, ok) = StripeEvent::parse(&v).unwrap();
            ok.unwrap();
            let StripeEventBody::SubscriptionChanged(s) = e.body else {
                panic!()
            };
            assert_eq!(s.customer, "cus_1");
            assert_eq!(s.period_end().unwrap().timestamp(), end);
        }
    }

    #[test]
    fn an_invoice_names_its_subscription_in_either_api_shape() {
        let old = event(
            "invoice.paid",
            json!({"id": "in_1", "subscription": "sub_1",
            "lines": {"data": [{"period": {"end": 10}}, {"period": {"end": 20}}]}}),
        );
        let new = event(
            "invoice.paid",
            json!({"id": "in_1",
            "parent": {"subscription_details": {"subscription": "sub_1"}},
            "lines": {"data": [{"period": {"end": 20}}]}}),
        );
        for v in [old, new] {
            let (e, _) = StripeEvent::parse(&v).unwrap();
            let StripeEventBody::InvoicePaid(i) = e.body else {
                panic!()
            };
            assert_eq!(i.subscription.as_deref(), Some("sub_1"));
            assert_eq!(i.period_end.unwrap().timestamp(), 20);
        }
    }

    #[test]
    fn a_partial_refund_is_not_a_full_one() {
        let partial = event(
            "charge.refunded",
            json!({"id": "ch_1", "amount": 1000, "amount_refunded": 400, "refunded": false}),
        );
        let full = event(
            "charge.refunded",
            json!({"id": "ch_1", "amount": 1000, "amount_refunded": 1000}),
        );
        let full_of = |v: &Value| match StripeEvent::parse(v).unwrap().0.body {
            StripeEventBody::ChargeRefunded(c) => c.full_refund,
            _ => panic!(),
        };
        assert!(!full_of(&partial));
        assert!(full_of(&full));
    }

    #[test]
    fn unusable_envelopes_and_objects_are_told_apart() {
        assert!(StripeEvent::parse(&json!({"type": "x", "created": 1})).is_err());
        assert!(StripeEvent::parse(&json!({"id": "evt", "type": "x"})).is_err());
        let (e, problem) = StripeEvent::parse(&event(
            "customer.subscription.created",
            json!({"customer": "cus"}),
        ))
        .unwrap();
        assert_eq!(e.body, StripeEventBody::Unhandled);
        assert!(problem.unwrap_err().contains("id"));
        let (e, problem) = StripeEvent::parse(&event("customer.created", json!({}))).unwrap();
        assert_eq!(e.body, StripeEventBody::Unhandled);
        assert!(problem.is_ok());
    }
}
