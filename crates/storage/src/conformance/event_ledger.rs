//! The event ledger over time: expiries told once, and pruning that never deletes what is
//! still to be sent.

use chrono::{Duration, Utc};
use coditect_domain::WebhookPatch;
use uuid::Uuid;

use super::fixtures::{create_license, license, new_license, tenant};
use super::webhooks::{endpoint, fan_out_all};
use crate::{Attempt, ExpiredLicense, Store, WebhookScope};

/// A license's expiry is one `license.expired` event, however often it is recorded; a
/// disabled endpoint gets no delivery made.
pub async fn an_expiry_is_recorded_once(store: &dyn Store) {
    let t = tenant(store).await;
    let mut l = new_license(t.id, 1, 60);
    l.expires_at = Some(Utc::now() - Duration::minutes(5));
    let (lic, _) = create_license(store, l).await;
    let mut never = new_license(t.id, 1, 60);
    never.expires_at = Some(Utc::now() + Duration::days(5));
    create_license(store, never).await;
    let since = Utc::now() - Duration::hours(1);
    let expired = store.expired_licenses(since).await.unwrap();
    assert_eq!(expired.len(), 1);
    let ExpiredLicense {
        license_id,
        tenant_id,
        ..
    } = expired[0].clone();
    assert_eq!((license_id, tenant_id), (lic.id, t.id));
    assert_eq!(store.record_expired(&expired).await.unwrap(), 1);
    assert_eq!(store.record_expired(&expired).await.unwrap(), 0);
    let hook = store
        .create_webhook(endpoint(Some(t.id), &["license.expired"]))
        .await
        .unwrap();
    let off = WebhookPatch {
        enabled: Some(false),
        ..WebhookPatch::default()
    };
    store
        .update_webhook(WebhookScope::Tenant(t.id), hook.id, &off)
        .await
        .unwrap();
    assert_eq!(fan_out_all(store).await, 0);
    let on = WebhookPatch {
        enabled: Some(true),
        ..WebhookPatch::default()
    };
    store
        .update_webhook(WebhookScope::Tenant(t.id), hook.id, &on)
        .await
        .unwrap();
    let types: Vec<_> = store.undispatched_events(10).await.unwrap();
    assert!(types.is_empty(), "fanned out while disabled: told no one");
}

/// Pruning history deletes answered deliveries and their events past the retention, and
/// never a pending one.
pub async fn prune_history_keeps_what_is_still_to_send(store: &dyn Store) {
    let t = tenant(store).await;
    store
        .create_webhook(endpoint(Some(t.id), &["license.created"]))
        .await
        .unwrap();
    license(store, t.id, 1, 60).await;
    license(store, t.id, 1, 60).await;
    assert_eq!(fan_out_all(store).await, 2);
    let lease = Uuid::now_v7();
    let due = store
        .claim_deliveries(lease, 1, Duration::minutes(1))
        .await
        .unwrap();
    let ok = Attempt::Delivered { status_code: 200 };
    assert!(store.finish_delivery(due[0].id, lease, &ok).await.unwrap());
    store
        .prune_history(Utc::now() + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        store.pending_deliveries().await.unwrap(),
        1,
        "the pending one stays"
    );
    let left = store
        .claim_deliveries(Uuid::now_v7(), 10, Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].id, due[0].id);
}
