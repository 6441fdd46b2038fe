//! Migrations proven forward: a database made by the previous release's migrations (read
//! from git at `coditect_test_support::previous_release::PREVIOUS_RELEASE`) and filled as
//! that release filled it is upgraded by `SqliteStore::connect`, and every row is then
//! read, and used, through the current store. An edited migration that already shipped
//! fails here too (sqlx checks the applied migrations' checksums).

use coditect_storage::conformance::upgrade;
use coditect_storage_sqlite::SqliteStore;
use coditect_test_support::{previous_release, TestDatabase};
use sqlx::{Connection, SqliteConnection};
use uuid::Uuid;

#[tokio::test]
async fn a_database_of_the_previous_release_upgrades_and_keeps_its_rows() {
    let db = TestDatabase::sqlite();
    let old = previous_release::migrations("crates/storage-sqlite/migrations");
    let url = format!("{}?mode=rwc", db.url());
    let mut conn = SqliteConnection::connect(&url).await.expect("open");
    sqlx::migrate::Migrator::new(old.path())
        .await
        .expect("the old migrations")
        .run(&mut conn)
        .await
        .expect("the old schema");
    let (tenant, user, license) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let now: i64 = 1_764_000_000_000_000;
    for (sql, ok) in [
        ("INSERT INTO tenants (id, name, slug, created_at) VALUES ($1, 'Old Co', 'old-co', $2)", 1),
        (
            "INSERT INTO users (id, email, name, password_hash, is_staff, created_at, updated_at) \
             VALUES ($3, 'old@example.com', 'Old User', 'hash', 0, $2, $2)",
            1,
        ),
        (
            "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $3, 'owner', $2)",
            1,
        ),
        (
            "INSERT INTO licenses (id, tenant_id, name, key_sealed, key_hash, key_hint, seats_total, \
             heartbeat_ttl_seconds, entitlements, metadata, is_active, created_at, updated_at) \
             VALUES ($4, $1, 'Old license', 'p1:OLD-KEY', 'old-key-hash', 'OLDK', 2, 300, '[]', '{}', 1, $2, $2)",
            1,
        ),
    ] {
        let n = sqlx::query(sql)
            .bind(tenant)
            .bind(now)
            .bind(user)
            .bind(license)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .rows_affected();
        assert_eq!(n, ok, "{sql}");
    }
    conn.close().await.unwrap();

    let store = SqliteStore::connect(db.url())
        .await
        .expect("the current code upgrades the old database");
    upgrade::old_rows_serve(&store, tenant, user).await;
}
