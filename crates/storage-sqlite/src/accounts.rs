//! Dashboard people on SQLite: users, their memberships, dashboard sessions and password
//! resets (invitations and member changes are in `members.rs`). Writes run inside the caller's `BEGIN IMMEDIATE` transaction.

use crate::accounts_staff as staff;
use crate::prelude::*;
use coditect_domain::staff::{AccountAction, AccountAuditEntry};

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_first_user(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
    ) -> StoreResult<User> {
        let mut tx = self.write_tx().await?;
        let u = create_first_user(&mut tx, email, name, password_hash).await?;
        tx.commit().await.map_err(err)?;
        Ok(u)
    }

    async fn has_users(&self) -> StoreResult<bool> {
        has_users(&self.reader).await
    }

    async fn user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        user_credentials(&self.reader, email).await
    }

    async fn user_profile(&self, user_id: Uuid) -> StoreResult<Option<UserProfile>> {
        user_profile(&self.reader, user_id).await
    }

    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<UserProfile>> {
        list_users(&self.reader, page).await
    }

    async fn create_web_session(
        &self,
        id_hash: &str,
        user_id: Uuid,
        idle: chrono::Duration,
        absolute: chrono::Duration,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let made = create_web_session(&mut tx, id_hash, user_id, idle, absolute).await?;
        tx.commit().await.map_err(err)?;
        Ok(made)
    }

    async fn web_session_user(
        &self,
        id_hash: &str,
        idle: chrono::Duration,
    ) -> StoreResult<Option<UserProfile>> {
        web_session_user(self, id_hash, idle).await
    }

    async fn delete_web_session(&self, id_hash: &str) -> StoreResult<()> {
        delete_web_session(&mut **self.write_conn().await?, id_hash).await
    }

    async fn create_password_reset(
        &self,
        email: &str,
        token_hash: &str,
        ttl: chrono::Duration,
        mail: NewMail,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let found = create_password_reset(&mut tx, email, token_hash, ttl, mail).await?;
        tx.commit().await.map_err(err)?;
        Ok(found)
    }

    async fn password_reset(&self, token_hash: &str) -> StoreResult<OneTime<()>> {
        password_reset(&self.reader, token_hash).await
    }

    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> StoreResult<OneTime<User>> {
        let mut tx = self.write_tx().await?;
        let out = reset_password(&mut tx, token_hash, password_hash).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn set_staff(
        &self,
        user_id: Uuid,
        is_staff: bool,
        actor: &Actor,
    ) -> StoreResult<Option<User>> {
        let mut tx = self.write_tx().await?;
        let out = staff::set_staff(&mut tx, user_id, is_staff, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn set_deactivated(
        &self,
        user_id: Uuid,
        deactivate: bool,
        actor: &Actor,
    ) -> StoreResult<Option<User>> {
        let mut tx = self.write_tx().await?;
        let out = staff::set_deactivated(&mut tx, user_id, deactivate, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn log_account_action(
        &self,
        user_id: Uuid,
        action: AccountAction,
        actor: &Actor,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        staff::log(&mut tx, user_id, action, actor, None).await?;
        tx.commit().await.map_err(err)
    }

    async fn recent_account_audit(&self, limit: u32) -> StoreResult<Vec<AccountAuditEntry>> {
        staff::recent_account_audit(&self.reader, limit).await
    }
}

pub(crate) const MEMBER_SELECT: &str =
    "SELECT u.id, u.email, u.name, m.role, m.created_at AS joined_at \
     FROM memberships m JOIN users u ON u.id = m.user_id";

pub(crate) async fn has_users(pool: &SqlitePool) -> StoreResult<bool> {
    let n: i64 = scalar(
        pool,
        "SELECT count(*) FROM (SELECT 1 FROM users LIMIT 1)",
        (),
    )
    .await?;
    Ok(n > 0)
}

pub(crate) async fn insert_user(
    conn: &mut SqliteConnection,
    email: &str,
    name: &str,
    password_hash: &str,
    is_staff: bool,
) -> StoreResult<User> {
    let now = now_micros();
    let row = sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, is_staff, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .bind(is_staff)
    .bind(now)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(ConflictField::Email)
        }
        _ => err(e),
    })?;
    decode::user(&Cols(&row))
}

pub(crate) async fn create_first_user(
    conn: &mut SqliteConnection,
    email: &str,
    name: &str,
    password_hash: &str,
) -> StoreResult<User> {
    // The caller holds SQLite's write lock, so this check and the insert are one step.
    let n: i64 = scalar(&mut *conn, "SELECT count(*) FROM users", ()).await?;
    if n > 0 {
        return Err(StoreError::Conflict(ConflictField::User));
    }
    insert_user(conn, email, name, password_hash, true).await
}

pub(crate) async fn user_credentials(
    pool: &SqlitePool,
    email: &str,
) -> StoreResult<Option<UserCredentials>> {
    let row = opt(pool, "SELECT * FROM users WHERE email = ?", (email,)).await?;
    row.map(|r| decode::user_credentials(&Cols(&r))).transpose()
}

async fn memberships(conn: impl SqliteExecutor<'_>, user_id: Uuid) -> StoreResult<Vec<Membership>> {
    let rows = all(
        conn,
        coditect_storage::shared::identity::USER_MEMBERSHIPS,
        (user_id,),
    )
    .await?;
    rows.iter().map(|r| decode::membership(&Cols(r))).collect()
}

pub(crate) async fn user_profile(
    pool: &SqlitePool,
    user_id: Uuid,
) -> StoreResult<Option<UserProfile>> {
    let row = opt(pool, "SELECT * FROM users WHERE id = ?", (user_id,)).await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(UserProfile {
        user: decode::user(&Cols(&row))?,
        memberships: memberships(pool, user_id).await?,
    }))
}

pub(crate) async fn list_users(
    pool: &SqlitePool,
    page: PageRequest,
) -> StoreResult<Page<UserProfile>> {
    let rows = all(
        pool,
        "SELECT * FROM users WHERE (?1 IS NULL OR id > ?1) ORDER BY id LIMIT ?2",
        (page.after, i64::from(page.limit) + 1),
    )
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let u = decode::user(&Cols(r))?;
        let memberships = memberships(pool, u.id).await?;
        items.push(UserProfile {
            user: u,
            memberships,
        });
    }
    Ok(Page::from_overfetch(items, page.limit, |p| p.user.id))
}

pub(crate) async fn create_web_session(
    conn: &mut SqliteConnection,
    id_hash: &str,
    user_id: Uuid,
    idle: Duration,
    absolute: Duration,
) -> StoreResult<bool> {
    let now = now_micros();
    let made = exec(
        conn,
        "INSERT INTO web_sessions (id_hash, user_id, created_at, last_seen_at, idle_expires_at, \
         absolute_expires_at) SELECT ?1, id, ?3, ?3, ?4, ?5 FROM users \
         WHERE id = ?2 AND deactivated_at IS NULL",
        (
            id_hash,
            user_id,
            now,
            now + idle.num_microseconds().unwrap_or(i64::MAX / 4),
            now + absolute.num_microseconds().unwrap_or(i64::MAX / 4),
        ),
    )
    .await?;
    Ok(made == 1)
}

/// Looks the session up on the reader; the idle expiry is slid forward on the writer
/// only when a minute has passed since the last slide, so a busy dashboard does not turn
/// every read into a write.
pub(crate) async fn web_session_user(
    store: &crate::SqliteStore,
    id_hash: &str,
    idle: Duration,
) -> StoreResult<Option<UserProfile>> {
    let now = now_micros();
    let row = opt(
        &store.reader,
        "SELECT user_id, last_seen_at FROM web_sessions s WHERE id_hash = ?1 \
         AND idle_expires_at > ?2 AND absolute_expires_at > ?2 AND EXISTS (SELECT 1 FROM \
         users u WHERE u.id = s.user_id AND u.deactivated_at IS NULL)",
        (id_hash, now),
    )
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user_id: Uuid = row.try_get("user_id").map_err(err)?;
    let last_seen: i64 = row.try_get("last_seen_at").map_err(err)?;
    if now - last_seen > 60_000_000 {
        exec(
            &mut **store.write_conn().await?,
            "UPDATE web_sessions SET last_seen_at = ?1, \
             idle_expires_at = min(absolute_expires_at, ?1 + ?2) WHERE id_hash = ?3",
            (
                now,
                idle.num_microseconds().unwrap_or(i64::MAX / 4),
                id_hash,
            ),
        )
        .await?;
    }
    user_profile(&store.reader, user_id).await
}

pub(crate) async fn delete_web_session(
    conn: &mut SqliteConnection,
    id_hash: &str,
) -> StoreResult<()> {
    exec(
        conn,
        "DELETE FROM web_sessions WHERE id_hash = ?",
        (id_hash,),
    )
    .await?;
    Ok(())
}

pub(crate) async fn create_password_reset(
    conn: &mut SqliteConnection,
    email: &str,
    token_hash: &str,
    ttl: Duration,
    mail: NewMail,
) -> StoreResult<bool> {
    // A deactivated account gets no reset link: it could not sign in with it anyway.
    let id: Option<Uuid> = opt_scalar(
        &mut *conn,
        "SELECT id FROM users WHERE email = ? AND deactivated_at IS NULL",
        (email,),
    )
    .await?;
    let Some(user_id) = id else { return Ok(false) };
    let now = now_micros();
    exec(&mut *conn, "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)", (token_hash, user_id, now, now + ttl.num_microseconds().unwrap_or(0))).await?;
    enqueue_mail(conn, &mail, now).await?;
    Ok(true)
}

pub(crate) async fn password_reset(
    pool: &SqlitePool,
    token_hash: &str,
) -> StoreResult<OneTime<()>> {
    let row = opt(
        pool,
        "SELECT expires_at, used_at FROM password_resets WHERE token_hash = ?",
        (token_hash,),
    )
    .await?;
    let Some(row) = row else {
        return Ok(OneTime::Unknown);
    };
    let used: Option<i64> = row.try_get("used_at").map_err(err)?;
    let expires: i64 = row.try_get("expires_at").map_err(err)?;
    let state =
        coditect_domain::account::one_time_state(time(expires), used.map(time), time(now_micros()));
    Ok(match state {
        OneTimeState::Spent => OneTime::Spent,
        OneTimeState::Usable => OneTime::Usable(()),
    })
}

pub(crate) async fn reset_password(
    conn: &mut SqliteConnection,
    token_hash: &str,
    password_hash: &str,
) -> StoreResult<OneTime<User>> {
    let now = now_micros();
    let row = opt(
        &mut *conn,
        "SELECT * FROM password_resets WHERE token_hash = ?",
        (token_hash,),
    )
    .await?;
    let Some(row) = row else {
        return Ok(OneTime::Unknown);
    };
    let used: Option<i64> = row.try_get("used_at").map_err(err)?;
    let expires: i64 = row.try_get("expires_at").map_err(err)?;
    let state = coditect_domain::account::one_time_state(time(expires), used.map(time), time(now));
    if state == OneTimeState::Spent {
        return Ok(OneTime::Spent);
    }
    let user_id: Uuid = row.try_get("user_id").map_err(err)?;
    // Every outstanding link of the user is spent with this one.
    exec(
        &mut *conn,
        "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
        (now, user_id),
    )
    .await?;
    let row = one(
        &mut *conn,
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? RETURNING *",
        (password_hash, now, user_id),
    )
    .await?;
    exec(
        &mut *conn,
        "DELETE FROM web_sessions WHERE user_id = ?",
        (user_id,),
    )
    .await?;
    Ok(OneTime::Usable(decode::user(&Cols(&row))?))
}
