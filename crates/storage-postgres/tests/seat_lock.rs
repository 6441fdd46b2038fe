//! The seat lock of migration 0015, pinned down where a race would break the seat invariant:
//! a heartbeat decided its session live (before its expiry) but has not committed yet, and
//! an acquire that reads the clock after that expiry sees the old, dead version of the row.
//! Without the lock the acquire would leave the seat uncounted and grant it, and the
//! heartbeat would then commit a second live session on a one-seat license. With it, the
//! acquire waits for the heartbeat and counts the extended session.
//!
//! The acquire is the function's call after a reclaim (`p_reclaimed`), where dead seats are
//! not reclaimed again but left uncounted: the path the lock exists for. Skipped unless
//! `CODITECT_TEST_DATABASE_URL` names a PostgreSQL server; CI fails on the skip.

mod support;

use std::time::Duration;

use coditect_storage_postgres::PgStore;
use coditect_test_support::TestDatabase;
use sqlx::{Connection, PgConnection, Row};
use support::{one_license, take_seat};

const ACQUIRE_AFTER_RECLAIM: &str = "SELECT outcome, seats_used FROM coditect_acquire(\
     $1, 'hw-late', NULL, NULL, NULL, NULL, gen_random_uuid(), 60, gen_random_uuid(), true)";

#[tokio::test]
async fn an_acquire_waits_for_a_heartbeat_under_way_and_counts_its_seat() {
    let Some(db) = TestDatabase::postgres_or_skip("PostgreSQL seat lock test").await else {
        return;
    };
    let store = PgStore::connect(db.url()).await.expect("migrate");
    // A one-seat license with one live session.
    let key_hash = one_license(&store, "lock", 1, 60).await;
    let session = take_seat(&store, &key_hash, "hw-first").await;
    let mut admin = PgConnection::connect(db.url()).await.unwrap();
    let mut heartbeat = PgConnection::connect(db.url()).await.unwrap();
    let mut acquire = PgConnection::connect(db.url()).await.unwrap();

    // The session dies in 400 ms; the heartbeat decides it live now, and holds its commit.
    sqlx::query(
        "UPDATE sessions SET expires_at = clock_timestamp() + interval '400 milliseconds' \
         WHERE id = $1",
    )
    .bind(session)
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::query("BEGIN").execute(&mut heartbeat).await.unwrap();
    let hb: String = sqlx::query_scalar("SELECT outcome FROM coditect_heartbeat($1, $2)")
        .bind(&key_hash)
        .bind(session)
        .fetch_one(&mut heartbeat)
        .await
        .unwrap();
    assert_eq!(hb, "ok");
    tokio::time::sleep(Duration::from_millis(600)).await;

    // Past the old expiry, an acquire begins: it must wait for the heartbeat.
    let key = key_hash.clone();
    let late = tokio::spawn(async move {
        sqlx::query(ACQUIRE_AFTER_RECLAIM)
            .bind(&key)
            .fetch_one(&mut acquire)
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !late.is_finished(),
        "the acquire was decided while a heartbeat of the license was under way"
    );
    sqlx::query("COMMIT").execute(&mut heartbeat).await.unwrap();
    let row = late.await.unwrap();
    let outcome: String = row.get("outcome");
    let used: i64 = row.get("seats_used");
    assert_eq!(
        (outcome.as_str(), used),
        ("no_seats_available", 1),
        "the acquire did not count the seat the heartbeat kept"
    );
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sessions WHERE status = 'active' \
         AND expires_at > clock_timestamp()",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(live, 1, "two live sessions on a one-seat license");
}
