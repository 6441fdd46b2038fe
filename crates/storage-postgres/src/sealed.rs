//! Master-key rotation on PostgreSQL: one system-scoped transaction (row-level security
//! lets it see every tenant's rows) that locks each sealed row it rewrites.

use coditect_storage::shared::sealed::{self, RowLocator};

use crate::prelude::*;

/// `ctid` names a row for as long as the transaction holds it `FOR UPDATE`.
const ROW: RowLocator = RowLocator {
    select: "ctid::text",
    matches: "ctid = $2::tid",
    lock: "FOR UPDATE",
};

#[async_trait]
impl SealedSecretStore for PgStore {
    async fn reseal_all(&self, reseal: &Reseal<'_>) -> StoreResult<ResealReport> {
        let mut tx = self.system_tx().await?;
        let report = sealed::reseal_all::<sqlx::Postgres>(&mut *tx, ROW, reseal).await?;
        done(tx, report).await
    }
}
