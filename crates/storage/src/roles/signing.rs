//! The [`SigningKeyStore`] role; each backend implements it in its own `signing` module.

use super::prelude::*;

/// The token signing keys, shared by every process so that any of them verifies what
/// another signed, and rotated without a gap.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// Every signing key not yet past its retention.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Stores a key. With `make_current`, it becomes the current key and the previous one
    /// is retired (kept published until `retain_until`). Without it, the key is stored
    /// only if there is no current key yet (first start, possibly racing other processes).
    async fn add_signing_key(
        &self,
        key: NewSigningKey,
        make_current: bool,
        retire_old_until: DateTime<Utc>,
    ) -> StoreResult<()>;
}
