//! The store itself: it names its backend, answers pings, and tells the database's time.

use chrono::Utc;

use super::fixtures::tenant;
use crate::Store;

/// `backend` names the store for logs and metrics (a short lower-case word), and `ping`
/// answers on a working database.
pub async fn names_its_backend_and_answers_pings(store: &dyn Store) {
    let name = store.backend();
    assert!(
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase()),
        "backend name {name:?}"
    );
    store.ping().await.expect("ping");
}

/// `now` is the clock records are stamped with: it does not run backwards, and a record
/// written between two readings is stamped between them.
pub async fn now_is_the_clock_records_are_stamped_with(store: &dyn Store) {
    let before = store.now().await.expect("now");
    let t = tenant(store).await;
    let after = store.now().await.expect("now");
    assert!(
        before <= after,
        "the clock ran backwards: {before} then {after}"
    );
    assert!(
        before <= t.created_at && t.created_at <= after,
        "created at {} outside [{before}, {after}]",
        t.created_at
    );
    // The database runs on this machine or near it: a reading days off is a unit mistake.
    let skew = (Utc::now() - after).num_seconds().abs();
    assert!(skew < 3600, "the database clock is {skew} s off");
}
