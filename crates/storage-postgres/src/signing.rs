//! Signing keys on PostgreSQL, shared by every process on the database.

use crate::prelude::*;

#[async_trait]
impl SigningKeyStore for PgStore {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let sql =
            "SELECT * FROM signing_keys WHERE is_current OR retain_until > clock_timestamp() \
                   ORDER BY created_at DESC";
        let rows = all(&self.pool, sql, ()).await?;
        rows.iter().map(|r| decode::signing_key(&Cols(r))).collect()
    }

    /// The table lock is self-conflicting, so processes starting at once with no key take
    /// turns: the first stores its key and the others then see a current key and store
    /// nothing.
    async fn add_signing_key(&self, key: NewSigningKey, rotation: KeyRotation) -> StoreResult<()> {
        let mut tx = self.global_tx().await?;
        let conn = &mut *tx;
        let lock = "LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE";
        exec(&mut *conn, lock, ()).await?;
        let current = "SELECT EXISTS (SELECT 1 FROM signing_keys WHERE is_current)";
        let has_current: bool = scalar(&mut *conn, current, ()).await?;
        match rotation {
            KeyRotation::FirstKey if has_current => return done(tx, ()).await,
            KeyRotation::FirstKey => {}
            KeyRotation::Replace { retire_old_until } => {
                let retire =
                    "UPDATE signing_keys SET is_current = FALSE, retain_until = $1 WHERE is_current";
                exec(&mut *conn, retire, (retire_old_until,)).await?;
            }
        }
        let now = db_now(conn).await?;
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
        done(tx, ()).await
    }
}
