//! Usage history: samples of seats used (one per license and slot), denials, their
//! aggregation per bucket, the staff view per tenant, and retention.

use chrono::{DateTime, Duration, Utc};
use coditect_domain::{BucketUsage, MemberRole};
use futures::future::join_all;
use uuid::Uuid;

use super::fixtures::{
    acquire, actor, invitation, license, mail, quiet_slot, sleep_ms, take, tenant,
};
use crate::{OneTime, Store};

const HOUR: i64 = 3600;

async fn buckets(
    store: &dyn Store,
    tenant_id: Uuid,
    license_id: Option<Uuid>,
    hour: DateTime<Utc>,
) -> (Vec<BucketUsage>, Vec<(DateTime<Utc>, i64)>) {
    store
        .usage_buckets(tenant_id, license_id, hour, hour + Duration::hours(1), HOUR)
        .await
        .expect("usage buckets")
}

fn bucket(at: DateTime<Utc>, sum: i64, peak: i64, slots: i64) -> BucketUsage {
    BucketUsage {
        at,
        sum,
        peak,
        slots,
    }
}

/// `sample_usage` samples each license with a live session or session activity within
/// `lookback` (an ended session counts as activity, with zero seats), once per license and
/// slot however often it runs; licenses without recent activity get no sample.
pub async fn sample_usage_samples_active_licenses_once_per_slot(store: &dyn Store) {
    let hour = quiet_slot(store, HOUR, 20).await;
    let t = tenant(store).await;
    let (stale, stale_key) = license(store, t.id, 2, 60).await;
    let old = take(store, &stale_key, "old").await;
    store.release(&stale_key, old.id).await.unwrap();
    sleep_ms(1200).await;
    let (busy, busy_key) = license(store, t.id, 3, 60).await;
    take(store, &busy_key, "a").await;
    take(store, &busy_key, "b").await;
    let (ended, ended_key) = license(store, t.id, 2, 60).await;
    let s = take(store, &ended_key, "c").await;
    store.release(&ended_key, s.id).await.unwrap();
    let (idle, _) = license(store, t.id, 2, 60).await;
    assert_eq!(
        store
            .sample_usage(HOUR, Duration::seconds(1))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .sample_usage(HOUR, Duration::seconds(1))
            .await
            .unwrap(),
        0
    );
    // A longer lookback reaches the stale license; the others keep their one sample.
    assert_eq!(
        store
            .sample_usage(HOUR, Duration::minutes(5))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        buckets(store, t.id, Some(busy.id), hour).await.0,
        vec![bucket(hour, 2, 2, 1)]
    );
    assert_eq!(
        buckets(store, t.id, Some(ended.id), hour).await.0,
        vec![bucket(hour, 0, 0, 1)]
    );
    assert_eq!(
        buckets(store, t.id, Some(stale.id), hour).await.0,
        vec![bucket(hour, 0, 0, 1)]
    );
    assert!(buckets(store, t.id, Some(idle.id), hour).await.0.is_empty());
}

/// Samplers running at once (one per server process) write one sample per license and
/// slot between them.
pub async fn concurrent_samplers_write_one_sample_per_license(store: &dyn Store) {
    quiet_slot(store, HOUR, 20).await;
    let t = tenant(store).await;
    for _ in 0..3 {
        let (_, key) = license(store, t.id, 2, 60).await;
        take(store, &key, "hw").await;
    }
    let runs = join_all((0..6).map(|_| store.sample_usage(HOUR, Duration::minutes(5)))).await;
    let written: u64 = runs.into_iter().map(|n| n.expect("sample")).sum();
    assert_eq!(written, 3);
}

/// `usage_buckets` sums seats over the tenant's licenses (or one license) per sample
/// slot, and per bucket gives the sum, the peak and the number of slots of those totals,
/// with the denials per bucket; nothing of another tenant, nothing outside `[from, to)`.
pub async fn usage_buckets_sum_seats_per_slot_and_count_denials(store: &dyn Store) {
    let hour = quiet_slot(store, HOUR, 20).await;
    let (t, u) = (tenant(store).await, tenant(store).await);
    let (a, key_a) = license(store, t.id, 2, 60).await;
    let (b, key_b) = license(store, t.id, 1, 60).await;
    let (_, key_u) = license(store, u.id, 1, 60).await;
    take(store, &key_a, "a1").await;
    let a2 = take(store, &key_a, "a2").await;
    take(store, &key_b, "b1").await;
    take(store, &key_u, "u1").await;
    assert!(store.acquire(acquire(&key_b, "refused")).await.is_err());
    assert!(store.acquire(acquire(&key_u, "refused")).await.is_err());
    assert!(store.acquire(acquire(&key_u, "refused-too")).await.is_err());
    // Two one-second slots: 3 seats in use in the first, 2 in the second.
    assert_eq!(
        store.sample_usage(1, Duration::minutes(5)).await.unwrap(),
        3
    );
    store.release(&key_a, a2.id).await.unwrap();
    sleep_ms(1100).await;
    assert_eq!(
        store.sample_usage(1, Duration::minutes(5)).await.unwrap(),
        3
    );
    let (usage, denials) = buckets(store, t.id, None, hour).await;
    assert_eq!(
        (usage, denials),
        (vec![bucket(hour, 5, 3, 2)], vec![(hour, 1)])
    );
    let (usage, denials) = buckets(store, t.id, Some(a.id), hour).await;
    assert_eq!((usage, denials), (vec![bucket(hour, 3, 2, 2)], vec![]));
    let (usage, denials) = buckets(store, t.id, Some(b.id), hour).await;
    assert_eq!(
        (usage, denials),
        (vec![bucket(hour, 2, 1, 2)], vec![(hour, 1)])
    );
    let (usage, denials) = buckets(store, u.id, None, hour).await;
    assert_eq!(
        (usage, denials),
        (vec![bucket(hour, 2, 1, 2)], vec![(hour, 2)])
    );
    let later = buckets(store, t.id, None, hour + Duration::hours(1)).await;
    assert_eq!(later, (vec![], vec![]));
    // Minute buckets split the hour; their totals are the hour's.
    let (minutes, _) = store
        .usage_buckets(t.id, None, hour, hour + Duration::hours(1), 60)
        .await
        .unwrap();
    assert_eq!(minutes.iter().map(|b| b.sum).sum::<i64>(), 5);
    assert!(minutes
        .iter()
        .all(|b| b.at >= hour && b.at.timestamp() % 60 == 0));
}

/// `tenant_usage` reports every tenant (with or without licenses or samples): peak, sum and
/// slots of its per-slot totals and its denials in `[from, to)`, its licenses and its live
/// sessions now.
pub async fn tenant_usage_reports_every_tenant(store: &dyn Store) {
    let hour = quiet_slot(store, HOUR, 20).await;
    let (t, u, v) = (
        tenant(store).await,
        tenant(store).await,
        tenant(store).await,
    );
    let (_, key) = license(store, t.id, 2, 60).await;
    license(store, t.id, 1, 60).await;
    license(store, u.id, 1, 60).await;
    take(store, &key, "a").await;
    take(store, &key, "b").await;
    assert!(store.acquire(acquire(&key, "c")).await.is_err());
    store
        .sample_usage(HOUR, Duration::minutes(5))
        .await
        .unwrap();
    let report = store
        .tenant_usage(hour, hour + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(report.len(), 3);
    let of = |id: Uuid| {
        report
            .iter()
            .find(|r| r.tenant_id == id)
            .expect("every tenant")
            .clone()
    };
    let r = of(t.id);
    assert_eq!(
        (r.tenant_name.as_str(), r.peak, r.sum, r.slots, r.denials),
        (t.name.as_str(), 2, 2, 1, 1)
    );
    assert_eq!((r.licenses, r.live_sessions), (2, 2));
    let r = of(u.id);
    assert_eq!(
        (
            r.peak,
            r.sum,
            r.slots,
            r.denials,
            r.licenses,
            r.live_sessions
        ),
        (0, 0, 0, 0, 1, 0)
    );
    let r = of(v.id);
    assert_eq!(
        (
            r.peak,
            r.sum,
            r.slots,
            r.denials,
            r.licenses,
            r.live_sessions
        ),
        (0, 0, 0, 0, 0, 0)
    );
    let next = store
        .tenant_usage(hour + Duration::hours(1), hour + Duration::hours(2))
        .await
        .unwrap();
    let r = next.iter().find(|r| r.tenant_id == t.id).unwrap();
    assert_eq!(
        (r.peak, r.sum, r.slots, r.denials),
        (0, 0, 0, 0),
        "outside the range"
    );
    assert_eq!(
        (r.licenses, r.live_sessions),
        (2, 2),
        "now, whatever the range"
    );
}

/// `prune_history` deletes usage history before `before`, dashboard sessions past their
/// expiry, reset tokens expired over a day ago and unaccepted invitations expired over 30
/// days ago, and counts what it deleted; everything that can still matter stays.
pub async fn prune_history_deletes_what_can_no_longer_matter(store: &dyn Store) {
    let hour = quiet_slot(store, HOUR, 20).await;
    let user = store
        .create_first_user("ana@example.com", "Ana", "h")
        .await
        .unwrap();
    let t = tenant(store).await;
    let (_, key) = license(store, t.id, 1, 60).await;
    take(store, &key, "hw").await;
    assert!(store.acquire(acquire(&key, "refused")).await.is_err());
    assert_eq!(
        store
            .sample_usage(HOUR, Duration::minutes(5))
            .await
            .unwrap(),
        1
    );
    let day = Duration::days(1);
    store
        .create_web_session("ws-live", user.id, Duration::hours(1), day)
        .await
        .unwrap();
    store
        .create_web_session("ws-dead", user.id, Duration::seconds(-1), day)
        .await
        .unwrap();
    for (tok, ttl) in [
        ("r-live", Duration::hours(1)),
        ("r-recent", Duration::hours(-1)),
        ("r-old", Duration::days(-2)),
    ] {
        let m = mail("password_reset", "ana@example.com");
        assert!(store
            .create_password_reset("ana@example.com", tok, ttl, m)
            .await
            .unwrap());
    }
    for (tok, ttl) in [
        ("i-live", day),
        ("i-recent", Duration::days(-2)),
        ("i-old", Duration::days(-31)),
    ] {
        // One address each: a second invitation to an address would replace the first.
        let to = format!("{tok}@example.com");
        let inv = invitation(t.id, &to, MemberRole::Viewer, tok, ttl);
        store
            .create_invitation(inv, mail("invitation", &to), &actor())
            .await
            .unwrap();
    }
    let sent = store.claim_mails(1, Duration::minutes(5)).await.unwrap();
    store.mail_sent(sent[0].id).await.unwrap();
    let outbox = store.outbox_counts().await.unwrap();
    let now = store.now().await.unwrap();
    // History newer than `before` stays; the dead session and the old tokens go.
    assert_eq!(store.prune_history(now - day).await.unwrap(), 3);
    assert_eq!(buckets(store, t.id, None, hour).await.0.len(), 1);
    assert_eq!(
        store
            .prune_history(now + Duration::minutes(1))
            .await
            .unwrap(),
        2
    );
    assert_eq!(buckets(store, t.id, None, hour).await, (vec![], vec![]));
    assert_eq!(
        store
            .prune_history(now + Duration::minutes(1))
            .await
            .unwrap(),
        0
    );
    assert!(store
        .web_session_user("ws-live", Duration::hours(1))
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store.password_reset("r-live").await.unwrap(),
        OneTime::Usable(())
    );
    assert_eq!(
        store.password_reset("r-recent").await.unwrap(),
        OneTime::Spent
    );
    assert_eq!(
        store.password_reset("r-old").await.unwrap(),
        OneTime::Unknown
    );
    assert!(matches!(
        store.invitation("i-live").await.unwrap(),
        OneTime::Usable(_)
    ));
    assert_eq!(store.invitation("i-recent").await.unwrap(), OneTime::Spent);
    assert_eq!(store.invitation("i-old").await.unwrap(), OneTime::Unknown);
    assert_eq!(
        store.outbox_counts().await.unwrap(),
        outbox,
        "no mail of the last 30 days goes"
    );
}
