//! How PostgreSQL's columns read as the shapes of `coditect_storage::decode`: times are
//! `timestamptz`, JSON is `jsonb`; the rest, and how a statement runs, is shared
//! (`coditect_storage::sql`).

use chrono::{DateTime, Utc};
use coditect_storage::decode::corrupt;
use coditect_storage::sql::{driver_error, SqlxColumns};
use coditect_storage::StoreResult;
use serde::de::DeserializeOwned;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::Row;

/// A row as the shared decoders read it (a wrapper, because neither the trait nor the
/// driver's row type is this crate's).
pub(crate) struct Cols<'r>(pub &'r PgRow);

impl SqlxColumns for Cols<'_> {
    type Row = PgRow;
    fn row(&self) -> &PgRow {
        self.0
    }
    fn read_time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.0.try_get(col).map_err(driver_error)
    }
    fn read_json<T: DeserializeOwned>(&self, col: &str) -> StoreResult<Option<T>> {
        let v: Option<Json<T>> = self.0.try_get(col).map_err(|_| corrupt(col))?;
        Ok(v.map(|j| j.0))
    }
}
