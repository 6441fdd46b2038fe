//! Two records side by side in one row. A statement that returns a license and a session
//! together (PostgreSQL's seat functions) cannot give both their own column names, so one
//! of them comes with a prefix; the record decoders read it through [`Prefixed`] unchanged.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::Columns;
use crate::StoreResult;

/// A row's columns named `prefix` + the decoder's name (`l_id` for `id` under `l_`).
pub struct Prefixed<'a, R> {
    row: &'a R,
    prefix: &'static str,
}

impl<'a, R: Columns> Prefixed<'a, R> {
    /// Reads `row`'s columns that start with `prefix`.
    pub fn new(row: &'a R, prefix: &'static str) -> Self {
        Self { row, prefix }
    }

    fn name(&self, col: &str) -> String {
        format!("{}{col}", self.prefix)
    }
}

impl<R: Columns> Columns for Prefixed<'_, R> {
    fn uuid(&self, col: &str) -> StoreResult<Uuid> {
        self.row.uuid(&self.name(col))
    }
    fn opt_uuid(&self, col: &str) -> StoreResult<Option<Uuid>> {
        self.row.opt_uuid(&self.name(col))
    }
    fn text(&self, col: &str) -> StoreResult<String> {
        self.row.text(&self.name(col))
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.row.opt_text(&self.name(col))
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.row.int(&self.name(col))
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        self.row.opt_int(&self.name(col))
    }
    fn flag(&self, col: &str) -> StoreResult<bool> {
        self.row.flag(&self.name(col))
    }
    fn opt_time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.row.opt_time(&self.name(col))
    }
    fn opt_json<T: DeserializeOwned>(&self, col: &str) -> StoreResult<Option<T>> {
        self.row.opt_json(&self.name(col))
    }
}
