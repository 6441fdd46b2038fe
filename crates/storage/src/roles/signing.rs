//! The [`SigningKeyStore`] role; each backend implements it in its own `signing` module.

use super::prelude::*;

/// The token signing keys, shared by every process so that any of them verifies what
/// another signed, and rotated without a gap.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// Every signing key not yet past its retention.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Stores a key as `rotation` says; a `kid` already stored is `Conflict(Kid)`.
    async fn add_signing_key(&self, key: NewSigningKey, rotation: KeyRotation) -> StoreResult<()>;
}
