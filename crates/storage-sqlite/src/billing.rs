//! Billing on SQLite: products and their prices, Stripe's stored events, expiry
//! reminders; the transaction that applies an event is in `billing_tx.rs`.

use coditect_storage::sql::Args;
use sqlx::Sqlite;

use crate::billing_tx::SqliteBillingTx;
use crate::prelude::*;

/// A product's columns with its prices as a JSON array, in their given order.
pub(crate) const PRODUCT_SELECT: &str = "SELECT p.*, (SELECT json_group_array(price_id) FROM \
     (SELECT price_id FROM product_prices pp WHERE pp.product_id = p.id ORDER BY position)) \
     AS stripe_price_ids FROM products p";

/// Runs a statement whose unique violation is a conflict on `field`.
async fn exec_unique<'q>(
    conn: &mut SqliteConnection,
    sql: &'q str,
    args: impl Args<'q, Sqlite>,
    field: ConflictField,
) -> StoreResult<()> {
    args.bind(sqlx::query(sql))
        .execute(&mut *conn)
        .await
        .map_err(|e| unique_to_conflict(e, field))?;
    Ok(())
}

async fn set_prices(conn: &mut SqliteConnection, id: Uuid, prices: &[String]) -> StoreResult<()> {
    exec(
        &mut *conn,
        "DELETE FROM product_prices WHERE product_id = ?",
        (id,),
    )
    .await?;
    for (i, price) in prices.iter().enumerate() {
        let sql = "INSERT INTO product_prices (price_id, product_id, position) VALUES (?, ?, ?)";
        exec_unique(conn, sql, (price, id, i as i64), ConflictField::PriceId).await?;
    }
    Ok(())
}

pub(crate) async fn product_where(
    conn: impl SqliteExecutor<'_>,
    condition: &str,
    value: impl for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Send,
) -> StoreResult<Option<Product>> {
    let sql = format!("{PRODUCT_SELECT} WHERE {condition}");
    let row = sqlx::query(&sql)
        .bind(value)
        .fetch_optional(conn)
        .await
        .map_err(err)?;
    row.as_ref().map(|r| decode::product(&Cols(r))).transpose()
}

async fn write_product(conn: &mut SqliteConnection, p: &Product, create: bool) -> StoreResult<()> {
    let sql = if create {
        "INSERT INTO products (slug, name, seats_per_unit, heartbeat_ttl_seconds, entitlements, \
         trial_days, trial_seats, grace_days, metered, created_at, updated_at, id) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    } else {
        "UPDATE products SET slug = ?, name = ?, seats_per_unit = ?, heartbeat_ttl_seconds = ?, \
         entitlements = ?, trial_days = ?, trial_seats = ?, grace_days = ?, metered = ?, \
         created_at = ?, updated_at = ? WHERE id = ?"
    };
    let args = (
        &p.slug,
        &p.name,
        p.seats_per_unit,
        p.heartbeat_ttl_seconds,
        to_json(&p.entitlements),
        p.trial_days,
        p.trial_seats,
        p.grace_days,
        p.metered,
        p.created_at.timestamp_micros(),
        p.updated_at.timestamp_micros(),
        p.id,
    );
    exec_unique(conn, sql, args, ConflictField::Slug).await?;
    set_prices(conn, p.id, &p.stripe_price_ids).await
}

#[async_trait]
impl BillingStore for SqliteStore {
    async fn create_product(&self, p: NewProduct) -> StoreResult<Product> {
        let now = time(now_micros());
        let product = Product::new(Uuid::now_v7(), p, now);
        let mut tx = self.write_tx().await?;
        write_product(&mut tx, &product, true).await?;
        tx.commit().await.map_err(err)?;
        Ok(product)
    }

    async fn list_products(&self, page: PageRequest) -> StoreResult<Page<Product>> {
        let sql =
            format!("{PRODUCT_SELECT} WHERE (?1 IS NULL OR p.id > ?1) ORDER BY p.id LIMIT ?2");
        let rows = all(&self.reader, &sql, (page.after, i64::from(page.limit) + 1)).await?;
        decode::page(rows.iter().map(Cols), page, decode::product, |p| p.id)
    }

    async fn get_product(&self, id: Uuid) -> StoreResult<Option<Product>> {
        product_where(&self.reader, "p.id = ?", id).await
    }

    async fn product_by_slug(&self, slug: &str) -> StoreResult<Option<Product>> {
        product_where(&self.reader, "p.slug = ?", slug.to_owned()).await
    }

    async fn update_product(&self, id: Uuid, patch: &ProductPatch) -> StoreResult<Option<Product>> {
        let mut tx = self.write_tx().await?;
        let Some(mut product) = product_where(&mut **tx, "p.id = ?", id).await? else {
            return Ok(None);
        };
        if product.apply(patch) {
            product.updated_at = time(now_micros());
            write_product(&mut tx, &product, false).await?;
            tx.commit().await.map_err(err)?;
        }
        Ok(Some(product))
    }

    async fn store_billing_event(&self, e: &NewBillingEvent) -> StoreResult<bool> {
        let mut conn = self.write_conn().await?;
        let n = exec(
            &mut **conn,
            "INSERT INTO billing_events (id, row_id, event_type, created, received_at, status, \
             license_ids, payload) VALUES (?, ?, ?, ?, ?, 'pending', '[]', ?) \
             ON CONFLICT (id) DO NOTHING",
            (
                &e.id,
                Uuid::now_v7(),
                &e.event_type,
                e.created.timestamp_micros(),
                now_micros(),
                to_json(&e.payload),
            ),
        )
        .await?;
        Ok(n == 1)
    }

    async fn list_billing_events(
        &self,
        filter: &BillingEventFilter,
        page: PageRequest,
    ) -> StoreResult<Page<BillingEvent>> {
        let rows = all(
            &self.reader,
            "SELECT * FROM billing_events WHERE (?1 IS NULL OR row_id < ?1) \
             AND (?2 IS NULL OR event_type = ?2) AND (?3 IS NULL OR status = ?3) \
             ORDER BY row_id DESC LIMIT ?4",
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
        Ok(Page::from_overfetch(items, page.limit, |(row_id, _)| *row_id).map(|(_, e)| e))
    }

    async fn get_billing_event(&self, id: &str) -> StoreResult<Option<BillingEvent>> {
        let row = opt(
            &self.reader,
            "SELECT * FROM billing_events WHERE id = ?",
            (id,),
        )
        .await?;
        Ok(row
            .as_ref()
            .map(|r| decode::billing_event(&Cols(r)))
            .transpose()?
            .map(|(_, e)| e))
    }

    async fn pending_billing_events(&self, limit: u32) -> StoreResult<Vec<String>> {
        let rows = all(
            &self.reader,
            "SELECT id FROM billing_events WHERE status = 'pending' ORDER BY created, row_id LIMIT ?",
            (i64::from(limit),),
        )
        .await?;
        rows.iter().map(|r| r.try_get("id").map_err(err)).collect()
    }

    async fn billing_tx(&self) -> StoreResult<Box<dyn BillingTx>> {
        Ok(Box::new(SqliteBillingTx::new(self.write_tx().await?)))
    }

    async fn expiring_licenses(&self, until: DateTime<Utc>) -> StoreResult<Vec<ExpiringLicense>> {
        let now = now_micros();
        let rows = all(
            &self.reader,
            "SELECT l.*, t.name AS tenant_name, t.billing_email, \
               (SELECT json_group_array(u.email) FROM memberships m JOIN users u ON u.id = m.user_id \
                WHERE m.tenant_id = l.tenant_id AND m.role = 'owner') AS owner_emails, \
               (SELECT json_group_array(r.threshold_days) FROM expiry_reminders r \
                WHERE r.license_id = l.id AND r.expires_at = l.expires_at) AS sent_thresholds \
             FROM licenses l JOIN tenants t ON t.id = l.tenant_id \
             WHERE l.is_active AND l.expires_at > ?1 AND l.expires_at <= ?2 ORDER BY l.expires_at LIMIT 1000",
            (now, until.timestamp_micros()),
        )
        .await?;
        rows.iter()
            .map(|r| decode::expiring_license(&Cols(r)))
            .collect()
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
        let mut tx = self.write_tx().await?;
        let now = now_micros();
        for d in thresholds {
            let n = exec(
                &mut **tx,
                "INSERT INTO expiry_reminders (license_id, expires_at, threshold_days, tenant_id, \
                 sent_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (l.id, expires_at.timestamp_micros(), d, l.tenant_id, now),
            )
            .await?;
            if n == 0 {
                return Ok(false);
            }
        }
        for m in mails {
            enqueue_mail(&mut **tx, m, now).await?;
        }
        tx.commit().await.map_err(err)?;
        Ok(true)
    }
}
