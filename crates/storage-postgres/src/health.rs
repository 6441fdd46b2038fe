//! What the server asks of PostgreSQL to report on it. Its clock is the one every
//! process sharing the database decides liveness by, so reading it is also the ping.

use crate::prelude::*;

#[async_trait]
impl StoreHealth for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        self.now().await.map(drop)
    }

    async fn now(&self) -> StoreResult<DateTime<Utc>> {
        scalar(&self.pool, "SELECT clock_timestamp()", ()).await
    }
}
