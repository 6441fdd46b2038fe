//! The master-key rotation re-seals every sealed column: a migration that adds a
//! `*_sealed` column without adding it to `SEALED_COLUMNS` would leave its values under
//! the old key, unreadable once that key is gone. This reads the migrated schema.

use coditect_storage::shared::sealed::SEALED_COLUMNS;
use coditect_storage_sqlite::SqliteStore;
use coditect_test_support::TestDatabase;
use sqlx::{Connection, SqliteConnection};

#[tokio::test]
async fn every_sealed_column_of_the_schema_is_resealed() {
    let db = TestDatabase::sqlite();
    SqliteStore::connect(db.url()).await.expect("migrate");
    let mut conn = SqliteConnection::connect(db.url()).await.expect("open");
    let mut in_schema: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND p.name LIKE '%\\_sealed' ESCAPE '\\'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("the schema");
    in_schema.sort();
    let mut listed: Vec<(String, String)> = SEALED_COLUMNS
        .iter()
        .map(|c| (c.table.to_owned(), c.column.to_owned()))
        .collect();
    listed.sort();
    assert_eq!(in_schema, listed);
}
