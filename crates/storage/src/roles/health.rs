//! The [`StoreHealth`] role; each backend implements it in its own `health` module.

use super::prelude::*;

/// What the server asks of any database to report on it: which backend, whether it
/// answers, and its clock.
#[async_trait]
pub trait StoreHealth: Send + Sync {
    /// Which backend this is, for logs and metrics.
    fn backend(&self) -> &'static str;
    /// Answers when the database does (readiness).
    async fn ping(&self) -> StoreResult<()>;
    /// The database's clock, which decides liveness when processes share a database.
    async fn now(&self) -> StoreResult<DateTime<Utc>>;
}
