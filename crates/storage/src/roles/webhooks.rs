//! The [`WebhookStore`] and [`EventOutbox`] roles; each backend implements them in its
//! own `webhooks` and `event_outbox` modules.

use super::prelude::*;
use crate::{Attempt, ExpiredLicense, NewDelivery, PendingEvent, WebhookScope};
use coditect_domain::{
    DueDelivery, NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WebhookPatch,
};

/// Registered webhook endpoints and their delivery logs, as admins manage them. Every
/// call names its scope: an endpoint of another scope is not found.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Registers an endpoint, enabled.
    async fn create_webhook(&self, e: NewWebhookEndpoint) -> StoreResult<WebhookEndpoint>;
    /// The scope's endpoints, oldest first.
    async fn list_webhooks(
        &self,
        scope: WebhookScope,
        page: PageRequest,
    ) -> StoreResult<Page<WebhookEndpoint>>;
    /// One endpoint of the scope.
    async fn get_webhook(
        &self,
        scope: WebhookScope,
        id: Uuid,
    ) -> StoreResult<Option<WebhookEndpoint>>;
    /// Changes an endpoint; `None` when the scope has none of that id.
    async fn update_webhook(
        &self,
        scope: WebhookScope,
        id: Uuid,
        patch: &WebhookPatch,
    ) -> StoreResult<Option<WebhookEndpoint>>;
    /// Removes an endpoint and its deliveries; `false` when the scope has none of that id.
    async fn delete_webhook(&self, scope: WebhookScope, id: Uuid) -> StoreResult<bool>;
    /// An endpoint's deliveries, newest first (the cursor is the last id seen); `None`
    /// when the scope has no such endpoint.
    async fn list_deliveries(
        &self,
        scope: WebhookScope,
        endpoint_id: Uuid,
        page: PageRequest,
    ) -> StoreResult<Option<Page<WebhookDelivery>>>;
    /// Makes a delivery pending and due now, whatever its status; `None` when the
    /// scope's endpoint has no such delivery.
    async fn redeliver(
        &self,
        scope: WebhookScope,
        endpoint_id: Uuid,
        delivery_id: Uuid,
    ) -> StoreResult<Option<WebhookDelivery>>;
}

/// The outgoing-event outbox the senders work: events (written by the store in the
/// transaction of the change they tell of) fanned out into deliveries, claimed under a
/// lease so one process at a time tries each, and their attempts recorded.
#[async_trait]
pub trait EventOutbox: Send + Sync {
    /// Up to `limit` events not yet fanned out, oldest first.
    async fn undispatched_events(&self, limit: u32) -> StoreResult<Vec<PendingEvent>>;
    /// Every enabled endpoint of every scope, for fan-out.
    async fn enabled_webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>>;
    /// Stores `deliveries` (one per event and endpoint: a second is ignored, so two
    /// processes fanning out the same event make one) and marks `events` fanned out, in
    /// one transaction.
    async fn fan_out(&self, deliveries: &[NewDelivery], events: &[Uuid]) -> StoreResult<()>;
    /// Claims up to `limit` due deliveries under `lease_id` for `lease`: no other claim
    /// sees them until it runs out.
    async fn claim_deliveries(
        &self,
        lease_id: Uuid,
        limit: u32,
        lease: Duration,
    ) -> StoreResult<Vec<DueDelivery>>;
    /// Records an attempt of a claimed delivery; `false` (nothing recorded) when the
    /// claim is no longer `lease_id`'s.
    async fn finish_delivery(
        &self,
        id: Uuid,
        lease_id: Uuid,
        attempt: &Attempt,
    ) -> StoreResult<bool>;
    /// Licenses whose expiry fell in `(since, now]`, for `license.expired` events.
    async fn expired_licenses(&self, since: DateTime<Utc>) -> StoreResult<Vec<ExpiredLicense>>;
    /// Stores a `license.expired` event per license, once per license and expiry.
    async fn record_expired(&self, expired: &[ExpiredLicense]) -> StoreResult<u64>;
    /// Deliveries pending, for the gauge.
    async fn pending_deliveries(&self) -> StoreResult<i64>;
}
