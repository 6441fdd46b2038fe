//! The heartbeats' group commit (`src/batch.rs`, decision 0008), pinned down where it could
//! go wrong: heartbeats that arrive together must share transactions, and each caller must
//! still get its own session's answer (extended, released or unknown), never a neighbour's.
//! Skipped unless `CODITECT_TEST_DATABASE_URL` names a PostgreSQL server; CI fails on the
//! skip.

mod support;

use std::collections::HashSet;

use coditect_domain::{SeatError, SessionStatus};
use coditect_storage::prelude::*;
use coditect_storage::StoreError;
use coditect_storage_postgres::PgStore;
use coditect_test_support::TestDatabase;
use support::{one_license, take_seat};
use uuid::Uuid;

/// What a caller expects of its heartbeat.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Extended,
    Released,
    NotFound,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_arriving_together_share_commits_and_each_gets_its_own_answer() {
    let Some(db) = TestDatabase::postgres_or_skip("PostgreSQL heartbeat batch test").await else {
        return;
    };
    // A pool of 4: one heartbeat worker, so whatever arrives while it is busy waits for
    // its next batch.
    let store = PgStore::connect_with_pool(db.url(), 4)
        .await
        .expect("migrate");
    let key = one_license(&store, "batch", 100, 60).await;
    let other_key = one_license(&store, "batch-other", 10, 60).await;
    let mut cases: Vec<(String, Uuid, Expect)> = Vec::new();
    for i in 0..40 {
        let id = take_seat(&store, &key, &format!("hw-{i}")).await;
        cases.push((key.clone(), id, Expect::Extended));
    }
    for i in 0..6 {
        let id = take_seat(&store, &key, &format!("gone-{i}")).await;
        store.release(&key, id).await.unwrap();
        cases.push((key.clone(), id, Expect::Released));
    }
    for _ in 0..6 {
        cases.push((key.clone(), Uuid::new_v4(), Expect::NotFound));
    }
    // A live session of another license, heartbeated with this license's key.
    let foreign = take_seat(&store, &other_key, "foreign").await;
    cases.push((key.clone(), foreign, Expect::NotFound));

    let calls: Vec<_> = cases
        .iter()
        .cloned()
        .map(|(k, id, expect)| {
            let store = store.clone();
            tokio::spawn(async move { (id, expect, store.heartbeat(&k, id).await) })
        })
        .collect();
    let mut extended = Vec::new();
    for call in calls {
        let (id, expect, got) = call.await.unwrap();
        match (expect, got) {
            (Expect::Extended, Ok(hb)) => {
                assert_eq!(
                    hb.session.id, id,
                    "a heartbeat got another session's answer"
                );
                assert_eq!(hb.session.status, SessionStatus::Active);
                assert!(
                    hb.session.expires_at > hb.now,
                    "the session was not extended"
                );
                assert_eq!(hb.seats_used, 40, "not the license's live count");
                extended.push(id);
            }
            (
                Expect::Released,
                Err(StoreError::Seat(SeatError::SessionReleased { forced: false })),
            ) => {}
            (Expect::NotFound, Err(StoreError::SessionNotFound)) => {}
            (expect, got) => panic!("session {id}: expected {expect:?}, got {got:?}"),
        }
    }
    assert_eq!(extended.len(), 40);

    // Rows a transaction wrote carry its id (xmin): the 40 extensions must have been
    // committed by far fewer transactions than heartbeats.
    let writers: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT xmin::text FROM sessions WHERE id = ANY($1)")
            .bind(&extended)
            .fetch_all(&db_pool(&db).await)
            .await
            .unwrap();
    let writers: HashSet<String> = writers.into_iter().collect();
    assert!(
        writers.len() <= 10,
        "40 heartbeats arriving together were committed by {} transactions",
        writers.len()
    );
}

async fn db_pool(db: &TestDatabase) -> sqlx::PgPool {
    sqlx::PgPool::connect(db.url()).await.unwrap()
}
