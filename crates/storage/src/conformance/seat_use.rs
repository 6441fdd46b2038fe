//! Seat use for exact seat-hours: each license's sessions that held a seat in a window
//! and its refused acquires, a page of licenses at a time, within one tenant.

use chrono::Duration;

use super::fixtures::{acquire, license, take, tenant};
use crate::{SeatUseQuery, Store};

/// Every license of the page is listed in id order (with no use too, so the page's last
/// id is the next cursor), with its sessions' stored times oldest first and its denials;
/// another tenant's sessions never show.
pub async fn seat_use_lists_a_page_of_licenses_with_sessions_and_denials(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let mut lics = [
        license(store, t.id, 2, 60).await,
        license(store, t.id, 1, 60).await,
        license(store, t.id, 1, 60).await,
    ];
    lics.sort_by_key(|(l, _)| l.id);
    let (busy, quiet, refusing) = (&lics[0], &lics[1], &lics[2]);
    let (_, other_key) = license(store, other.id, 1, 60).await;
    let released = take(store, &busy.1, "released").await;
    let live = take(store, &busy.1, "live").await;
    store.release(&busy.1, released.id).await.unwrap();
    take(store, &refusing.1, "holder").await;
    assert!(store
        .acquire(acquire(&refusing.1, "refused"))
        .await
        .is_err());
    take(store, &other_key, "elsewhere").await;
    let now = store.now().await.unwrap();
    let mut q = SeatUseQuery {
        tenant_id: t.id,
        license_id: None,
        from: now - Duration::minutes(1),
        to: now + Duration::minutes(1),
        after: None,
        limit: 10,
    };
    let page = store.seat_use(&q).await.unwrap();
    let ids: Vec<_> = page.iter().map(|l| l.license_id).collect();
    assert_eq!(ids, vec![busy.0.id, quiet.0.id, refusing.0.id]);
    let s = &page[0].sessions;
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!(
        (s[0].created_at, s[0].expires_at),
        (released.created_at, released.expires_at)
    );
    assert!(s[0].ended_at.is_some_and(|e| e >= released.created_at));
    assert_eq!((s[1].created_at, s[1].ended_at), (live.created_at, None));
    assert!(page[0].denials.is_empty() && page[1].sessions.is_empty());
    assert_eq!((page[2].sessions.len(), page[2].denials.len()), (1, 1));
    assert!(page[2].denials[0] >= q.from && page[2].denials[0] <= now);

    q.limit = 1;
    q.after = Some(busy.0.id);
    let next = store.seat_use(&q).await.unwrap();
    assert_eq!(
        next.iter().map(|l| l.license_id).collect::<Vec<_>>(),
        vec![quiet.0.id]
    );

    q.after = None;
    q.limit = 10;
    q.license_id = Some(refusing.0.id);
    let one = store.seat_use(&q).await.unwrap();
    assert_eq!(
        one.iter().map(|l| l.license_id).collect::<Vec<_>>(),
        vec![refusing.0.id]
    );
}

/// A session that ended before the window, or begins after it, and a denial outside it,
/// are not in the window's use.
pub async fn seat_use_leaves_out_what_lies_outside_the_window(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, key) = license(store, t.id, 1, 60).await;
    take(store, &key, "holder").await;
    assert!(store.acquire(acquire(&key, "refused")).await.is_err());
    let now = store.now().await.unwrap();
    let later = SeatUseQuery {
        tenant_id: t.id,
        license_id: None,
        from: now + Duration::hours(1),
        to: now + Duration::hours(2),
        after: None,
        limit: 10,
    };
    let earlier = SeatUseQuery {
        from: now - Duration::hours(2),
        to: now - Duration::hours(1),
        ..later
    };
    for q in [later, earlier] {
        let page = store.seat_use(&q).await.unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].license_id, l.id);
        assert!(
            page[0].sessions.is_empty() && page[0].denials.is_empty(),
            "{page:?}"
        );
    }
}
