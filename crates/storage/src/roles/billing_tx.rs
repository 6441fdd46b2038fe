//! [`BillingTx`]: the steps of applying a billing event (or making a trial), inside one
//! transaction the backend holds open. The server's billing applier decides which steps
//! to take, once for every backend; each backend only says how a step is stored.

use super::prelude::*;
use coditect_domain::{BillingEvent, BillingEventStatus, License, Product};

/// One open billing transaction. Dropping it without [`BillingTx::commit`] or
/// [`BillingTx::finish_event`] rolls everything back.
#[async_trait]
pub trait BillingTx: Send {
    /// Takes the stored event for application: `None` when it is unknown or no longer
    /// pending (another process applied it first). Holds it until the end.
    async fn claim_event(&mut self, id: &str) -> StoreResult<Option<BillingEvent>>;
    /// Serializes work on one key (a Stripe customer, a trial's e-mail or hardware id)
    /// across processes until the end.
    async fn lock(&mut self, key: &str) -> StoreResult<()>;
    /// The `created` time of the last event applied to a subscription, holding the
    /// subscription until the end.
    async fn subscription_mark(&mut self, subscription: &str)
        -> StoreResult<Option<DateTime<Utc>>>;
    /// Records the event now applied to a subscription.
    async fn set_subscription_mark(
        &mut self,
        subscription: &str,
        created: DateTime<Utc>,
        event_id: &str,
    ) -> StoreResult<()>;

    /// A tenant by id.
    async fn tenant(&mut self, id: Uuid) -> StoreResult<Option<Tenant>>;
    /// The tenant billed as this Stripe customer.
    async fn tenant_by_customer(&mut self, customer: &str) -> StoreResult<Option<Tenant>>;
    /// The oldest tenant whose billing e-mail is this one (compared lower-cased).
    async fn tenant_by_billing_email(&mut self, email: &str) -> StoreResult<Option<Tenant>>;
    /// Slugs equal to `base` or starting with `base-`, to pick a free one.
    async fn slugs_like(&mut self, base: &str) -> StoreResult<Vec<String>>;
    /// Creates a tenant, audited.
    async fn create_tenant(&mut self, t: NewTenant, actor: &Actor) -> StoreResult<Tenant>;
    /// Sets a tenant's Stripe customer and billing e-mail (`None` leaves each as it is),
    /// audited when something changed; `Conflict(StripeCustomer)` when the customer is
    /// another tenant's.
    async fn set_tenant_billing(
        &mut self,
        tenant_id: Uuid,
        customer: Option<&str>,
        billing_email: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<Tenant>;
    /// Whether a tenant has an owner, or an unexpired owner invitation for `email`.
    async fn owner_or_invited(&mut self, tenant_id: Uuid, email: &str) -> StoreResult<bool>;
    /// Creates an invitation, audited, and queues its mail.
    async fn create_invitation(
        &mut self,
        inv: NewInvitation,
        mail: NewMail,
        actor: &Actor,
    ) -> StoreResult<Invitation>;
    /// Queues a mail.
    async fn queue_mail(&mut self, mail: &NewMail) -> StoreResult<()>;

    /// The product a Stripe price sells.
    async fn product_for_price(&mut self, price_id: &str) -> StoreResult<Option<Product>>;
    /// A product by id.
    async fn product(&mut self, id: Uuid) -> StoreResult<Option<Product>>;
    /// The licenses sold under a subscription, holding them until the end.
    async fn licenses_of_subscription(&mut self, subscription: &str) -> StoreResult<Vec<License>>;
    /// Creates a license, audited.
    async fn create_license(&mut self, l: NewLicense, actor: &Actor) -> StoreResult<License>;
    /// Patches a license, audited when something changed.
    async fn update_license(
        &mut self,
        tenant_id: Uuid,
        id: Uuid,
        patch: &LicensePatch,
        actor: &Actor,
    ) -> StoreResult<Option<License>>;

    /// Remembers which subscription and payment intent an invoice belongs to (first
    /// non-null wins), so a refund of its charge finds the subscription.
    async fn remember_invoice(
        &mut self,
        invoice: &str,
        subscription: Option<&str>,
        payment_intent: Option<&str>,
    ) -> StoreResult<()>;
    /// The subscription of a charge, through its invoice or payment intent.
    async fn subscription_of_charge(
        &mut self,
        invoice: Option<&str>,
        payment_intent: Option<&str>,
    ) -> StoreResult<Option<String>>;
    /// Marks an invoice's failed-payment mail as sent; false when it was already.
    async fn first_failure_mail(&mut self, invoice: &str) -> StoreResult<bool>;

    /// Whether a product's trial was taken by this e-mail key or hardware id.
    async fn trial_taken(
        &mut self,
        product_id: Uuid,
        email_key: &str,
        hardware_id: Option<&str>,
    ) -> StoreResult<bool>;
    /// Records a trial; false (nothing recorded) when the e-mail key or hardware id took
    /// one of the product meanwhile.
    async fn record_trial(
        &mut self,
        product_id: Uuid,
        email_key: &str,
        hardware_id: Option<&str>,
        license: &License,
    ) -> StoreResult<bool>;

    /// Records what became of the claimed event, and commits.
    async fn finish_event(
        self: Box<Self>,
        id: &str,
        status: BillingEventStatus,
        reason: Option<&str>,
        license_ids: &[Uuid],
        tenant_id: Option<Uuid>,
    ) -> StoreResult<()>;
    /// Commits.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}
