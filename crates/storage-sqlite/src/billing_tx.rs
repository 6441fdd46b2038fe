//! The billing transaction on SQLite: one `BEGIN IMMEDIATE` transaction on the sqlx
//! writer, holding the write turn, so an event's application is serialized with every
//! other write in this process and any other on the same file.

use sqlx::{Sqlite, Transaction};

use crate::billing::product_where;
use crate::prelude::*;
use crate::{licenses, members, tenants, Gated};

/// An open billing transaction.
pub(crate) struct SqliteBillingTx {
    tx: Gated<Transaction<'static, Sqlite>>,
}

impl SqliteBillingTx {
    pub(crate) fn new(tx: Gated<Transaction<'static, Sqlite>>) -> Self {
        Self { tx }
    }

    fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

async fn tenant_where(
    conn: &mut SqliteConnection,
    condition: &str,
    value: &str,
) -> StoreResult<Option<Tenant>> {
    let sql = format!("SELECT * FROM tenants WHERE {condition} ORDER BY id LIMIT 1");
    let row = opt(conn, &sql, (value,)).await?;
    row.as_ref().map(|r| decode::tenant(&Cols(r))).transpose()
}

#[async_trait]
impl BillingTx for SqliteBillingTx {
    async fn claim_event(&mut self, id: &str) -> StoreResult<Option<BillingEvent>> {
        let sql = "SELECT * FROM billing_events WHERE id = ? AND status = 'pending'";
        let row = opt(self.conn(), sql, (id,)).await?;
        Ok(row
            .as_ref()
            .map(|r| decode::billing_event(&Cols(r)))
            .transpose()?
            .map(|(_, e)| e))
    }

    async fn lock(&mut self, _key: &str) -> StoreResult<()> {
        // `BEGIN IMMEDIATE` holds the database's one write lock already.
        Ok(())
    }

    async fn subscription_mark(
        &mut self,
        subscription: &str,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        let sql = "SELECT last_event_created FROM billing_subscriptions WHERE id = ?";
        let v: Option<Option<i64>> = opt_scalar(self.conn(), sql, (subscription,)).await?;
        Ok(v.flatten().map(time))
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
             VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET \
             last_event_created = ?2, last_event_id = ?3",
            (subscription, created.timestamp_micros(), event_id),
        )
        .await?;
        Ok(())
    }

    async fn tenant(&mut self, id: Uuid) -> StoreResult<Option<Tenant>> {
        let row = opt(self.conn(), "SELECT * FROM tenants WHERE id = ?", (id,)).await?;
        row.as_ref().map(|r| decode::tenant(&Cols(r))).transpose()
    }

    async fn tenant_by_customer(&mut self, customer: &str) -> StoreResult<Option<Tenant>> {
        tenant_where(self.conn(), "stripe_customer_id = ?", customer).await
    }

    async fn tenant_by_billing_email(&mut self, email: &str) -> StoreResult<Option<Tenant>> {
        tenant_where(self.conn(), "lower(billing_email) = lower(?)", email).await
    }

    async fn slugs_like(&mut self, base: &str) -> StoreResult<Vec<String>> {
        let rows = all(
            self.conn(),
            "SELECT slug FROM tenants WHERE slug = ?1 OR substr(slug, 1, length(?1) + 1) = ?1 || '-'",
            (base,),
        )
        .await?;
        rows.iter()
            .map(|r| r.try_get("slug").map_err(err))
            .collect()
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
        let before = self
            .tenant(tenant_id)
            .await?
            .ok_or_else(|| StoreError::Internal("tenant vanished during billing".into()))?;
        let Some(after) = before.with_billing(customer, billing_email) else {
            return Ok(before);
        };
        sqlx::query("UPDATE tenants SET stripe_customer_id = ?, billing_email = ? WHERE id = ?")
            .bind(&after.stripe_customer_id)
            .bind(&after.billing_email)
            .bind(tenant_id)
            .execute(self.conn())
            .await
            .map_err(|e| unique_to_conflict(e, ConflictField::StripeCustomer))?;
        let entry = NewAuditEntry::tenant_updated(actor, &before, &after);
        insert_audit(self.conn(), &entry, now_micros()).await?;
        Ok(after)
    }

    async fn owner_or_invited(&mut self, tenant_id: Uuid, email: &str) -> StoreResult<bool> {
        let n: i64 = scalar(
            self.conn(),
            "SELECT (SELECT count(*) FROM memberships WHERE tenant_id = ?1 AND role = 'owner') + \
             (SELECT count(*) FROM invitations WHERE tenant_id = ?1 AND role = 'owner' \
              AND lower(email) = lower(?2) AND accepted_at IS NULL AND expires_at > ?3)",
            (tenant_id, email, now_micros()),
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
        enqueue_mail(self.conn(), mail, now_micros()).await
    }

    async fn product_for_price(&mut self, price_id: &str) -> StoreResult<Option<Product>> {
        let condition = "p.id = (SELECT product_id FROM product_prices WHERE price_id = ?)";
        product_where(self.conn(), condition, price_id.to_owned()).await
    }

    async fn product(&mut self, id: Uuid) -> StoreResult<Option<Product>> {
        product_where(self.conn(), "p.id = ?", id).await
    }

    async fn licenses_of_subscription(&mut self, subscription: &str) -> StoreResult<Vec<License>> {
        let sql = "SELECT * FROM licenses WHERE subscription_id = ? ORDER BY id";
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
            "INSERT INTO billing_invoices (id, subscription_id, payment_intent_id) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET \
             subscription_id = coalesce(billing_invoices.subscription_id, ?2), \
             payment_intent_id = coalesce(billing_invoices.payment_intent_id, ?3)",
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
             AND (id = ?1 OR payment_intent_id = ?2) LIMIT 1";
        opt_scalar(self.conn(), sql, (invoice, payment_intent)).await
    }

    async fn first_failure_mail(&mut self, invoice: &str) -> StoreResult<bool> {
        let n = exec(
            self.conn(),
            "UPDATE billing_invoices SET failure_mailed = 1 WHERE id = ? AND failure_mailed = 0",
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
            "SELECT count(*) FROM trials WHERE product_id = ?1 AND (email_key = ?2 OR hardware_id = ?3)",
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
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (product_id, email_key, hardware_id, license.tenant_id, license.id, now_micros()),
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
            "UPDATE billing_events SET status = ?, reason = ?, license_ids = ?, tenant_id = ? WHERE id = ?",
            (status.as_str(), reason, to_json(&license_ids), tenant_id, id),
        )
        .await?;
        self.commit().await
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(err)
    }
}
