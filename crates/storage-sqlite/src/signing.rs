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
    let rows = all(pool, "SELECT * FROM signing_keys WHERE is_current = 1 OR retain_until > ? ORDER BY created_at DESC", (now_micros(),)).await?;
    rows.iter().map(|r| decode::signing_key(&Cols(r))).collect()
}

pub(crate) async fn add(
    conn: &mut SqliteConnection,
    key: NewSigningKey,
    make_current: bool,
    retire_old_until: DateTime<Utc>,
) -> StoreResult<()> {
    let has_current: i64 = scalar(
        &mut *conn,
        "SELECT count(*) FROM signing_keys WHERE is_current = 1",
        (),
    )
    .await?;
    if has_current > 0 && !make_current {
        return Ok(());
    }
    exec(
        &mut *conn,
        "UPDATE signing_keys SET is_current = 0, retain_until = ? WHERE is_current = 1",
        (retire_old_until.timestamp_micros(),),
    )
    .await?;
    exec(
        &mut *conn,
        "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, is_current, created_at) \
         VALUES (?, ?, ?, ?, 1, ?)",
        (
            &key.kid,
            &key.alg,
            &key.private_sealed,
            to_json(&key.public_jwk),
            now_micros(),
        ),
    )
    .await?;
    Ok(())
}
