//! Denials with who was refused: the hardware id and e-mail of each refused acquire (and of
//! a queued one whose wait ran out), listed newest first per tenant or license.

use uuid::Uuid;

use super::fixtures::{acquire, all_pages, license, take, tenant};
use crate::{Denial, Store};

/// `list_denials` names the refused machine and e-mail of every denial of the tenant,
/// newest first, the license's name beside it; a license filter and the paging hold, and
/// another tenant sees none of them.
pub async fn list_denials_names_who_was_refused_newest_first(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let (full, key) = license(store, t.id, 1, 60).await;
    let (quiet, _) = license(store, t.id, 1, 60).await;
    take(store, &key, "hw-holder").await;
    let mut with_email = acquire(&key, "hw-refused-1");
    with_email.user_email = Some("ana@acme.test".into());
    assert!(store.acquire(with_email).await.is_err());
    assert!(store.acquire(acquire(&key, "hw-refused-2")).await.is_err());
    let waiter = Uuid::now_v7();
    let mut queued = acquire(&key, "hw-queued");
    queued.waiter = Some(waiter);
    queued.user_email = Some("bo@acme.test".into());
    assert!(store.acquire(queued).await.is_err());
    store.leave_queue(waiter, true).await.unwrap();

    let page = |license: Option<Uuid>, tenant: Uuid| async move {
        all_pages(
            2,
            |d: &Denial| d.id,
            |p| store.list_denials(tenant, license, p),
        )
        .await
    };
    let listed = page(None, t.id).await;
    let who: Vec<_> = listed
        .iter()
        .map(|d| (d.hardware_id.as_deref(), d.user_email.as_deref()))
        .collect();
    assert_eq!(
        who,
        vec![
            (Some("hw-queued"), Some("bo@acme.test")),
            (Some("hw-refused-2"), None),
            (Some("hw-refused-1"), Some("ana@acme.test")),
        ]
    );
    assert!(listed.iter().all(|d| d.license_id == full.id));
    assert_eq!(listed[0].license_name, full.name);
    assert!(listed
        .windows(2)
        .all(|w| w[0].at >= w[1].at && w[0].id > w[1].id));
    assert_eq!(page(Some(full.id), t.id).await, listed);
    assert!(page(Some(quiet.id), t.id).await.is_empty());
    assert!(page(None, other.id).await.is_empty());
}
