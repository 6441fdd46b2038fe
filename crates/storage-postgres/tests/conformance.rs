//! The storage conformance suite (`coditect_storage::conformance`) on PostgreSQL: every
//! check in a database of its own, dropped afterwards. Skipped (each test says so and
//! passes) unless `CODITECT_TEST_DATABASE_URL` names a server the tests may create
//! databases on, e.g. `postgres://postgres@127.0.0.1:5432/postgres`; CI fails on the skip.

use coditect_storage::conformance::Check;
use coditect_storage_postgres::PgStore;
use coditect_test_support::TestDatabase;

/// Makes a database of its own for the check, connects (which migrates it), runs the
/// check, and drops the database, also when the check fails.
async fn run(check: Check) {
    let Some(db) = TestDatabase::postgres_or_skip("PostgreSQL conformance test").await else {
        return;
    };
    db.run_then_drop(move |url| async move {
        let store = PgStore::connect(&url)
            .await
            .expect("connect to a fresh PostgreSQL database");
        check(&store).await;
    })
    .await;
}

coditect_storage::conformance_suite!(postgres, run);
