//! Outgoing webhooks: endpoints per scope, events written with the changes they tell of,
//! fan-out once per event and endpoint, claims under a lease, attempts recorded.

use chrono::Duration;
use coditect_domain::{DeliveryStatus, LicensePatch, NewWebhookEndpoint, WebhookPatch};
use uuid::Uuid;

use super::fixtures::{acquire, actor, license, take, tenant};
use crate::{Attempt, NewDelivery, Store, WebhookScope};
use coditect_domain::PageRequest;

pub(crate) fn endpoint(tenant_id: Option<Uuid>, events: &[&str]) -> NewWebhookEndpoint {
    NewWebhookEndpoint {
        tenant_id,
        url: "https://hooks.example.com/in".into(),
        description: Some("crm".into()),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        secret_sealed: "sealed secret".into(),
    }
}

pub(crate) fn page() -> PageRequest {
    PageRequest {
        after: None,
        limit: 50,
    }
}

/// Fans every pending event out to the endpoints that want it, as the server does.
pub(crate) async fn fan_out_all(store: &dyn Store) -> usize {
    let events = store.undispatched_events(100).await.unwrap();
    let endpoints = store.enabled_webhooks().await.unwrap();
    let deliveries = crate::fan_out_plan(&events, &endpoints);
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    store.fan_out(&deliveries, &ids).await.unwrap();
    deliveries.len()
}

/// An endpoint is seen, changed and removed only in its own scope; staff's have no tenant.
pub async fn webhooks_are_kept_to_their_scope(store: &dyn Store) {
    let (a, b) = (tenant(store).await, tenant(store).await);
    let ea = store
        .create_webhook(endpoint(Some(a.id), &["seat.denied"]))
        .await
        .unwrap();
    let staff = store
        .create_webhook(endpoint(None, &["license.created"]))
        .await
        .unwrap();
    assert_eq!((ea.tenant_id, ea.enabled), (Some(a.id), true));
    assert_eq!(ea.events, vec!["seat.denied".to_owned()]);
    assert_eq!(staff.tenant_id, None);
    let (sa, sb, ss) = (
        WebhookScope::Tenant(a.id),
        WebhookScope::Tenant(b.id),
        WebhookScope::Staff,
    );
    assert_eq!(
        store.get_webhook(sa, ea.id).await.unwrap(),
        Some(ea.clone())
    );
    assert_eq!(store.get_webhook(sb, ea.id).await.unwrap(), None);
    assert_eq!(store.get_webhook(ss, ea.id).await.unwrap(), None);
    assert_eq!(store.get_webhook(sa, staff.id).await.unwrap(), None);
    let listed = store.list_webhooks(sa, page()).await.unwrap();
    assert_eq!(listed.items, vec![ea.clone()]);
    let listed = store.list_webhooks(ss, page()).await.unwrap();
    assert_eq!(listed.items, vec![staff.clone()]);
    let patch = WebhookPatch {
        url: Some("https://hooks.example.com/v2".into()),
        events: Some(vec!["seat.denied".into(), "license.updated".into()]),
        description: Some(None),
        enabled: Some(false),
    };
    assert_eq!(store.update_webhook(sb, ea.id, &patch).await.unwrap(), None);
    let changed = store
        .update_webhook(sa, ea.id, &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.url, "https://hooks.example.com/v2");
    assert_eq!(changed.events.len(), 2);
    assert_eq!((changed.description, changed.enabled), (None, false));
    assert!(changed.updated_at >= ea.updated_at);
    let untouched = store
        .update_webhook(sa, ea.id, &WebhookPatch::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched.url, changed.url);
    assert!(!store.delete_webhook(sb, ea.id).await.unwrap());
    assert!(store.delete_webhook(sa, ea.id).await.unwrap());
    assert!(!store.delete_webhook(sa, ea.id).await.unwrap());
    assert_eq!(
        store.list_deliveries(sa, ea.id, page()).await.unwrap(),
        None
    );
}

/// Creating and changing a license, and a session's expiry, are events of their own
/// transaction, with the license or session as it is after the change.
pub async fn license_and_session_changes_are_events(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 1, 1).await;
    let patch = LicensePatch {
        seats_total: Some(3),
        ..LicensePatch::default()
    };
    store
        .update_license(t.id, l.id, &patch, &actor())
        .await
        .unwrap();
    take(store, &key, "hw-1").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(store.reap_expired(100).await.unwrap(), 1);
    let types: Vec<String> = store
        .undispatched_events(100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types,
        ["license.created", "license.updated", "session.expired"]
    );
    let hook = store
        .create_webhook(endpoint(
            Some(t.id),
            &["license.updated", "session.expired"],
        ))
        .await
        .unwrap();
    assert_eq!(fan_out_all(store).await, 2);
    assert!(store.undispatched_events(100).await.unwrap().is_empty());
    let due = store
        .claim_deliveries(Uuid::now_v7(), 10, Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(due.len(), 2);
    let updated = due
        .iter()
        .find(|d| d.event.event_type == "license.updated")
        .unwrap();
    assert_eq!(updated.event.data["seats_total"], 3);
    assert_eq!(updated.event.data["id"], l.id.to_string());
    assert_eq!(updated.event.tenant_id, t.id);
    assert_eq!(updated.url, hook.url);
    assert_eq!(updated.secret_sealed, "sealed secret");
    let expired = due
        .iter()
        .find(|d| d.event.event_type == "session.expired")
        .unwrap();
    assert_eq!(expired.event.data["license_id"], l.id.to_string());
}

/// Refused acquires make at most one `seat.denied` a license and minute, saying how full
/// the license was.
pub async fn denials_make_one_seat_denied_a_minute(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 1, 60).await;
    let (_, other) = license(store, t.id, 1, 60).await;
    take(store, &key, "hw-1").await;
    take(store, &other, "hw-1").await;
    for hw in ["hw-2", "hw-3", "hw-4"] {
        assert!(store.acquire(acquire(&key, hw)).await.is_err());
    }
    assert!(store.acquire(acquire(&other, "hw-2")).await.is_err());
    store
        .create_webhook(endpoint(Some(t.id), &["seat.denied"]))
        .await
        .unwrap();
    assert_eq!(fan_out_all(store).await, 2, "one a license");
    let due = store
        .claim_deliveries(Uuid::now_v7(), 10, Duration::minutes(1))
        .await
        .unwrap();
    let mine = due
        .iter()
        .find(|d| d.event.data["license_id"] == l.id.to_string())
        .unwrap();
    assert_eq!(mine.event.data["seats_total"], 1);
    assert_eq!(mine.event.data["seats_used"], 1);
}

/// A delivery is made once per event and endpoint however often fan-out runs, claimed by
/// one lease at a time, retried when due, and never claimed again once delivered but by
/// `redeliver`; the log shows each attempt newest first.
pub async fn deliveries_are_claimed_once_and_recorded(store: &dyn Store) {
    let t = tenant(store).await;
    let other = tenant(store).await;
    let hook = store
        .create_webhook(endpoint(Some(t.id), &["license.created"]))
        .await
        .unwrap();
    let staff = store
        .create_webhook(endpoint(None, &["license.created"]))
        .await
        .unwrap();
    license(store, t.id, 1, 60).await;
    license(store, other.id, 1, 60).await;
    let events = store.undispatched_events(10).await.unwrap();
    assert_eq!(
        fan_out_all(store).await,
        3,
        "the tenant's and staff's, and staff's of the other"
    );
    let again: Vec<NewDelivery> = events
        .iter()
        .map(|e| NewDelivery {
            event_id: e.id,
            tenant_id: e.tenant_id,
            endpoint_id: staff.id,
        })
        .collect();
    store.fan_out(&again, &[]).await.unwrap();
    assert_eq!(store.pending_deliveries().await.unwrap(), 3);
    let lease = Uuid::now_v7();
    let first = store
        .claim_deliveries(lease, 10, Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
    assert!(store
        .claim_deliveries(Uuid::now_v7(), 10, Duration::minutes(5))
        .await
        .unwrap()
        .is_empty());
    let mine = first
        .iter()
        .find(|d| d.url == hook.url && d.event.tenant_id == t.id)
        .unwrap();
    let ours = store
        .list_deliveries(WebhookScope::Tenant(t.id), hook.id, page())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ours.items.len(), 1);
    let id = ours.items[0].id;
    let retry = Attempt::Retry {
        status_code: Some(500),
        error: "HTTP 500".into(),
        wait: Duration::zero(),
    };
    assert!(
        !store
            .finish_delivery(id, Uuid::now_v7(), &retry)
            .await
            .unwrap(),
        "a stranger's lease"
    );
    assert!(store.finish_delivery(id, lease, &retry).await.unwrap());
    assert!(
        !store.finish_delivery(id, lease, &retry).await.unwrap(),
        "the lease is spent"
    );
    let lease2 = Uuid::now_v7();
    let second = store
        .claim_deliveries(lease2, 10, Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(
        (second[0].id, second[0].attempts, second[0].event.id),
        (id, 1, mine.event.id)
    );
    let ok = Attempt::Delivered { status_code: 204 };
    assert!(store.finish_delivery(id, lease2, &ok).await.unwrap());
    let log = store
        .list_deliveries(WebhookScope::Tenant(t.id), hook.id, page())
        .await
        .unwrap()
        .unwrap();
    let d = &log.items[0];
    assert_eq!(
        (d.status, d.attempts, d.last_status_code),
        (DeliveryStatus::Delivered, 2, Some(204))
    );
    assert_eq!(
        (d.event.as_str(), d.next_attempt_at),
        ("license.created", None)
    );
    assert!(d.delivered_at.is_some() && d.last_error.is_none());
    assert!(store
        .claim_deliveries(Uuid::now_v7(), 10, Duration::zero())
        .await
        .unwrap()
        .is_empty());
    let staff_log = store
        .list_deliveries(WebhookScope::Staff, staff.id, page())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(staff_log.items.len(), 2);
    assert!(
        staff_log.items[0].id > staff_log.items[1].id,
        "newest first"
    );
    assert_eq!(
        store
            .redeliver(WebhookScope::Tenant(other.id), hook.id, id)
            .await
            .unwrap(),
        None
    );
    let again = store
        .redeliver(WebhookScope::Tenant(t.id), hook.id, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.status, again.attempts), (DeliveryStatus::Pending, 2));
    let third = store
        .claim_deliveries(Uuid::now_v7(), 10, Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(third.len(), 1);
    let give_up = Attempt::GiveUp {
        status_code: None,
        error: "refused".into(),
    };
    assert!(store
        .finish_delivery(third[0].id, Uuid::now_v7(), &give_up)
        .await
        .is_ok());
}
