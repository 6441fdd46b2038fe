//! The [`BillingStore`] role; each backend implements it in its own `billing` module.

use super::prelude::*;
use crate::{BillingTx, ExpiringLicense};
use coditect_domain::{
    BillingEvent, BillingEventFilter, NewBillingEvent, NewProduct, Product, ProductPatch,
};

/// Products, Stripe's stored events, and the licenses that billing keeps in step: what a
/// vendor sells and what Stripe said about it.
#[async_trait]
pub trait BillingStore: Send + Sync {
    /// Creates a product; `Conflict(Slug)` on a taken slug, `Conflict(PriceId)` when one
    /// of its prices sells another product already.
    async fn create_product(&self, p: NewProduct) -> StoreResult<Product>;
    /// Products, oldest first.
    async fn list_products(&self, page: PageRequest) -> StoreResult<Page<Product>>;
    /// One product by id.
    async fn get_product(&self, id: Uuid) -> StoreResult<Option<Product>>;
    /// One product by slug.
    async fn product_by_slug(&self, slug: &str) -> StoreResult<Option<Product>>;
    /// Applies a patch (conflicts as for creation); `None` for an unknown id.
    async fn update_product(&self, id: Uuid, patch: &ProductPatch) -> StoreResult<Option<Product>>;

    /// Stores a verified event as `pending` unless its id is stored already; true when it
    /// was new. Nothing acts on an event before this returned.
    async fn store_billing_event(&self, e: &NewBillingEvent) -> StoreResult<bool>;
    /// Stored events, newest received first.
    async fn list_billing_events(
        &self,
        filter: &BillingEventFilter,
        page: PageRequest,
    ) -> StoreResult<Page<BillingEvent>>;
    /// One stored event.
    async fn get_billing_event(&self, id: &str) -> StoreResult<Option<BillingEvent>>;
    /// Ids of pending events, oldest `created` first: what start-up and the background
    /// pass apply.
    async fn pending_billing_events(&self, limit: u32) -> StoreResult<Vec<String>>;
    /// Opens the transaction that applies one event, or makes one trial: everything it
    /// does commits together or not at all.
    async fn billing_tx(&self) -> StoreResult<Box<dyn BillingTx>>;

    /// Active licenses expiring in `(now, until]`, with what reminders need.
    async fn expiring_licenses(&self, until: DateTime<Utc>) -> StoreResult<Vec<ExpiringLicense>>;
    /// Records the reminder thresholds sent for a license's current expiry and queues
    /// their mails, in one transaction; false (and nothing queued) when one of them was
    /// recorded already.
    async fn record_expiry_reminder(
        &self,
        license: &ExpiringLicense,
        thresholds: &[i64],
        mails: &[NewMail],
    ) -> StoreResult<bool>;
}
