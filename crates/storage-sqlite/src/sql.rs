//! How this backend runs a statement (arguments as one tuple, driver errors mapped
//! once), and how SQLite's column types read as the shapes of `coditect_storage::decode` (times are
//! integer microseconds, UUIDs blobs, JSON text), for both drivers this backend uses:
//! sqlx for most work, rusqlite on the seat writer thread and the hot readers.

use chrono::{DateTime, Utc};
use coditect_storage::decode::{corrupt, Columns};
use coditect_storage::sql::Args;
use coditect_storage::StoreResult;
use serde::de::DeserializeOwned;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteExecutor};
use uuid::Uuid;

use crate::err;
use crate::writer::db_err;
use crate::SqliteStore;
use async_trait::async_trait;
use coditect_storage::StoreHealth;

/// Microseconds since the epoch to a UTC time.
pub(crate) fn time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// A value as the JSON text SQLite stores.
pub(crate) fn to_json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// A row of either driver, as the shared decoders read it (a wrapper, because neither
/// the trait nor the drivers' row types are this crate's).
pub(crate) struct Cols<'r, R>(pub &'r R);

fn parse_json<T: DeserializeOwned>(text: Option<String>, col: &str) -> StoreResult<Option<T>> {
    text.map(|t| serde_json::from_str(&t).map_err(|_| corrupt(col)))
        .transpose()
}

impl Columns for Cols<'_, SqliteRow> {
    fn uuid(&self, col: &str) -> StoreResult<Uuid> {
        self.0.try_get(col).map_err(err)
    }
    fn opt_uuid(&self, col: &str) -> StoreResult<Option<Uuid>> {
        self.0.try_get(col).map_err(err)
    }
    fn text(&self, col: &str) -> StoreResult<String> {
        self.0.try_get(col).map_err(err)
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.0.try_get(col).map_err(err)
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.0.try_get(col).map_err(err)
    }
    fn flag(&self, col: &str) -> StoreResult<bool> {
        self.0.try_get(col).map_err(err)
    }
    fn opt_time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(self
            .0
            .try_get::<Option<i64>, _>(col)
            .map_err(err)?
            .map(time))
    }
    fn opt_json<T: DeserializeOwned>(&self, col: &str) -> StoreResult<Option<T>> {
        parse_json(self.0.try_get(col).map_err(err)?, col)
    }
}

impl Columns for Cols<'_, rusqlite::Row<'_>> {
    fn uuid(&self, col: &str) -> StoreResult<Uuid> {
        self.0.get(col).map_err(db_err)
    }
    fn opt_uuid(&self, col: &str) -> StoreResult<Option<Uuid>> {
        self.0.get(col).map_err(db_err)
    }
    fn text(&self, col: &str) -> StoreResult<String> {
        self.0.get(col).map_err(db_err)
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.0.get(col).map_err(db_err)
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.0.get(col).map_err(db_err)
    }
    fn flag(&self, col: &str) -> StoreResult<bool> {
        self.0.get(col).map_err(db_err)
    }
    fn opt_time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(self.0.get::<_, Option<i64>>(col).map_err(db_err)?.map(time))
    }
    fn opt_json<T: DeserializeOwned>(&self, col: &str) -> StoreResult<Option<T>> {
        parse_json(self.0.get(col).map_err(db_err)?, col)
    }
}

/// Runs a statement; how many rows it changed.
pub(crate) async fn exec<'q>(
    c: impl SqliteExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Sqlite>,
) -> StoreResult<u64> {
    let done = args.bind(sqlx::query(sql)).execute(c).await.map_err(err)?;
    Ok(done.rows_affected())
}

/// The one row a statement returns.
pub(crate) async fn one<'q>(
    c: impl SqliteExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Sqlite>,
) -> StoreResult<SqliteRow> {
    args.bind(sqlx::query(sql)).fetch_one(c).await.map_err(err)
}

/// The row a statement returns, if any.
pub(crate) async fn opt<'q>(
    c: impl SqliteExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Sqlite>,
) -> StoreResult<Option<SqliteRow>> {
    args.bind(sqlx::query(sql))
        .fetch_optional(c)
        .await
        .map_err(err)
}

/// Every row a statement returns.
pub(crate) async fn all<'q>(
    c: impl SqliteExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Sqlite>,
) -> StoreResult<Vec<SqliteRow>> {
    args.bind(sqlx::query(sql)).fetch_all(c).await.map_err(err)
}

/// The one value a statement returns.
pub(crate) async fn scalar<'q, O>(
    c: impl SqliteExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Sqlite>,
) -> StoreResult<O>
where
    (O,): for<'r> sqlx::FromRow<'r, SqliteRow>,
    O: Send + Unpin,
{
    let q = args.bind_scalar(sqlx::query_scalar(sql));
    q.fetch_one(c).await.map_err(err)
}

/// The value a statement returns, if it returns a row.
pub(crate) async fn opt_scalar<'q, O>(
    c: impl SqliteExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Sqlite>,
) -> StoreResult<Option<O>>
where
    (O,): for<'r> sqlx::FromRow<'r, SqliteRow>,
    O: Send + Unpin,
{
    let q = args.bind_scalar(sqlx::query_scalar(sql));
    q.fetch_optional(c).await.map_err(err)
}

#[async_trait]
impl StoreHealth for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        exec(&self.reader, "SELECT 1", ()).await?;
        Ok(())
    }

    async fn now(&self) -> StoreResult<DateTime<Utc>> {
        Ok(time(crate::now_micros()))
    }
}
