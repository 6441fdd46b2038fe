//! Key reissue: a license gets a new key; the old one is retired, admitting no new seat,
//! while the seats it gave go on under the license's current key.

use super::fixtures::{actor, audit_log, license, take, tenant, unique};
use crate::{ConflictField, NewLicenseKey, Store, StoreError};

fn new_key(prefix: &str) -> NewLicenseKey {
    let hash = unique(prefix);
    NewLicenseKey {
        sealed: format!("sealed {hash}"),
        hint: hash[hash.len() - 4..].to_uppercase(),
        hash,
    }
}

/// `reissue_license_key` swaps the key (hash, sealed form, hint), retires the old hash
/// pointing at the license's current key for the sessions begun before the reissue only,
/// keeps the live seat, and audits `license.key_reissue`; a second reissue repoints every
/// retired key at the newest.
pub async fn reissue_license_key_retires_the_old_key_and_keeps_seats(store: &dyn Store) {
    let t = tenant(store).await;
    let (l, old_hash) = license(store, t.id, 2, 60).await;
    let seat = take(store, &old_hash, "hw-before-reissue").await;
    let first = new_key("reissued");
    let after = store
        .reissue_license_key(t.id, l.id, first.clone(), &actor())
        .await
        .unwrap()
        .expect("the tenant's license");
    assert_eq!(after.license.key_hint, first.hint);
    assert_eq!(after.license.key_sealed, first.sealed);
    assert_eq!(after.seats_used, 1, "the live seat stays");
    assert!(store
        .find_license_by_key(&old_hash)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .find_license_by_key(&first.hash)
            .await
            .unwrap()
            .unwrap()
            .license
            .id,
        l.id
    );
    let retired = store
        .retired_license_key(&old_hash, seat.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            retired.tenant_id,
            retired.license_id,
            retired.current_key_hash.as_str()
        ),
        (t.id, l.id, first.hash.as_str())
    );
    assert!(retired.retired_at <= store.now().await.unwrap());
    assert!(store
        .retired_license_key(&first.hash, seat.id)
        .await
        .unwrap()
        .is_none());
    // The old key gives no seat; the seat it gave heartbeats under the current key.
    let refused = store
        .acquire(super::fixtures::acquire(&old_hash, "hw-after"))
        .await;
    assert!(
        matches!(refused, Err(StoreError::LicenseNotFound)),
        "{refused:?}"
    );
    assert!(store.heartbeat(&old_hash, seat.id).await.is_err());
    store.heartbeat(&first.hash, seat.id).await.unwrap();
    // A seat taken with the new key is never the old key's to serve.
    let later = take(store, &first.hash, "hw-after").await;
    assert!(store
        .retired_license_key(&old_hash, later.id)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .retired_license_key(&old_hash, uuid::Uuid::now_v7())
        .await
        .unwrap()
        .is_none());

    let second = new_key("reissued-again");
    store
        .reissue_license_key(t.id, l.id, second.clone(), &actor())
        .await
        .unwrap()
        .unwrap();
    for (h, session) in [
        (&old_hash, seat.id),
        (&first.hash, seat.id),
        (&first.hash, later.id),
    ] {
        let r = store
            .retired_license_key(h, session)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            r.current_key_hash, second.hash,
            "every retired key follows the newest"
        );
    }
    let log = audit_log(store, t.id).await;
    let reissues: Vec<_> = log
        .iter()
        .filter(|e| e.action == "license.key_reissue")
        .collect();
    assert_eq!(reissues.len(), 2);
    assert!(reissues.iter().all(|e| e.resource_id == l.id));
}

/// Another tenant's license is `None` and changes nothing; a taken key is a conflict on
/// `license_key` and leaves the old key working.
pub async fn reissue_license_key_of_another_tenant_or_to_a_taken_key_changes_nothing(
    store: &dyn Store,
) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let (l, hash) = license(store, t.id, 1, 60).await;
    let (_, taken) = license(store, t.id, 1, 60).await;
    assert!(store
        .reissue_license_key(other.id, l.id, new_key("nope"), &actor())
        .await
        .unwrap()
        .is_none());
    let mut clash = new_key("clash");
    clash.hash = taken;
    let r = store.reissue_license_key(t.id, l.id, clash, &actor()).await;
    assert!(
        matches!(r, Err(StoreError::Conflict(ConflictField::LicenseKey))),
        "{r:?}"
    );
    assert!(store.find_license_by_key(&hash).await.unwrap().is_some());
    let seat = take(store, &hash, "hw-1").await;
    assert!(store
        .retired_license_key(&hash, seat.id)
        .await
        .unwrap()
        .is_none());
}
