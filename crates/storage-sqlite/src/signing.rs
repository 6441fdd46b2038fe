//! Signing keys on SQLite, shared by every process on the file.

use crate::prelude::*;

#[async_trait]
impl SigningKeyStore for SqliteStore {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let sql = "SELECT * FROM signing_keys WHERE is_current = 1 OR retain_until > ? \
                   ORDER BY created_at DESC";
        let rows = all(&self.reader, sql, (now_micros(),)).await?;
        rows.iter().map(|r| decode::signing_key(&Cols(r))).collect()
    }

    /// `BEGIN IMMEDIATE` holds the file's write lock, so processes starting at once with
    /// no key take turns: the first stores its key, the others see it current.
    async fn add_signing_key(&self, key: NewSigningKey, rotation: KeyRotation) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let current = "SELECT count(*) FROM signing_keys WHERE is_current = 1";
        let has_current = scalar::<_, i64>(&mut **tx, current, ()).await? > 0;
        if let KeyRotation::Replace { retire_old_until } = rotation {
            let retire =
                "UPDATE signing_keys SET is_current = 0, retain_until = ? WHERE is_current = 1";
            exec(&mut **tx, retire, (retire_old_until.timestamp_micros(),)).await?;
        } else if has_current {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, is_current, created_at) \
             VALUES (?, ?, ?, ?, 1, ?)",
        )
        .bind(&key.kid)
        .bind(&key.alg)
        .bind(&key.private_sealed)
        .bind(to_json(&key.public_jwk))
        .bind(now_micros())
        .execute(&mut **tx)
        .await
        .map_err(|e| unique_to_conflict(e, ConflictField::Kid))?;
        tx.commit().await.map_err(err)
    }
}
