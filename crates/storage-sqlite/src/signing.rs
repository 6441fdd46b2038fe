//! Signing keys on SQLite, shared by every process on the file.

use crate::prelude::*;

#[async_trait]
impl SigningKeyStore for SqliteStore {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        list(&self.reader).await
    }

    async fn add_signing_key(
        &self,
        key: NewSigningKey,
        make_current: bool,
        retire_old_until: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        add(&mut tx, key, make_current, retire_old_until).await?;
        tx.commit().await.map_err(err)
    }
}

pub(crate) async fn list(pool: &SqlitePool) -> StoreResult<Vec<SigningKeyRecord>> {
    let rows = sqlx::query(
        "SELECT * FROM signing_keys WHERE is_current = 1 OR retain_until > ? ORDER BY created_at DESC",
    )
    .bind(now_micros())
    .fetch_all(pool)
    .await
    .map_err(err)?;
    rows.iter().map(|r| decode::signing_key(&Cols(r))).collect()
}

pub(crate) async fn add(
    conn: &mut SqliteConnection,
    key: NewSigningKey,
    make_current: bool,
    retire_old_until: DateTime<Utc>,
) -> StoreResult<()> {
    let has_current: i64 =
        sqlx::query_scalar("SELECT count(*) FROM signing_keys WHERE is_current = 1")
            .fetch_one(&mut *conn)
            .await
            .map_err(err)?;
    if has_current > 0 && !make_current {
        return Ok(());
    }
    sqlx::query("UPDATE signing_keys SET is_current = 0, retain_until = ? WHERE is_current = 1")
        .bind(retire_old_until.timestamp_micros())
        .execute(&mut *conn)
        .await
        .map_err(err)?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, is_current, created_at) \
         VALUES (?, ?, ?, ?, 1, ?)",
    )
    .bind(&key.kid)
    .bind(&key.alg)
    .bind(&key.private_sealed)
    .bind(to_json(&key.public_jwk))
    .bind(now_micros())
    .execute(&mut *conn)
    .await
    .map_err(err)?;
    Ok(())
}
