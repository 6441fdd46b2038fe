//! How this backend runs a statement (arguments as one tuple, driver errors mapped
//! once), and how PostgreSQL's column types (uuid, text, bigint, boolean, timestamptz, jsonb) read as
//! the shapes of `coditect_storage::decode`.

use chrono::{DateTime, Utc};
use coditect_storage::decode::{corrupt, Columns};
use coditect_storage::sql::Args;
use coditect_storage::StoreResult;
use serde::de::DeserializeOwned;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgExecutor, Postgres, Row};
use uuid::Uuid;

use crate::{err, PgStore};
use async_trait::async_trait;
use coditect_storage::StoreHealth;

/// A row as the shared decoders read it (a wrapper, because neither the trait nor the
/// driver's row type is this crate's).
pub(crate) struct Cols<'r>(pub &'r PgRow);

impl Columns for Cols<'_> {
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
        self.0.try_get(col).map_err(err)
    }
    fn opt_json<T: DeserializeOwned>(&self, col: &str) -> StoreResult<Option<T>> {
        let v: Option<Json<T>> = self.0.try_get(col).map_err(|_| corrupt(col))?;
        Ok(v.map(|j| j.0))
    }
}

/// Runs a statement; how many rows it changed.
pub(crate) async fn exec<'q>(
    c: impl PgExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Postgres>,
) -> StoreResult<u64> {
    let done = args.bind(sqlx::query(sql)).execute(c).await.map_err(err)?;
    Ok(done.rows_affected())
}

/// The one row a statement returns.
pub(crate) async fn one<'q>(
    c: impl PgExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Postgres>,
) -> StoreResult<PgRow> {
    args.bind(sqlx::query(sql)).fetch_one(c).await.map_err(err)
}

/// The row a statement returns, if any.
pub(crate) async fn opt<'q>(
    c: impl PgExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Postgres>,
) -> StoreResult<Option<PgRow>> {
    args.bind(sqlx::query(sql))
        .fetch_optional(c)
        .await
        .map_err(err)
}

/// Every row a statement returns.
pub(crate) async fn all<'q>(
    c: impl PgExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Postgres>,
) -> StoreResult<Vec<PgRow>> {
    args.bind(sqlx::query(sql)).fetch_all(c).await.map_err(err)
}

/// The one value a statement returns.
pub(crate) async fn scalar<'q, O>(
    c: impl PgExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Postgres>,
) -> StoreResult<O>
where
    (O,): for<'r> sqlx::FromRow<'r, PgRow>,
    O: Send + Unpin,
{
    let q = args.bind_scalar(sqlx::query_scalar(sql));
    q.fetch_one(c).await.map_err(err)
}

/// The value a statement returns, if it returns a row.
pub(crate) async fn opt_scalar<'q, O>(
    c: impl PgExecutor<'_>,
    sql: &'q str,
    args: impl Args<'q, Postgres>,
) -> StoreResult<Option<O>>
where
    (O,): for<'r> sqlx::FromRow<'r, PgRow>,
    O: Send + Unpin,
{
    let q = args.bind_scalar(sqlx::query_scalar(sql));
    q.fetch_optional(c).await.map_err(err)
}

#[async_trait]
impl StoreHealth for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        exec(&self.pool, "SELECT 1", ()).await?;
        Ok(())
    }

    async fn now(&self) -> StoreResult<DateTime<Utc>> {
        scalar(&self.pool, "SELECT clock_timestamp()", ()).await
    }
}
