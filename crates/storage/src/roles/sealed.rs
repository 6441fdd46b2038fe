//! The [`SealedSecretStore`] role; each backend implements it in its own `sealed` module.

use super::prelude::*;

/// What `reseal_all` does with one stored value: the new sealed text, or `None` to leave
/// it (already sealed under the new master key). An error stops the run and rolls it back.
pub type Reseal<'a> = dyn Fn(&str) -> anyhow::Result<Option<String>> + Send + Sync + 'a;

/// Every secret the server seals at rest, re-sealed at once: the master-key rotation
/// (`keys rewrap`). Why a role of its own: it is the one operation that crosses every
/// table holding a sealed column, and it must be all or nothing, so an interrupted
/// rotation never leaves secrets under two keys with nobody knowing which.
#[async_trait]
pub trait SealedSecretStore: Send + Sync {
    /// Passes every non-empty value of every sealed column (see
    /// [`crate::shared::sealed::SEALED_COLUMNS`]) through `reseal` and writes back what it
    /// returns, in one transaction that holds the rows until it commits.
    async fn reseal_all(&self, reseal: &Reseal<'_>) -> StoreResult<ResealReport>;
}

/// What a reseal run did, per table and column, for the operator's log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// `(table, column, values re-sealed, values left as they were)`.
    pub columns: Vec<(&'static str, &'static str, u64, u64)>,
}

impl ResealReport {
    /// Values re-sealed in all columns.
    pub fn resealed(&self) -> u64 {
        self.columns.iter().map(|c| c.2).sum()
    }
    /// Values already under the new key.
    pub fn unchanged(&self) -> u64 {
        self.columns.iter().map(|c| c.3).sum()
    }
}
