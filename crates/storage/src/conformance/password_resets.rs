//! Password resets: one-time tokens mailed to known e-mails, looked at without being used,
//! used once (spending the user's other tokens and ending their dashboard sessions).

use chrono::Duration;

use super::fixtures::{mail, sleep_ms};
use crate::{OneTime, Store};

/// `create_password_reset` stores a token and queues its mail only when a user has the
/// e-mail, and says whether one has.
pub async fn create_password_reset_only_for_known_emails(store: &dyn Store) {
    store
        .create_first_user("ana@example.com", "Ana", "h")
        .await
        .unwrap();
    let nobody = store
        .create_password_reset(
            "bo@example.com",
            "reset-1",
            Duration::hours(1),
            mail("password_reset", "bo@example.com"),
        )
        .await
        .unwrap();
    assert!(!nobody);
    assert_eq!(store.outbox_counts().await.unwrap().pending, 0);
    assert_eq!(
        store.password_reset("reset-1").await.unwrap(),
        OneTime::Unknown
    );
    let known = store
        .create_password_reset(
            "ana@example.com",
            "reset-2",
            Duration::hours(1),
            mail("password_reset", "ana@example.com"),
        )
        .await
        .unwrap();
    assert!(known);
    assert_eq!(store.outbox_counts().await.unwrap().pending, 1);
    let queued = store.claim_mails(10, Duration::minutes(1)).await.unwrap();
    assert_eq!(
        (
            queued.len(),
            queued[0].kind.as_str(),
            queued[0].recipient.as_str()
        ),
        (1, "password_reset", "ana@example.com")
    );
}

/// `password_reset` tells whether a token is usable without using it.
pub async fn password_reset_looks_without_using(store: &dyn Store) {
    store
        .create_first_user("ana@example.com", "Ana", "h")
        .await
        .unwrap();
    let m = mail("password_reset", "ana@example.com");
    store
        .create_password_reset("ana@example.com", "tok", Duration::hours(1), m)
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            store.password_reset("tok").await.unwrap(),
            OneTime::Usable(())
        );
    }
    assert_eq!(
        store.password_reset("unknown").await.unwrap(),
        OneTime::Unknown
    );
}

/// `reset_password` uses a token once: it sets the password, spends every other
/// outstanding token of the user and ends every dashboard session of the user.
pub async fn reset_password_is_one_time_and_ends_sessions(store: &dyn Store) {
    let u = store
        .create_first_user("ana@example.com", "Ana", "old-hash")
        .await
        .unwrap();
    for tok in ["t1", "t2"] {
        let m = mail("password_reset", "ana@example.com");
        store
            .create_password_reset("ana@example.com", tok, Duration::hours(1), m)
            .await
            .unwrap();
    }
    store
        .create_web_session("ws", u.id, Duration::hours(1), Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(
        store.reset_password("unknown", "x").await.unwrap(),
        OneTime::Unknown
    );
    assert_eq!(
        store.reset_password("t1", "new-hash").await.unwrap(),
        OneTime::Usable(u.clone())
    );
    let c = store
        .user_credentials("ana@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.password_hash, "new-hash");
    assert!(store
        .web_session_user("ws", Duration::hours(1))
        .await
        .unwrap()
        .is_none());
    for tok in ["t1", "t2"] {
        assert_eq!(store.password_reset(tok).await.unwrap(), OneTime::Spent);
        assert_eq!(
            store.reset_password(tok, "other").await.unwrap(),
            OneTime::Spent
        );
    }
    let c = store
        .user_credentials("ana@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.password_hash, "new-hash", "a spent token changes nothing");
}

/// A reset token past its lifetime is spent, for looking and for using.
pub async fn expired_password_reset_is_spent(store: &dyn Store) {
    store
        .create_first_user("ana@example.com", "Ana", "old")
        .await
        .unwrap();
    let m = mail("password_reset", "ana@example.com");
    store
        .create_password_reset("ana@example.com", "short", Duration::seconds(1), m)
        .await
        .unwrap();
    sleep_ms(1200).await;
    assert_eq!(store.password_reset("short").await.unwrap(), OneTime::Spent);
    assert_eq!(
        store.reset_password("short", "new").await.unwrap(),
        OneTime::Spent
    );
    let c = store
        .user_credentials("ana@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.password_hash, "old");
}
