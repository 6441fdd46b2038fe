//! Migrations proven forward on PostgreSQL: a database made by the previous release's
//! migrations (read from git at `coditect_test_support::previous_release`) and filled as
//! that release filled it is upgraded by `PgStore::connect`; the old rows are then read
//! and used through the current store, row-level security and all.
//!
//! Skipped unless `CODITECT_TEST_DATABASE_URL` is set (like pg_smoke); CI fails on the skip.

use coditect_storage::conformance::upgrade;
use coditect_storage_postgres::PgStore;
use coditect_test_support::{previous_release, TestDatabase};
use sqlx::types::Json;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

#[tokio::test]
async fn a_database_of_the_previous_release_upgrades_and_keeps_its_rows() {
    let Some(db) = TestDatabase::postgres_or_skip("PostgreSQL upgrade test").await else {
        return;
    };
    let url = db.url().to_owned();
    {
        // Not in `run_then_drop`'s task: sqlx's migrator future is not `Send` there. A
        // failure leaves the database for a look; CI sweeps leftovers.
        let old = previous_release::migrations("crates/storage-postgres/migrations");
        let mut conn = PgConnection::connect(&url).await.expect("connect");
        sqlx::migrate::Migrator::new(old.path())
            .await
            .expect("the old migrations")
            .run(&mut conn)
            .await
            .expect("the old schema");
        let (tenant, user, license) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let now = chrono::Utc::now();
        sqlx::query(
            "INSERT INTO tenants (id, name, slug, created_at) VALUES ($1, 'Old Co', 'old-co', $2)",
        )
        .bind(tenant)
        .bind(now)
        .execute(&mut conn)
        .await
        .expect("an old tenant");
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, is_staff, created_at, updated_at) \
             VALUES ($1, 'old@example.com', 'Old User', 'hash', false, $2, $2)",
        )
        .bind(user)
        .bind(now)
        .execute(&mut conn)
        .await
        .expect("an old user");
        sqlx::query("INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)")
            .bind(tenant)
            .bind(user)
            .bind(now)
            .execute(&mut conn)
            .await
            .expect("an old membership");
        sqlx::query(
            "INSERT INTO licenses (id, tenant_id, name, key_sealed, key_hash, key_hint, seats_total, \
             heartbeat_ttl_seconds, entitlements, metadata, is_active, created_at, updated_at) \
             VALUES ($1, $2, 'Old license', 'p1:OLD-KEY', 'old-key-hash', 'OLDK', 2, 300, $3, $4, true, $5, $5)",
        )
        .bind(license)
        .bind(tenant)
        .bind(Json(serde_json::json!([])))
        .bind(Json(serde_json::json!({})))
        .bind(now)
        .execute(&mut conn)
        .await
        .expect("an old license");
        conn.close().await.unwrap();

        let store = PgStore::connect(&url)
            .await
            .expect("the current code upgrades the old database");
        upgrade::old_rows_serve(&store, tenant, user).await;
    }
    db.drop_database().await;
}
