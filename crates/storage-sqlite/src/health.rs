//! What the server asks of SQLite to report on it. Every process on the file runs on
//! one machine and shares its clock, so only the ping touches the database.

use crate::prelude::*;

#[async_trait]
impl StoreHealth for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        exec(&self.reader, "SELECT 1", ()).await.map(drop)
    }

    async fn now(&self) -> StoreResult<DateTime<Utc>> {
        Ok(time(now_micros()))
    }
}
