//! Applies one stored Stripe event, in one store transaction: the event is claimed (a
//! second process waits, then finds it applied), the customer and the subscription are
//! locked, the domain says what the event means for each license, and the event is marked
//! `applied` or `ignored` in the same commit. A crash anywhere before that commit leaves
//! the event `pending` for the next pass; nothing is ever applied twice.

use chrono::{DateTime, Utc};
use coditect_domain::billing::stripe_event::{Charge, Checkout, Invoice, StripeSubscription};
use coditect_domain::billing::terms::{
    ended_patch, past_due_patch, renewal_patch, subscription_terms,
};
use coditect_domain::{
    Actor, BillingEventStatus, License, LicensePatch, StripeEvent, StripeEventBody,
};
use coditect_storage::{BillingTx, StoreResult};
use serde_json::Map;
use uuid::Uuid;

use super::mails;
use super::provision::{create_product_license, invite_owner, tenant_for_customer, ProductLicense};
use crate::mail;
use crate::state::AppState;

/// What became of an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Applied or ignored.
    pub status: BillingEventStatus,
    /// Why it was ignored, or what it did.
    pub reason: Option<String>,
    /// Licenses made or changed.
    pub license_ids: Vec<Uuid>,
    /// The tenant concerned.
    pub tenant_id: Option<Uuid>,
}

impl Outcome {
    fn ignored(reason: impl Into<String>) -> Self {
        Self {
            status: BillingEventStatus::Ignored,
            reason: Some(reason.into()),
            license_ids: Vec::new(),
            tenant_id: None,
        }
    }

    fn applied(reason: impl Into<String>, license_ids: Vec<Uuid>, tenant_id: Option<Uuid>) -> Self {
        Self {
            status: BillingEventStatus::Applied,
            reason: Some(reason.into()),
            license_ids,
            tenant_id,
        }
    }
}

/// Applies the stored event `id` once: `None` when it is unknown or was applied already.
pub async fn apply_event(state: &AppState, id: &str) -> StoreResult<Option<Outcome>> {
    let mut tx = state.store.billing_tx().await?;
    let Some(stored) = tx.claim_event(id).await? else {
        return Ok(None);
    };
    let outcome = match StripeEvent::parse(&stored.payload) {
        Err(why) | Ok((_, Err(why))) => Outcome::ignored(format!("malformed event: {why}")),
        Ok((event, Ok(()))) => {
            Applier {
                state,
                tx: &mut *tx,
                event: &event,
            }
            .run()
            .await?
        }
    };
    tx.finish_event(
        id,
        outcome.status,
        outcome.reason.as_deref(),
        &outcome.license_ids,
        outcome.tenant_id,
    )
    .await?;
    Ok(Some(outcome))
}

struct Applier<'a> {
    state: &'a AppState,
    tx: &'a mut dyn BillingTx,
    event: &'a StripeEvent,
}

impl Applier<'_> {
    fn actor() -> Actor {
        Actor::stripe()
    }

    async fn run(self) -> StoreResult<Outcome> {
        match &self.event.body {
            StripeEventBody::CheckoutCompleted(c) => self.checkout(c).await,
            StripeEventBody::SubscriptionChanged(s) => self.subscription_changed(s).await,
            StripeEventBody::SubscriptionDeleted(s) => {
                let ended = s.ended_at.unwrap_or(self.event.created);
                self.end(&s.id, Some(&s.customer), ended, "subscription deleted")
                    .await
            }
            StripeEventBody::InvoicePaid(i) => self.invoice_paid(i).await,
            StripeEventBody::InvoicePaymentFailed(i) => self.payment_failed(i).await,
            StripeEventBody::ChargeRefunded(c) => self.refunded(c).await,
            StripeEventBody::Unhandled => Ok(Outcome::ignored(format!(
                "{} is not an event type this server acts on",
                self.event.event_type
            ))),
        }
    }

    /// Locks the subscription and says whether this event is older than the last one
    /// applied to it.
    async fn is_stale(&mut self, subscription: &str) -> StoreResult<Option<String>> {
        let mark = self.tx.subscription_mark(subscription).await?;
        Ok(mark.filter(|m| *m > self.event.created).map(|m| {
            format!(
                "older than the last applied event of {subscription} (created {})",
                m.to_rfc3339()
            )
        }))
    }

    async fn mark(&mut self, subscription: &str) -> StoreResult<()> {
        self.tx
            .set_subscription_mark(subscription, self.event.created, &self.event.id)
            .await
    }

    async fn checkout(self, c: &Checkout) -> StoreResult<Outcome> {
        let Some(customer) = &c.customer else {
            return Ok(Outcome::ignored("the checkout made no customer"));
        };
        self.tx.lock(customer).await?;
        let name = c
            .name
            .clone()
            .or_else(|| c.email.clone())
            .unwrap_or_else(|| customer.clone());
        let tenant =
            tenant_for_customer(self.tx, customer, c.tenant_hint, &name, &Self::actor()).await?;
        let mut did = format!("customer {customer} is tenant {}", tenant.slug);
        if let Some(email) = &c.email {
            let tenant = self
                .tx
                .set_tenant_billing(tenant.id, None, Some(email), &Self::actor())
                .await?;
            if invite_owner(self.state, self.tx, &tenant, email, &Self::actor()).await? {
                self.state.mail_wake.notify_one();
                did.push_str(&format!("; {email} invited as owner"));
            }
        }
        Ok(Outcome::applied(did, Vec::new(), Some(tenant.id)))
    }

    async fn subscription_changed(mut self, s: &StripeSubscription) -> StoreResult<Outcome> {
        self.tx.lock(&s.customer).await?;
        if let Some(why) = self.is_stale(&s.id).await? {
            return Ok(Outcome::ignored(why));
        }
        let mut sold = Vec::new();
        let mut unknown = Vec::new();
        for item in &s.items {
            match self.tx.product_for_price(&item.price_id).await? {
                Some(p) => sold.push((p, item)),
                None => unknown.push(item.price_id.as_str()),
            }
        }
        if sold.is_empty() {
            return Ok(Outcome::ignored(format!(
                "no price of {} sells a product ({})",
                s.id,
                unknown.join(", ")
            )));
        }
        let existing = self.tx.licenses_of_subscription(&s.id).await?;
        let tenant = match existing.first() {
            Some(l) => l.tenant_id,
            None => {
                let actor = Self::actor();
                tenant_for_customer(self.tx, &s.customer, s.tenant_hint, &s.customer, &actor)
                    .await?
                    .id
            }
        };
        let mut ids = Vec::new();
        for (product, item) in &sold {
            let terms = match subscription_terms(product, s, item) {
                Ok(t) => t,
                Err(why) => return Ok(Outcome::ignored(why)),
            };
            let id = match existing.iter().find(|l| l.product_id == Some(product.id)) {
                Some(l) => self.patch(l, &terms.patch()).await?,
                None => {
                    let l = ProductLicense {
                        seats_total: terms.seats_total,
                        expires_at: terms.expires_at,
                        is_active: terms.is_active.unwrap_or(true),
                        subscription: Some(terms.subscription.clone()),
                        metadata: Map::new(),
                        name: product.name.clone(),
                    };
                    let actor = Self::actor();
                    create_product_license(self.state, self.tx, tenant, product, l, &actor)
                        .await?
                        .0
                        .id
                }
            };
            ids.push(id);
        }
        // A product no longer on the subscription: paid up to the period's end, no more.
        let period_end = s.period_end();
        let dropped: Vec<&License> = existing.iter().filter(|l| !ids.contains(&l.id)).collect();
        for l in dropped {
            let ended = period_end.unwrap_or(self.event.created);
            let patch = ended_patch(l.subscription.as_ref(), ended);
            ids.push(self.patch(l, &patch).await?);
        }
        self.mark(&s.id).await?;
        let mut did = format!("{} is {}", s.id, s.status.as_str());
        if !unknown.is_empty() {
            did.push_str(&format!(
                "; prices selling no product: {}",
                unknown.join(", ")
            ));
        }
        Ok(Outcome::applied(did, ids, Some(tenant)))
    }

    async fn patch(&mut self, l: &License, patch: &LicensePatch) -> StoreResult<Uuid> {
        self.tx
            .update_license(l.tenant_id, l.id, patch, &Self::actor())
            .await?;
        Ok(l.id)
    }

    /// The licenses of a subscription, after the order check; `Err` is the outcome to
    /// record instead.
    async fn licenses_of(
        &mut self,
        subscription: &str,
        customer: Option<&str>,
    ) -> StoreResult<Result<Vec<License>, Outcome>> {
        if let Some(c) = customer {
            self.tx.lock(c).await?;
        }
        if let Some(why) = self.is_stale(subscription).await? {
            return Ok(Err(Outcome::ignored(why)));
        }
        let ls = self.tx.licenses_of_subscription(subscription).await?;
        if ls.is_empty() {
            return Ok(Err(Outcome::ignored(format!(
                "no license is sold under {subscription}"
            ))));
        }
        Ok(Ok(ls))
    }

    async fn end(
        mut self,
        subscription: &str,
        customer: Option<&str>,
        ended: DateTime<Utc>,
        what: &str,
    ) -> StoreResult<Outcome> {
        let ls = match self.licenses_of(subscription, customer).await? {
            Ok(ls) => ls,
            Err(o) => return Ok(o),
        };
        let mut ids = Vec::new();
        for l in &ls {
            ids.push(
                self.patch(l, &ended_patch(l.subscription.as_ref(), ended))
                    .await?,
            );
        }
        self.mark(subscription).await?;
        let tenant = ls.first().map(|l| l.tenant_id);
        Ok(Outcome::applied(
            format!("{what}: licenses end at {}", ended.to_rfc3339()),
            ids,
            tenant,
        ))
    }

    /// Remembers the invoice, then gives the subscription it bills and that subscription's
    /// licenses (after the order check); `Err` is the outcome to record instead. `missing`
    /// is why the event cannot be applied even with a subscription (checked in between).
    async fn invoice_licenses(
        &mut self,
        i: &Invoice,
        missing: Option<String>,
    ) -> StoreResult<Result<(String, Vec<License>), Outcome>> {
        self.tx
            .remember_invoice(
                &i.id,
                i.subscription.as_deref(),
                i.payment_intent.as_deref(),
            )
            .await?;
        let Some(sub) = i.subscription.clone() else {
            let why = format!("invoice {} bills no subscription", i.id);
            return Ok(Err(Outcome::ignored(why)));
        };
        if let Some(why) = missing {
            return Ok(Err(Outcome::ignored(why)));
        }
        Ok(self
            .licenses_of(&sub, i.customer.as_deref())
            .await?
            .map(|ls| (sub, ls)))
    }

    async fn invoice_paid(mut self, i: &Invoice) -> StoreResult<Outcome> {
        let missing = i
            .period_end
            .is_none()
            .then(|| format!("invoice {} has no period end", i.id));
        let (sub, ls) = match self.invoice_licenses(i, missing).await? {
            Ok(found) => found,
            Err(o) => return Ok(o),
        };
        let period_end = i.period_end.unwrap_or(self.event.created);
        let mut ids = Vec::new();
        for l in &ls {
            let product = match l.product_id {
                Some(p) => self.tx.product(p).await?,
                None => None,
            };
            let Some(product) = product else { continue };
            let patch = renewal_patch(&product, l.subscription.as_ref(), period_end);
            ids.push(self.patch(l, &patch).await?);
        }
        self.mark(&sub).await?;
        let tenant = ls.first().map(|l| l.tenant_id);
        let did = format!("renewed to {} plus grace", period_end.to_rfc3339());
        Ok(Outcome::applied(did, ids, tenant))
    }

    async fn payment_failed(mut self, i: &Invoice) -> StoreResult<Outcome> {
        let (sub, ls) = match self.invoice_licenses(i, None).await? {
            Ok(found) => found,
            Err(o) => return Ok(o),
        };
        let mut ids = Vec::new();
        for l in &ls {
            ids.push(
                self.patch(l, &past_due_patch(l.subscription.as_ref()))
                    .await?,
            );
        }
        self.mark(&sub).await?;
        let tenant_id = ls[0].tenant_id;
        let mut did = format!("{sub} is past due; licenses work until their expiry");
        if self.tx.first_failure_mail(&i.id).await? {
            let tenant = self.tx.tenant(tenant_id).await?;
            if let Some((tenant, to)) = tenant.and_then(|t| t.billing_email.clone().map(|e| (t, e)))
            {
                let (subject, body) =
                    mails::payment_failed(self.state, &tenant.name, ls[0].expires_at);
                let m = mail::outbox_mail(self.state, "payment_failed", &to, subject, body)
                    .map_err(|e| coditect_storage::StoreError::Internal(e.to_string()))?;
                self.tx.queue_mail(&m).await?;
                self.state.mail_wake.notify_one();
                did.push_str(&format!("; mailed {to}"));
            }
        }
        Ok(Outcome::applied(did, ids, Some(tenant_id)))
    }

    async fn refunded(self, c: &Charge) -> StoreResult<Outcome> {
        if !c.full_refund {
            return Ok(Outcome::ignored(format!(
                "charge {} was refunded in part only",
                c.id
            )));
        }
        let sub = self
            .tx
            .subscription_of_charge(c.invoice.as_deref(), c.payment_intent.as_deref())
            .await?;
        let Some(sub) = sub else {
            return Ok(Outcome::ignored(format!(
                "charge {} belongs to no invoice this server has seen",
                c.id
            )));
        };
        let created = self.event.created;
        self.end(&sub, c.customer.as_deref(), created, "fully refunded")
            .await
    }
}
