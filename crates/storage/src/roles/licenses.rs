//! The [`LicenseStore`] role; each backend implements it in its own `licenses` module.

use super::prelude::*;

/// Licenses: created, listed, changed and suspended by admins, found by key by clients.
#[async_trait]
pub trait LicenseStore: Send + Sync {
    /// Creates a license.
    async fn create_license(&self, l: NewLicense, actor: &Actor) -> StoreResult<LicenseWithUsage>;
    /// A tenant's licenses that pass the filter, oldest first.
    async fn list_licenses(
        &self,
        tenant_id: Uuid,
        filter: &LicenseFilter,
        page: PageRequest,
    ) -> StoreResult<Page<LicenseWithUsage>>;
    /// One license of a tenant.
    async fn get_license(&self, tenant_id: Uuid, id: Uuid)
        -> StoreResult<Option<LicenseWithUsage>>;
    /// Applies a patch; writes an audit entry only when something changed.
    async fn update_license(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: &LicensePatch,
        actor: &Actor,
    ) -> StoreResult<Option<LicenseWithUsage>>;
    /// Suspends or resumes the tenant's licenses among `ids` (others' ids are ignored) in
    /// one transaction, auditing each license that changed. Returns how many changed.
    async fn set_licenses_active(
        &self,
        tenant_id: Uuid,
        ids: &[Uuid],
        is_active: bool,
        actor: &Actor,
    ) -> StoreResult<u64>;
    /// The license with this key hash, for `validate`.
    async fn find_license_by_key(&self, key_hash: &str) -> StoreResult<Option<LicenseWithUsage>>;
    /// Gives a license a new key in one transaction, audited: the old key's hash is kept
    /// as retired (see [`crate::RetiredKey`]). `None` when the tenant has no such license;
    /// `Conflict(ConflictField::LicenseKey)` on a taken key.
    async fn reissue_license_key(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        key: crate::NewLicenseKey,
        actor: &Actor,
    ) -> StoreResult<Option<LicenseWithUsage>>;
    /// The retired key with this hash, when a reissue retired it and `session_id` is a
    /// session of its license that began before the reissue: the only seats a retired key
    /// may go on serving.
    async fn retired_license_key(
        &self,
        key_hash: &str,
        session_id: Uuid,
    ) -> StoreResult<Option<crate::RetiredKey>>;
}
