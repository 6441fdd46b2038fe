//! Billing on PostgreSQL: products and their prices, Stripe's stored events, expiry
//! reminders; the transaction that applies an event is in `billing_tx.rs`. Products and
//! prices are global tables; stored events, trials and reminders carry a tenant and are
//! read and written in `system_tx` (billing is cross-tenant by nature).

use coditect_storage::sql::Args;
use sqlx::Postgres;

use crate::billing_tx::PgBillingTx;
use crate::prelude::*;

/// A product's columns with its prices as a JSON array, in their given order.
pub(crate) const PRODUCT_SELECT: &str = "SELECT p.*, coalesce((SELECT jsonb_agg(price_id ORDER BY position) \
     FROM product_prices pp WHERE pp.product_id = p.id), '[]'::jsonb) AS stripe_price_ids FROM products p";

/// Runs a statement whose unique violation is a conflict on `field`.
async fn exec_unique<'q>(
    conn: &mut PgConnection,
    sql: &'q str,
    args: impl Args<'q, Postgres>,
    field: ConflictField,
) -> StoreResult<()> {
    args.bind(sqlx::query(sql))
        .execute(&mut *conn)
        .await
        .map_err(|e| unique_to_conflict(e, field))?;
    Ok(())
}

async fn set_prices(conn: &mut PgConnection, id: Uuid, prices: &[String]) -> StoreResult<()> {
    exec(
        &mut *conn,
        "DELETE FROM product_prices WHERE product_id = $1",
        (id,),
    )
    .await?;
    for (i, price) in prices.iter().enumerate() {
        let sql = "INSERT INTO product_prices (price_id, product_id, position) VALUES ($1, $2, $3)";
        exec_unique(conn, sql, (price, id, i as i32), ConflictField::PriceId).await?;
    }
    Ok(())
}

/// The product meeting `condition` (on `p`, with `value` as its one parameter).
pub(crate) async fn product_where(
    conn: impl PgExecutor<'_>,
    condition: &str,
    value: impl for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send,
) -> StoreResult<Option<Product>> {
    let sql = format!("{PRODUCT_SELECT} WHERE {condition}");
    let row = sqlx::query(&sql)
        .bind(value)
        .fetch_optional(conn)
        .await
        .map_err(err)?;
    row.as_ref().map(|r| decode::product(&Cols(r))).transpose()
}

async fn write_product(conn: &mut PgConnection, p: &Product, create: bool) -> StoreResult<()> {
    let sql = if create {
        "INSERT INTO products (slug, name, seats_per_unit, heartbeat_ttl_seconds, entitlements, \
         trial_days, trial_seats, grace_days, metered, created_at, updated_at, id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    } else {
        "UPDATE products SET slug = $1, name = $2, seats_per_unit = $3, heartbeat_ttl_seconds = $4, \
         entitlements = $5, trial_days = $6, trial_seats = $7, grace_days = $8, metered = $9, \
         created_at = $10, updated_at = $11 WHERE id = $12"
    };
    let args = (
        &p.slug,
        &p.name,
        p.seats_per_unit,
        p.heartbeat_ttl_seconds,
        Json(&p.entitlements),
        p.trial_days,
        p.trial_seats,
        p.grace_days,
        p.metered,
        p.created_at,
        p.updated_at,
        p.id,
    );
    exec_unique(conn, sql, args, ConflictField::Slug).await?;
    set_prices(conn, p.id, &p.stripe_price_ids).await
}

#[async_trait]
impl BillingStore for PgStore {
    async fn create_product(&self, p: NewProduct) -> StoreResult<Product> {
        let mut tx = self.global_tx().await?;
        let now = db_now(&mut tx).await?;
        let product = Product::new(Uuid::now_v7(), p, now);
        write_product(&mut tx, &product, true).await?;
        // Read back: the database keeps microseconds.
        let stored = product_where(&mut *tx, "p.id = $1", product.id).await?;
        done(
            tx,
            stored.ok_or_else(|| StoreError::Internal("product vanished".into()))?,
        )
        .await
    }

    async fn list_products(&self, page: PageRequest) -> StoreResult<Page<Product>> {
        let sql = format!(
            "{PRODUCT_SELECT} WHERE ($1::uuid IS NULL OR p.id > $1) ORDER BY p.id LIMIT $2"
        );
        let rows = all(&self.pool, &sql, (page.after, i64::from(page.limit) + 1)).await?;
        decode::page(rows.iter().map(Cols), page, decode::product, |p| p.id)
    }

    async fn get_product(&self, id: Uuid) -> StoreResult<Option<Product>> {
        product_where(&self.pool, "p.id = $1", id).await
    }

    async fn product_by_slug(&self, slug: &str) -> StoreResult<Option<Product>> {
        product_where(&self.pool, "p.slug = $1", slug.to_owned()).await
    }

    async fn update_product(&self, id: Uuid, patch: &ProductPatch) -> StoreResult<Option<Product>> {
        let mut tx = self.global_tx().await?;
        exec(
            &mut *tx,
            "SELECT 1 FROM products WHERE id = $1 FOR UPDATE",
            (id,),
        )
        .await?;
        let Some(mut product) = product_where(&mut *tx, "p.id = $1", id).await? else {
            return Ok(None);
        };
        if product.apply(patch) {
            product.updated_at = db_now(&mut tx).await?;
            write_product(&mut tx, &product, false).await?;
            let stored = product_where(&mut *tx, "p.id = $1", id).await?;
            return done(tx, stored).await;
        }
        Ok(Some(product))
    }

    async fn store_billing_event(&self, e: &NewBillingEvent) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let n = exec(
            &mut *tx,
            "INSERT INTO billing_events (id, row_id, event_type, created, received_at, status, \
             license_ids, payload) VALUES ($1, $2, $3, $4, clock_timestamp(), 'pending', '[]', $5) \
             ON CONFLICT (id) DO NOTHING",
            (
                &e.id,
                Uuid::now_v7(),
                &e.event_type,
                e.created,
                Json(&e.payload),
            ),
        )
        .await?;
        done(tx, n == 1).await
    }

    async fn list_billing_events(
        &self,
        filter: &BillingEventFilter,
        page: PageRequest,
    ) -> StoreResult<Page<BillingEvent>> {
        let mut tx = self.system_tx().await?;
        let rows = all(
            &mut *tx,
            "SELECT * FROM billing_events WHERE ($1::uuid IS NULL OR row_id < $1) \
             AND ($2::text IS NULL OR event_type = $2) AND ($3::text IS NULL OR status = $3) \
             ORDER BY row_id DESC LIMIT $4",
            (
                page.after,
                filter.event_type.as_deref(),
                filter.status.map(|s| s.as_str()),
                i64::from(page.limit) + 1,
            ),
        )
        .await?;
        let items = rows
            .iter()
            .map(|r| decode::billing_event(&Cols(r)))
            .collect::<StoreResult<Vec<_>>>()?;
        let page = Page::from_overfetch(items, page.limit, |(row_id, _)| *row_id).map(|(_, e)| e);
        done(tx, page).await
    }

    async fn get_billing_event(&self, id: &str) -> StoreResult<Option<BillingEvent>> {
        let mut tx = self.system_tx().await?;
        let row = opt(
            &mut *tx,
            "SELECT * FROM billing_events WHERE id = $1",
            (id,),
        )
        .await?;
        let out = row
            .as_ref()
            .map(|r| decode::billing_event(&Cols(r)))
            .transpose()?
            .map(|(_, e)| e);
        done(tx, out).await
    }

    async fn pending_billing_events(&self, limit: u32) -> StoreResult<Vec<String>> {
        let mut tx = self.system_tx().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM billing_events WHERE status = 'pending' ORDER BY created, row_id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(err)?;
        done(tx, ids).await
    }

    async fn billing_tx(&self) -> StoreResult<Box<dyn BillingTx>> {
        Ok(Box::new(PgBillingTx::new(self.system_tx().await?)))
    }

    async fn expiring_licenses(&self, until: DateTime<Utc>) -> StoreResult<Vec<ExpiringLicense>> {
        let mut tx = self.system_tx().await?;
        let rows = all(
            &mut *tx,
            "SELECT l.*, t.name AS tenant_name, t.billing_email, \
               coalesce((SELECT jsonb_agg(u.email) FROM memberships m JOIN users u ON u.id = m.user_id \
                WHERE m.tenant_id = l.tenant_id AND m.role = 'owner'), '[]'::jsonb) AS owner_emails, \
               coalesce((SELECT jsonb_agg(r.threshold_days) FROM expiry_reminders r \
                WHERE r.license_id = l.id AND r.expires_at = l.expires_at), '[]'::jsonb) AS sent_thresholds \
             FROM licenses l JOIN tenants t ON t.id = l.tenant_id \
             WHERE l.is_active AND l.expires_at > clock_timestamp() AND l.expires_at <= $1 \
             ORDER BY l.expires_at LIMIT 1000",
            (until,),
        )
        .await?;
        let out = rows
            .iter()
            .map(|r| decode::expiring_license(&Cols(r)))
            .collect::<StoreResult<Vec<_>>>()?;
        done(tx, out).await
    }

    async fn record_expiry_reminder(
        &self,
        license: &ExpiringLicense,
        thresholds: &[i64],
        mails: &[NewMail],
    ) -> StoreResult<bool> {
        let l = &license.license;
        let Some(expires_at) = l.expires_at else {
            return Ok(false);
        };
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        for d in thresholds {
            let n = exec(
                &mut *tx,
                "INSERT INTO expiry_reminders (license_id, expires_at, threshold_days, tenant_id, \
                 sent_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                (l.id, expires_at, d, l.tenant_id, now),
            )
            .await?;
            if n == 0 {
                return Ok(false);
            }
        }
        for m in mails {
            enqueue_mail(&mut *tx, m, now).await?;
        }
        done(tx, true).await
    }
}
