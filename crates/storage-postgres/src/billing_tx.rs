//! The billing transaction on PostgreSQL: one `system_tx` (billing is cross-tenant by
//! nature), with row locks on the event, the subscription's order mark and the licenses
//! it changes, and an advisory lock per Stripe customer (or trial e-mail) so two events about one
//! customer never both make its tenant. Locks are always taken in that order: event, customer,
//! subscription, licenses.

use crate::billing::product_where;
use crate::prelude::*;
use crate::scope::Tx;
use crate::{licenses, members, tenants};

/// An open billing transaction.
pub(crate) struct PgBillingTx {
    tx: Tx,
}

impl PgBillingTx {
    pub(crate) fn new(tx: Tx) -> Self {
        Self { tx }
    }

    fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

async fn tenant_where(
    conn: &mut PgConnection,
    condition: &str,
    value: &str,
) -> StoreResult<Option<Tenant>> {
    let sql = format!("SELECT * FROM tenants WHERE {condition} ORDER BY id LIMIT 1");
    let row = opt(conn, &sql, (value,)).await?;
    row.as_ref().map(|r| decode::tenant(&Cols(r))).transpose()
}

#[async_trait]
impl BillingTx for PgBillingTx {
    async fn claim_event(&mut self, id: &str) -> StoreResult<Option<BillingEvent>> {
        // A second claimer waits here for the first to finish, then finds it not pending.
        let sql = "SELECT * FROM billing_events WHERE id = $1 AND status = 'pending' FOR UPDATE";
        let row = opt(self.conn(), sql, (id,)).await?;
        Ok(row
            .as_ref()
            .map(|r| decode::billing_event(&Cols(r)))
            .transpose()?
            .map(|(_, e)| e))
    }

    async fn lock(&mut self, key: &str) -> StoreResult<()> {
        let sql = "SELECT pg_advisory_xact_lock(hashtextextended('coditect-billing:' || $1, 0))";
        exec(self.conn(), sql, (key,)).await?;
        Ok(())
    }

    async fn subscription_mark(
        &mut self,
        subscription: &str,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        exec(
            self.conn(),
            "INSERT INTO billing_subscriptions (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
            (subscription,),
        )
        .await?;
        let sql = "SELECT last_event_created FROM billing_subscriptions WHERE id = $1 FOR UPDATE";
        let v: Option<Option<DateTime<Utc>>> =
            opt_scalar(self.conn(), sql, (subscription,)).await?;
        Ok(v.flatten())
    }

    async fn set_subscription_mark(
        &mut self,
        subscription: &str,
        created: DateTime<Utc>,
        event_id: &str,
    ) -> StoreResult<()> {
        exec(
            self.conn(),
            "INSERT INTO billing_subscriptions (id, last_event_created, last_event_id) \
             VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET \
             last_event_created = $2, last_event_id = $3",
            (subscription, created, event_id),
        )
        .await?;
        Ok(())
    }

    async fn tenant(&mut self, id: Uuid) -> StoreResult<Option<Tenant>> {
        tenants::get_tenant(self.conn(), id).await
    }

    async fn tenant_by_customer(&mut self, customer: &str) -> StoreResult<Option<Tenant>> {
        tenant_where(self.conn(), "stripe_customer_id = $1", customer).await
    }

    async fn tenant_by_billing_email(&mut self, email: &str) -> StoreResult<Option<Tenant>> {
        tenant_where(self.conn(), "lower(billing_email) = lower($1)", email).await
    }

    async fn slugs_like(&mut self, base: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT slug FROM tenants WHERE slug = $1 OR left(slug, length($1) + 1) = $1 || '-'",
        )
        .bind(base)
        .fetch_all(self.conn())
        .await
        .map_err(err)
    }

    async fn create_tenant(&mut self, t: NewTenant, actor: &Actor) -> StoreResult<Tenant> {
        tenants::create_tenant(self.conn(), t, actor).await
    }

    async fn set_tenant_billing(
        &mut self,
        tenant_id: Uuid,
        customer: Option<&str>,
        billing_email: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<Tenant> {
        let row = opt(
            self.conn(),
            "SELECT * FROM tenants WHERE id = $1 FOR UPDATE",
            (tenant_id,),
        )
        .await?
        .ok_or_else(|| StoreError::Internal("tenant vanished during billing".into()))?;
        let before = decode::tenant(&Cols(&row))?;
        let Some(after) = before.with_billing(customer, billing_email) else {
            return Ok(before);
        };
        sqlx::query("UPDATE tenants SET stripe_customer_id = $1, billing_email = $2 WHERE id = $3")
            .bind(&after.stripe_customer_id)
            .bind(&after.billing_email)
            .bind(tenant_id)
            .execute(self.conn())
            .await
            .map_err(|e| unique_to_conflict(e, ConflictField::StripeCustomer))?;
        let now = db_now(self.conn()).await?;
        let entry = NewAuditEntry::tenant_updated(actor, &before, &after);
        insert_audit(self.conn(), &entry, now).await?;
        Ok(after)
    }

    async fn owner_or_invited(&mut self, tenant_id: Uuid, email: &str) -> StoreResult<bool> {
        let n: i64 = scalar(
            self.conn(),
            "SELECT (SELECT count(*) FROM memberships WHERE tenant_id = $1 AND role = 'owner') + \
             (SELECT count(*) FROM invitations WHERE tenant_id = $1 AND role = 'owner' \
              AND lower(email) = lower($2) AND accepted_at IS NULL AND expires_at > clock_timestamp())",
            (tenant_id, email),
        )
        .await?;
        Ok(n > 0)
    }

    async fn create_invitation(
        &mut self,
        inv: NewInvitation,
        mail: NewMail,
        actor: &Actor,
    ) -> StoreResult<Invitation> {
        members::create_invitation(self.conn(), inv, mail, actor).await
    }

    async fn queue_mail(&mut self, mail: &NewMail) -> StoreResult<()> {
        let now = db_now(self.conn()).await?;
        enqueue_mail(self.conn(), mail, now).await
    }

    async fn product_for_price(&mut self, price_id: &str) -> StoreResult<Option<Product>> {
        let condition = "p.id = (SELECT product_id FROM product_prices WHERE price_id = $1)";
        product_where(self.conn(), condition, price_id.to_owned()).await
    }

    async fn product(&mut self, id: Uuid) -> StoreResult<Option<Product>> {
        product_where(self.conn(), "p.id = $1", id).await
    }

    async fn licenses_of_subscription(&mut self, subscription: &str) -> StoreResult<Vec<License>> {
        let sql = "SELECT * FROM licenses WHERE subscription_id = $1 ORDER BY id FOR UPDATE";
        let rows = all(self.conn(), sql, (subscription,)).await?;
        rows.iter().map(|r| decode::license(&Cols(r))).collect()
    }

    async fn create_license(&mut self, l: NewLicense, actor: &Actor) -> StoreResult<License> {
        Ok(licenses::create_license(self.conn(), l, actor)
            .await?
            .license)
    }

    async fn update_license(
        &mut self,
        tenant_id: Uuid,
        id: Uuid,
        patch: &LicensePatch,
        actor: &Actor,
    ) -> StoreResult<Option<License>> {
        let out = licenses::update_license(self.conn(), tenant_id, id, patch, actor).await?;
        Ok(out.map(|lu| lu.license))
    }

    async fn remember_invoice(
        &mut self,
        invoice: &str,
        subscription: Option<&str>,
        payment_intent: Option<&str>,
    ) -> StoreResult<()> {
        exec(
            self.conn(),
            "INSERT INTO billing_invoices (id, subscription_id, payment_intent_id) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET \
             subscription_id = coalesce(billing_invoices.subscription_id, $2), \
             payment_intent_id = coalesce(billing_invoices.payment_intent_id, $3)",
            (invoice, subscription, payment_intent),
        )
        .await?;
        Ok(())
    }

    async fn subscription_of_charge(
        &mut self,
        invoice: Option<&str>,
        payment_intent: Option<&str>,
    ) -> StoreResult<Option<String>> {
        let sql = "SELECT subscription_id FROM billing_invoices WHERE subscription_id IS NOT NULL \
             AND (id = $1 OR payment_intent_id = $2) LIMIT 1";
        opt_scalar(self.conn(), sql, (invoice, payment_intent)).await
    }

    async fn first_failure_mail(&mut self, invoice: &str) -> StoreResult<bool> {
        let n = exec(
            self.conn(),
            "UPDATE billing_invoices SET failure_mailed = true WHERE id = $1 AND NOT failure_mailed",
            (invoice,),
        )
        .await?;
        Ok(n == 1)
    }

    async fn trial_taken(
        &mut self,
        product_id: Uuid,
        email_key: &str,
        hardware_id: Option<&str>,
    ) -> StoreResult<bool> {
        let n: i64 = scalar(
            self.conn(),
            "SELECT count(*) FROM trials WHERE product_id = $1 AND (email_key = $2 OR hardware_id = $3)",
            (product_id, email_key, hardware_id),
        )
        .await?;
        Ok(n > 0)
    }

    async fn record_trial(
        &mut self,
        product_id: Uuid,
        email_key: &str,
        hardware_id: Option<&str>,
        license: &License,
    ) -> StoreResult<bool> {
        let n = exec(
            self.conn(),
            "INSERT INTO trials (product_id, email_key, hardware_id, tenant_id, license_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, clock_timestamp()) ON CONFLICT DO NOTHING",
            (product_id, email_key, hardware_id, license.tenant_id, license.id),
        )
        .await?;
        Ok(n == 1)
    }

    async fn finish_event(
        mut self: Box<Self>,
        id: &str,
        status: BillingEventStatus,
        reason: Option<&str>,
        license_ids: &[Uuid],
        tenant_id: Option<Uuid>,
    ) -> StoreResult<()> {
        exec(
            self.conn(),
            "UPDATE billing_events SET status = $1, reason = $2, license_ids = $3, tenant_id = $4 \
             WHERE id = $5",
            (status.as_str(), reason, Json(license_ids), tenant_id, id),
        )
        .await?;
        self.commit().await
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(err)
    }
}
