//! How PostgreSQL's column types (uuid, text, bigint, boolean, timestamptz, jsonb) read as
//! the shapes of `coditect_storage::decode`.

use chrono::{DateTime, Utc};
use coditect_storage::decode::Columns;
use coditect_storage::StoreResult;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::Row;
use uuid::Uuid;

use crate::err;

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
    fn opt_json(&self, col: &str) -> StoreResult<Option<Value>> {
        self.0.try_get(col).map_err(err)
    }
}
