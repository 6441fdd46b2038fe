//! Signing keys on PostgreSQL, shared by every process on the database.

use crate::prelude::*;

#[async_trait]
impl SigningKeyStore for PgStore {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        list(&self.pool).await
    }

    async fn add_signing_key(
        &self,
        key: NewSigningKey,
        make_current: bool,
        retire_old_until: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.global_tx().await?;
        add(&mut tx, key, make_current, retire_old_until).await?;
        done(tx, ()).await
    }
}

/// Every key not yet past its retention, newest first.
pub(crate) async fn list(pool: &PgPool) -> StoreResult<Vec<SigningKeyRecord>> {
    let rows = all(
        pool,
        "SELECT * FROM signing_keys WHERE is_current OR retain_until > clock_timestamp() \
         ORDER BY created_at DESC",
        (),
    )
    .await?;
    rows.iter().map(|r| decode::signing_key(&Cols(r))).collect()
}

/// Stores a key (see `Store::add_signing_key`). The table lock is self-conflicting, so
/// processes starting at once with no key take turns: the first stores its key and the
/// others then see a current key and store nothing.
pub(crate) async fn add(
    conn: &mut PgConnection,
    key: NewSigningKey,
    make_current: bool,
    retire_old_until: DateTime<Utc>,
) -> StoreResult<()> {
    exec(
        &mut *conn,
        "LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE",
        (),
    )
    .await?;
    let has_current: bool = scalar(
        &mut *conn,
        "SELECT EXISTS (SELECT 1 FROM signing_keys WHERE is_current)",
        (),
    )
    .await?;
    if has_current && !make_current {
        return Ok(());
    }
    let now = db_now(conn).await?;
    exec(
        &mut *conn,
        "UPDATE signing_keys SET is_current = FALSE, retain_until = $1 WHERE is_current",
        (retire_old_until,),
    )
    .await?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, is_current, created_at) \
         VALUES ($1, $2, $3, $4, TRUE, $5)",
    )
    .bind(&key.kid)
    .bind(&key.alg)
    .bind(&key.private_sealed)
    .bind(&key.public_jwk)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| unique_to_conflict(e, ConflictField::Kid))?;
    Ok(())
}
