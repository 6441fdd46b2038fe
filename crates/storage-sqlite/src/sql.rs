//! How SQLite's columns read as the shapes of `coditect_storage::decode` (times are
//! integer microseconds, UUIDs blobs, JSON text), for both drivers this backend uses:
//! sqlx for most work (how a statement runs is shared, `coditect_storage::sql`), rusqlite
//! on the seat writer thread and the hot readers.

use chrono::{DateTime, Utc};
use coditect_storage::decode::{corrupt, Columns};
use coditect_storage::sql::{driver_error, SqlxColumns};
use coditect_storage::StoreResult;
use serde::de::DeserializeOwned;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

use crate::writer::db_err;

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

impl SqlxColumns for Cols<'_, SqliteRow> {
    type Row = SqliteRow;
    fn row(&self) -> &SqliteRow {
        self.0
    }
    fn read_time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
        let micros: Option<i64> = self.0.try_get(col).map_err(driver_error)?;
        Ok(micros.map(time))
    }
    fn read_json<T: DeserializeOwned>(&self, col: &str) -> StoreResult<Option<T>> {
        parse_json(self.0.try_get(col).map_err(driver_error)?, col)
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
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
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
