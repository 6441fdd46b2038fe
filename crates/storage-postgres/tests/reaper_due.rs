//! Migration 0016's reap index on `due_at`, pinned down where it could go wrong: a heartbeat
//! must stay a HOT update (no index write), a session whose expiry moves earlier must still be
//! reaped at its new expiry, and sessions the reaper finds due but still live must be left
//! live and re-armed. Skipped unless `CODITECT_TEST_DATABASE_URL` names a PostgreSQL server;
//! CI fails on the skip.

mod support;

use coditect_storage::prelude::*;
use coditect_storage_postgres::PgStore;
use coditect_test_support::TestDatabase;
use sqlx::{Connection, PgConnection};
use support::{one_license, take_seat};
use uuid::Uuid;

/// A license of 100 seats with `taken` live sessions (TTL 60 s): its key hash and the
/// sessions' ids.
async fn license_with_sessions(store: &PgStore, taken: usize) -> (String, Vec<Uuid>) {
    let key_hash = one_license(store, "due", 100, 60).await;
    let mut ids = Vec::new();
    for i in 0..taken {
        ids.push(take_seat(store, &key_hash, &format!("hw-{i}")).await);
    }
    (key_hash, ids)
}

#[tokio::test]
async fn a_heartbeat_is_a_hot_update() {
    let Some(db) = TestDatabase::postgres_or_skip("PostgreSQL reaper index test").await else {
        return;
    };
    let store = PgStore::connect(db.url()).await.expect("migrate");
    let (key_hash, ids) = license_with_sessions(&store, 1).await;
    let mut conn = PgConnection::connect(db.url()).await.unwrap();
    sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
    let outcome: String = sqlx::query_scalar("SELECT outcome FROM coditect_heartbeat($1, $2)")
        .bind(&key_hash)
        .bind(ids[0])
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(outcome, "ok");
    // This transaction's own counters: exact, not the statistics collector's later totals.
    let (updated, hot): (i64, i64) = sqlx::query_as(
        "SELECT pg_stat_get_xact_tuples_updated('sessions'::regclass), \
         pg_stat_get_xact_tuples_hot_updated('sessions'::regclass)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
    assert_eq!(
        (updated, hot),
        (1, 1),
        "the heartbeat's update wrote index entries (a column it sets is indexed)"
    );
}

#[tokio::test]
async fn a_session_whose_expiry_moves_earlier_is_reaped_at_its_new_expiry() {
    let Some(db) = TestDatabase::postgres_or_skip("PostgreSQL reaper index test").await else {
        return;
    };
    let store = PgStore::connect(db.url()).await.expect("migrate");
    let (_, ids) = license_with_sessions(&store, 1).await;
    let mut admin = PgConnection::connect(db.url()).await.unwrap();
    sqlx::query(
        "UPDATE sessions SET expires_at = clock_timestamp() - interval '1 second' WHERE id = $1",
    )
    .bind(ids[0])
    .execute(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        store.reap_expired(10).await.unwrap(),
        1,
        "the dead session was not reaped"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM sessions WHERE id = $1")
        .bind(ids[0])
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(status, "expired");
}

#[tokio::test]
async fn sessions_found_due_but_live_are_rearmed_and_a_dead_one_behind_them_is_reaped() {
    let Some(db) = TestDatabase::postgres_or_skip("PostgreSQL reaper index test").await else {
        return;
    };
    let store = PgStore::connect(db.url()).await.expect("migrate");
    let (_, ids) = license_with_sessions(&store, 6).await;
    let mut admin = PgConnection::connect(db.url()).await.unwrap();
    // Five sessions heartbeated past the time the reaper was told to look at them; the sixth
    // died after that time.
    sqlx::query(
        "UPDATE sessions SET due_at = clock_timestamp() - interval '1 hour' WHERE id = ANY($1)",
    )
    .bind(&ids[..5])
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE sessions SET expires_at = clock_timestamp() - interval '1 second' WHERE id = $1",
    )
    .bind(ids[5])
    .execute(&mut admin)
    .await
    .unwrap();
    // A batch of 2 is smaller than the five live sessions ahead of the dead one.
    assert_eq!(
        store.reap_expired(2).await.unwrap(),
        1,
        "the dead session was not reaped"
    );
    let (live, rearmed): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'active'), \
                count(*) FILTER (WHERE status = 'active' AND due_at = expires_at) \
         FROM sessions WHERE id = ANY($1)",
    )
    .bind(&ids[..5])
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        (live, rearmed),
        (5, 5),
        "live sessions were reaped or not re-armed"
    );
    assert_eq!(
        store.reap_expired(2).await.unwrap(),
        0,
        "a live session was reaped"
    );
}
