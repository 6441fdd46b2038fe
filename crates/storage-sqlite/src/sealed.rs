//! Master-key rotation on SQLite: one `BEGIN IMMEDIATE` transaction, which holds the
//! file's write lock, so no process writes a sealed value under the old key meanwhile.

use coditect_storage::shared::sealed::{self, RowLocator};

use crate::prelude::*;

/// `rowid` names a row; the write lock keeps it from moving.
const ROW: RowLocator = RowLocator {
    select: "CAST(rowid AS TEXT)",
    matches: "rowid = CAST($2 AS INTEGER)",
    lock: "",
};

#[async_trait]
impl SealedSecretStore for SqliteStore {
    async fn reseal_all(&self, reseal: &Reseal<'_>) -> StoreResult<ResealReport> {
        let mut tx = self.write_tx().await?;
        let report = sealed::reseal_all::<sqlx::Sqlite>(&mut **tx, ROW, reseal).await?;
        tx.commit().await.map_err(err)?;
        Ok(report)
    }
}
