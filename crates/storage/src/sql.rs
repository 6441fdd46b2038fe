//! How both backends run a statement through sqlx, written once: arguments as one tuple
//! bound in order (`(sql, (a, b, c))` instead of a chain of `.bind` calls), driver errors
//! mapped onto [`StoreError`] in one place, and rows read through the shared decoders.
//! A backend says only which executor it runs on and how its columns store times and JSON.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use sqlx::any::AnyQueryResult;
use sqlx::error::DatabaseError;
use sqlx::query::{Query, QueryScalar};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Row, Type};
use uuid::Uuid;

use crate::decode::Columns;
use crate::{ConflictField, StoreError, StoreResult};

/// The arguments of one statement: a tuple of up to 14 values (or `()`), bound in order
/// to `$1`, `$2`, ... (PostgreSQL) or `?` / `?N` (SQLite).
pub trait Args<'q, DB: Database> {
    /// Binds every argument to a row query.
    fn bind(self, q: Query<'q, DB, DB::Arguments<'q>>) -> Query<'q, DB, DB::Arguments<'q>>;
    /// Binds every argument to a scalar query.
    fn bind_scalar<O>(
        self,
        q: QueryScalar<'q, DB, O, DB::Arguments<'q>>,
    ) -> QueryScalar<'q, DB, O, DB::Arguments<'q>>;
}

macro_rules! tuple_args {
    ($($t:ident),*) => {
        impl<'q, DB: Database, $($t: 'q + Encode<'q, DB> + Type<DB>),*> Args<'q, DB> for ($($t,)*) {
            #[allow(non_snake_case)]
            fn bind(self, q: Query<'q, DB, DB::Arguments<'q>>) -> Query<'q, DB, DB::Arguments<'q>> {
                let ($($t,)*) = self;
                q$(.bind($t))*
            }
            #[allow(non_snake_case)]
            fn bind_scalar<O>(
                self,
                q: QueryScalar<'q, DB, O, DB::Arguments<'q>>,
            ) -> QueryScalar<'q, DB, O, DB::Arguments<'q>> {
                let ($($t,)*) = self;
                q$(.bind($t))*
            }
        }
    };
}

tuple_args!();
tuple_args!(A);
tuple_args!(A, B);
tuple_args!(A, B, C);
tuple_args!(A, B, C, D);
tuple_args!(A, B, C, D, E);
tuple_args!(A, B, C, D, E, F);
tuple_args!(A, B, C, D, E, F, G);
tuple_args!(A, B, C, D, E, F, G, H);
tuple_args!(A, B, C, D, E, F, G, H, I);
tuple_args!(A, B, C, D, E, F, G, H, I, J);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K, L);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K, L, M);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K, L, M, N);

/// Maps a driver error onto the storage error the HTTP layer understands: what a retry
/// may cure is `Unavailable` (503), anything else `Internal`.
pub fn driver_error(e: sqlx::Error) -> StoreError {
    let transient = match &e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => is_transient(d.as_ref()),
        _ => false,
    };
    if transient {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Internal(e.to_string())
    }
}

/// Errors a retry may cure: the database out of reach ([`unreachable_code`]), a
/// serialization failure or deadlock (40001, 40P01), a lock not available (55P03), and on
/// SQLite its busy timeout running out ("database is locked").
fn is_transient(d: &dyn DatabaseError) -> bool {
    d.message().contains("database is locked")
        || d.code().is_some_and(|c| {
            unreachable_code(&c) || matches!(c.as_ref(), "40001" | "40P01" | "55P03")
        })
}

/// Whether a driver error says the database cannot serve any statement now, so that trying
/// others at once would fail the same way: the connection or pool is gone, or the database
/// answered with one of [`unreachable_code`]'s codes. A statement's own failure (a
/// deadlock, a timeout, a constraint) is not.
pub fn database_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => d.code().is_some_and(|c| unreachable_code(&c)),
        _ => true,
    }
}

/// PostgreSQL's codes for a database out of reach: a connection lost or refused (class
/// 08), the server shutting down or starting (57P01-03), too many connections (53300), and
/// a write refused as read-only (25006 `read_only_sql_transaction`): during a failover the
/// database address can lead to a standby not yet promoted, which refuses every write
/// until it is (the server opens no read-only transaction on PostgreSQL, so there this
/// code means nothing else).
fn unreachable_code(c: &str) -> bool {
    c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03" | "53300" | "25006")
}

/// Like [`driver_error`], but a unique violation becomes a conflict on `field`.
pub fn unique_to_conflict(e: sqlx::Error, field: ConflictField) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(field),
        _ => driver_error(e),
    }
}

/// Runs a statement; how many rows it changed.
pub async fn exec<'q, 'c, DB>(
    c: impl Executor<'c, Database = DB>,
    sql: &'q str,
    args: impl Args<'q, DB>,
) -> StoreResult<u64>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
    DB::QueryResult: Into<AnyQueryResult>,
{
    let q = args.bind(sqlx::query(sql));
    let done: AnyQueryResult = q.execute(c).await.map_err(driver_error)?.into();
    Ok(done.rows_affected())
}

/// The one row a statement returns.
pub async fn one<'q, 'c, DB>(
    c: impl Executor<'c, Database = DB>,
    sql: &'q str,
    args: impl Args<'q, DB>,
) -> StoreResult<DB::Row>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let q = args.bind(sqlx::query(sql));
    q.fetch_one(c).await.map_err(driver_error)
}

/// The one row an insert returns, a unique violation reported as `Conflict(field)`.
pub async fn one_or_conflict<'q, 'c, DB>(
    c: impl Executor<'c, Database = DB>,
    sql: &'q str,
    args: impl Args<'q, DB>,
    field: ConflictField,
) -> StoreResult<DB::Row>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let q = args.bind(sqlx::query(sql));
    q.fetch_one(c)
        .await
        .map_err(|e| unique_to_conflict(e, field))
}

/// The row a statement returns, if any.
pub async fn opt<'q, 'c, DB>(
    c: impl Executor<'c, Database = DB>,
    sql: &'q str,
    args: impl Args<'q, DB>,
) -> StoreResult<Option<DB::Row>>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let q = args.bind(sqlx::query(sql));
    q.fetch_optional(c).await.map_err(driver_error)
}

/// Every row a statement returns.
pub async fn all<'q, 'c, DB>(
    c: impl Executor<'c, Database = DB>,
    sql: &'q str,
    args: impl Args<'q, DB>,
) -> StoreResult<Vec<DB::Row>>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let q = args.bind(sqlx::query(sql));
    q.fetch_all(c).await.map_err(driver_error)
}

/// The one value a statement returns.
pub async fn scalar<'q, 'c, DB, O>(
    c: impl Executor<'c, Database = DB>,
    sql: &'q str,
    args: impl Args<'q, DB>,
) -> StoreResult<O>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
    (O,): for<'r> FromRow<'r, DB::Row>,
    O: Send + Unpin,
{
    let q = args.bind_scalar(sqlx::query_scalar(sql));
    q.fetch_one(c).await.map_err(driver_error)
}

/// The value a statement returns, if it returns a row.
pub async fn opt_scalar<'q, 'c, DB, O>(
    c: impl Executor<'c, Database = DB>,
    sql: &'q str,
    args: impl Args<'q, DB>,
) -> StoreResult<Option<O>>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
    (O,): for<'r> FromRow<'r, DB::Row>,
    O: Send + Unpin,
{
    let q = args.bind_scalar(sqlx::query_scalar(sql));
    q.fetch_optional(c).await.map_err(driver_error)
}

/// A backend's sqlx row, read by the shared decoders: the plain columns (UUID, text,
/// integer, boolean) read alike on every backend and are read here; the backend reads
/// only the two kinds it stores its own way (times, JSON).
pub trait SqlxColumns {
    /// The driver's row type.
    type Row: Row;
    /// The row being read.
    fn row(&self) -> &Self::Row;
    /// A nullable point in time, as this backend stores it.
    fn read_time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>>;
    /// A nullable JSON column, as this backend stores it.
    fn read_json<T: DeserializeOwned>(&self, col: &str) -> StoreResult<Option<T>>;
}

impl<C, DB> Columns for C
where
    C: SqlxColumns,
    C::Row: Row<Database = DB>,
    DB: Database,
    for<'a> &'a str: ColumnIndex<C::Row>,
    Uuid: for<'r> Decode<'r, DB> + Type<DB>,
    String: for<'r> Decode<'r, DB> + Type<DB>,
    i64: for<'r> Decode<'r, DB> + Type<DB>,
    bool: for<'r> Decode<'r, DB> + Type<DB>,
{
    fn uuid(&self, col: &str) -> StoreResult<Uuid> {
        self.row().try_get(col).map_err(driver_error)
    }
    fn opt_uuid(&self, col: &str) -> StoreResult<Option<Uuid>> {
        self.row().try_get(col).map_err(driver_error)
    }
    fn text(&self, col: &str) -> StoreResult<String> {
        self.row().try_get(col).map_err(driver_error)
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.row().try_get(col).map_err(driver_error)
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.row().try_get(col).map_err(driver_error)
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        self.row().try_get(col).map_err(driver_error)
    }
    fn flag(&self, col: &str) -> StoreResult<bool> {
        self.row().try_get(col).map_err(driver_error)
    }
    fn opt_time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.read_time(col)
    }
    fn opt_json<T: DeserializeOwned>(&self, col: &str) -> StoreResult<Option<T>> {
        self.read_json(col)
    }
}

/// The SQL condition of an archive filter on the licenses alias `l`, the same in both
/// dialects.
pub fn archived_condition(f: coditect_domain::ArchivedFilter) -> &'static str {
    match f {
        coditect_domain::ArchivedFilter::Any => "TRUE",
        coditect_domain::ArchivedFilter::Exclude => "l.archived_at IS NULL",
        coditect_domain::ArchivedFilter::Only => "l.archived_at IS NOT NULL",
    }
}
