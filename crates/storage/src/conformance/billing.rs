//! [`BillingStore`](crate::BillingStore) and [`BillingTx`](crate::BillingTx): events stored
//! once and claimed once, what a billing transaction keeps (order marks, invoices, trials,
//! tenants' billing), licenses sold under a subscription, and expiry reminders.

use chrono::{Duration, Utc};
use coditect_domain::{
    BillingEventFilter, BillingEventStatus, LicenseFilter, NewBillingEvent, PageRequest,
    Subscription, SubscriptionStatus,
};
use serde_json::json;
use uuid::Uuid;

use super::fixtures::{actor, assert_conflict, create_license, mail, new_license, tenant, unique};
use super::products::new_product;
use crate::{ConflictField, Store};

fn new_event(event_type: &str, created_secs_ago: i64) -> NewBillingEvent {
    let id = unique("evt");
    NewBillingEvent {
        payload: json!({"id": id, "type": event_type}),
        id,
        event_type: event_type.into(),
        created: Utc::now() - Duration::seconds(created_secs_ago),
    }
}

/// An event id is stored once: a second delivery changes nothing stored.
pub async fn store_billing_event_is_idempotent_by_id(store: &dyn Store) {
    let e = new_event("invoice.paid", 10);
    assert!(store.store_billing_event(&e).await.unwrap());
    let mut again = e.clone();
    again.payload = json!({"changed": true});
    assert!(!store.store_billing_event(&again).await.unwrap());
    let stored = store
        .get_billing_event(&e.id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(
        stored.payload, e.payload,
        "a duplicate overwrote the stored event"
    );
    assert_eq!(stored.status, BillingEventStatus::Pending);
    assert_eq!((stored.reason, stored.license_ids.len()), (None, 0));
    assert_eq!(store.pending_billing_events(10).await.unwrap(), vec![e.id]);
}

/// Stored events list newest received first, page, filter by type and status; pending ones come oldest created first.
pub async fn billing_events_list_newest_first_and_filter(store: &dyn Store) {
    let a = new_event("invoice.paid", 30);
    let b = new_event("customer.created", 20);
    let c = new_event("invoice.paid", 40);
    for e in [&a, &b, &c] {
        store.store_billing_event(e).await.unwrap();
    }
    let mut tx = store.billing_tx().await.unwrap();
    tx.claim_event(&b.id).await.unwrap().expect("pending");
    tx.finish_event(
        &b.id,
        BillingEventStatus::Ignored,
        Some("not acted on"),
        &[],
        None,
    )
    .await
    .unwrap();
    let all = store
        .list_billing_events(&BillingEventFilter::default(), PageRequest::default())
        .await
        .unwrap();
    let ids: Vec<&str> = all.items.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![c.id.as_str(), b.id.as_str(), a.id.as_str()],
        "newest received first"
    );
    let page1 = store
        .list_billing_events(
            &BillingEventFilter::default(),
            PageRequest {
                limit: 2,
                after: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page1.items.len(), 2);
    let page2 = store
        .list_billing_events(
            &BillingEventFilter::default(),
            PageRequest {
                limit: 2,
                after: page1.next_after,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page2.items.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        vec![a.id.clone()]
    );
    let paid = BillingEventFilter {
        event_type: Some("invoice.paid".into()),
        ..Default::default()
    };
    let got = store
        .list_billing_events(&paid, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(got.items.len(), 2);
    let ignored = BillingEventFilter {
        status: Some(BillingEventStatus::Ignored),
        ..Default::default()
    };
    let got = store
        .list_billing_events(&ignored, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(got.items.len(), 1);
    assert_eq!(got.items[0].reason.as_deref(), Some("not acted on"));
    // Pending ones, oldest created first.
    assert_eq!(
        store.pending_billing_events(10).await.unwrap(),
        vec![c.id, a.id]
    );
}

/// Of racing transactions one claims an event; a claim rolled back leaves it pending.
pub async fn an_event_is_claimed_once_even_by_racing_transactions(store: &dyn Store) {
    let e = new_event("customer.subscription.updated", 5);
    store.store_billing_event(&e).await.unwrap();
    let t = tenant(store).await;
    let claims = futures::future::join_all((0..8).map(|_| async {
        let mut tx = store.billing_tx().await.unwrap();
        match tx.claim_event(&e.id).await.unwrap() {
            Some(_) => {
                tx.finish_event(
                    &e.id,
                    BillingEventStatus::Applied,
                    Some("done"),
                    &[Uuid::nil()],
                    Some(t.id),
                )
                .await
                .unwrap();
                1
            }
            None => 0,
        }
    }))
    .await;
    assert_eq!(claims.iter().sum::<i32>(), 1);
    let stored = store.get_billing_event(&e.id).await.unwrap().unwrap();
    assert_eq!(stored.status, BillingEventStatus::Applied);
    assert_eq!(
        (stored.license_ids, stored.tenant_id),
        (vec![Uuid::nil()], Some(t.id))
    );
    assert!(store.pending_billing_events(10).await.unwrap().is_empty());
    // A claim rolled back (dropped without finishing) leaves an event pending.
    let f = new_event("invoice.paid", 1);
    store.store_billing_event(&f).await.unwrap();
    {
        let mut tx = store.billing_tx().await.unwrap();
        assert!(tx.claim_event(&f.id).await.unwrap().is_some());
    }
    assert_eq!(store.pending_billing_events(10).await.unwrap(), vec![f.id]);
}

/// What a billing transaction commits: order marks, invoices and their subscriptions, one failure mail per invoice, one trial per e-mail and per hardware id.
pub async fn a_billing_transaction_keeps_marks_invoices_and_trials(store: &dyn Store) {
    let sub = unique("sub");
    let t = Utc::now();
    let mut tx = store.billing_tx().await.unwrap();
    assert_eq!(tx.subscription_mark(&sub).await.unwrap(), None);
    tx.set_subscription_mark(&sub, t, "evt_1").await.unwrap();
    tx.remember_invoice("in_1", Some(&sub), Some("pi_1"))
        .await
        .unwrap();
    tx.remember_invoice("in_1", None, None).await.unwrap();
    assert!(tx.first_failure_mail("in_1").await.unwrap());
    assert!(!tx.first_failure_mail("in_1").await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.billing_tx().await.unwrap();
    let mark = tx.subscription_mark(&sub).await.unwrap().expect("a mark");
    assert!((mark - t).num_milliseconds().abs() < 1, "{mark} vs {t}");
    let by_invoice = tx.subscription_of_charge(Some("in_1"), None).await.unwrap();
    let by_intent = tx.subscription_of_charge(None, Some("pi_1")).await.unwrap();
    assert_eq!(
        (by_invoice.as_deref(), by_intent.as_deref()),
        (Some(sub.as_str()), Some(sub.as_str()))
    );
    assert_eq!(
        tx.subscription_of_charge(Some("in_x"), Some("pi_x"))
            .await
            .unwrap(),
        None
    );
    drop(tx);
    // Trials: one per product per e-mail key and per hardware id.
    let product = store.create_product(new_product(&[])).await.unwrap();
    let tn = tenant(store).await;
    let (l, _) = create_license(store, new_license(tn.id, 1, 60)).await;
    let mut tx = store.billing_tx().await.unwrap();
    assert!(!tx
        .trial_taken(product.id, "a@x.io", Some("hw"))
        .await
        .unwrap());
    assert!(tx
        .record_trial(product.id, "a@x.io", Some("hw"), &l)
        .await
        .unwrap());
    assert!(!tx
        .record_trial(product.id, "a@x.io", None, &l)
        .await
        .unwrap());
    assert!(!tx
        .record_trial(product.id, "b@x.io", Some("hw"), &l)
        .await
        .unwrap());
    assert!(tx
        .record_trial(product.id, "c@x.io", None, &l)
        .await
        .unwrap());
    assert!(tx
        .trial_taken(product.id, "z@x.io", Some("hw"))
        .await
        .unwrap());
    tx.commit().await.unwrap();
}

/// A Stripe customer is billed as one tenant; the billing e-mail is found case-insensitively.
pub async fn tenant_billing_links_one_customer_to_one_tenant(store: &dyn Store) {
    let (a, b) = (tenant(store).await, tenant(store).await);
    let customer = unique("cus");
    let mut tx = store.billing_tx().await.unwrap();
    let linked = tx
        .set_tenant_billing(a.id, Some(&customer), Some("Billing@X.io"), &actor())
        .await
        .unwrap();
    assert_eq!(
        linked.stripe_customer_id.as_deref(),
        Some(customer.as_str())
    );
    assert_eq!(
        tx.tenant_by_customer(&customer)
            .await
            .unwrap()
            .map(|t| t.id),
        Some(a.id)
    );
    assert_eq!(
        tx.tenant_by_billing_email("billing@x.io")
            .await
            .unwrap()
            .map(|t| t.id),
        Some(a.id)
    );
    assert_eq!(tx.slugs_like(&a.slug).await.unwrap(), vec![a.slug.clone()]);
    tx.commit().await.unwrap();
    assert_eq!(
        store
            .get_tenant(a.id)
            .await
            .unwrap()
            .unwrap()
            .billing_email
            .as_deref(),
        Some("Billing@X.io")
    );
    let mut tx = store.billing_tx().await.unwrap();
    let r = tx
        .set_tenant_billing(b.id, Some(&customer), None, &actor())
        .await;
    assert_conflict(r, ConflictField::StripeCustomer);
}

/// A license keeps its product and subscription, is found by them, and is one per subscription and product.
pub async fn licenses_sold_under_a_subscription_are_found_and_filtered(store: &dyn Store) {
    let t = tenant(store).await;
    let product = store.create_product(new_product(&[])).await.unwrap();
    let sub_id = unique("sub");
    let mut l = new_license(t.id, 3, 60);
    l.product_id = Some(product.id);
    l.subscription = Some(Subscription {
        provider: "stripe".into(),
        id: sub_id.clone(),
        customer_id: "cus_1".into(),
        status: SubscriptionStatus::Trialing,
        current_period_end: Some(Utc::now() + Duration::days(3)),
        cancel_at_period_end: false,
    });
    let (sold, _) = create_license(store, l).await;
    create_license(store, new_license(t.id, 1, 60)).await;
    assert_eq!(sold.product_id, Some(product.id));
    assert_eq!(
        sold.subscription.as_ref().map(|s| s.status),
        Some(SubscriptionStatus::Trialing)
    );
    let mut tx = store.billing_tx().await.unwrap();
    let found = tx.licenses_of_subscription(&sub_id).await.unwrap();
    assert_eq!(
        found.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![sold.id]
    );
    drop(tx);
    for filter in [
        LicenseFilter {
            subscription_id: Some(sub_id.clone()),
            ..Default::default()
        },
        LicenseFilter {
            product_id: Some(product.id),
            ..Default::default()
        },
    ] {
        let page = store
            .list_licenses(t.id, &filter, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(
            page.items.iter().map(|l| l.license.id).collect::<Vec<_>>(),
            vec![sold.id]
        );
    }
    // One license per subscription and product.
    let mut dup = new_license(t.id, 1, 60);
    dup.product_id = Some(product.id);
    dup.subscription = sold.subscription.clone();
    let r = store.create_license(dup, &actor()).await;
    assert!(
        r.is_err(),
        "a second license of one subscription and product"
    );
}

/// Expiring licenses are found with the reminders sent for their expiry; a threshold is recorded, with its mails, once.
pub async fn an_expiry_reminder_is_recorded_once_with_its_mails(store: &dyn Store) {
    let t = tenant(store).await;
    let mut l = new_license(t.id, 1, 60);
    l.expires_at = Some(Utc::now() + Duration::days(3));
    let (soon, _) = create_license(store, l).await;
    let mut later = new_license(t.id, 1, 60);
    later.expires_at = Some(Utc::now() + Duration::days(30));
    create_license(store, later).await;
    let found = store
        .expiring_licenses(Utc::now() + Duration::days(7))
        .await
        .unwrap();
    let x = found
        .iter()
        .find(|x| x.license.id == soon.id)
        .expect("the expiring license");
    assert!(found
        .iter()
        .all(|x| x.license.expires_at <= Some(Utc::now() + Duration::days(7))));
    assert!(x.sent_thresholds.is_empty());
    assert_eq!(x.tenant_name, t.name);
    let before = store.outbox_counts().await.unwrap().pending;
    let m = mail("expiry_reminder", "owner@x.io");
    assert!(store
        .record_expiry_reminder(x, &[7], std::slice::from_ref(&m))
        .await
        .unwrap());
    assert!(!store
        .record_expiry_reminder(x, &[7], std::slice::from_ref(&m))
        .await
        .unwrap());
    assert_eq!(store.outbox_counts().await.unwrap().pending, before + 1);
    let again = store
        .expiring_licenses(Utc::now() + Duration::days(7))
        .await
        .unwrap();
    let x = again.iter().find(|x| x.license.id == soon.id).unwrap();
    assert_eq!(x.sent_thresholds, vec![7]);
}
