//! The storage conformance suite (`coditect_storage::conformance`) on SQLite: every check
//! on a fresh database file of its own. Runs on every `cargo test`.

use coditect_storage::conformance::Check;
use coditect_storage_sqlite::SqliteStore;
use coditect_test_support::TestDatabase;

/// Opens a new SQLite file (migrated by `connect`), runs the check on it, and removes the
/// file's directory afterwards, also when the check fails.
async fn run(check: Check) {
    let db = TestDatabase::sqlite();
    let store = SqliteStore::connect(db.url())
        .await
        .expect("open a fresh SQLite database");
    check(&store).await;
}

coditect_storage::conformance_suite!(sqlite, run);
