//! Dashboard people on PostgreSQL: users, their memberships, dashboard sessions and
//! password resets (invitations and member changes are in `members.rs`). One-time tokens
//! are locked `FOR UPDATE` before use, so a token is spent once even under races.

use crate::accounts_staff as staff;
use crate::prelude::*;
use coditect_domain::staff::{AccountAction, AccountAuditEntry};

#[async_trait]
impl AccountStore for PgStore {
    async fn create_first_user(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
    ) -> StoreResult<User> {
        // Users are not tenant rows; the first user is staff, before any tenant exists.
        let mut tx = self.system_tx().await?;
        let u = create_first_user(&mut tx, email, name, password_hash).await?;
        done(tx, u).await
    }

    async fn has_users(&self) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let out = has_users(&mut tx).await?;
        done(tx, out).await
    }

    async fn user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        let mut tx = self.system_tx().await?;
        let out = user_credentials(&mut tx, email).await?;
        done(tx, out).await
    }

    async fn user_profile(&self, user_id: Uuid) -> StoreResult<Option<UserProfile>> {
        // A user's memberships span tenants.
        let mut tx = self.system_tx().await?;
        let out = user_profile(&mut tx, user_id).await?;
        done(tx, out).await
    }

    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<UserProfile>> {
        // Staff listing across tenants.
        let mut tx = self.system_tx().await?;
        let out = list_users(&mut tx, page).await?;
        done(tx, out).await
    }

    async fn create_web_session(
        &self,
        id_hash: &str,
        user_id: Uuid,
        idle: chrono::Duration,
        absolute: chrono::Duration,
    ) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let out = create_web_session(&mut tx, id_hash, user_id, idle, absolute).await?;
        done(tx, out).await
    }

    async fn web_session_user(
        &self,
        id_hash: &str,
        idle: chrono::Duration,
    ) -> StoreResult<Option<UserProfile>> {
        // Authentication by cookie: the user's tenants are what is being found out.
        let mut tx = self.system_tx().await?;
        let out = web_session_user(&mut tx, id_hash, idle).await?;
        done(tx, out).await
    }

    async fn delete_web_session(&self, id_hash: &str) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let out = delete_web_session(&mut tx, id_hash).await?;
        done(tx, out).await
    }

    async fn create_password_reset(
        &self,
        email: &str,
        token_hash: &str,
        ttl: chrono::Duration,
        mail: NewMail,
    ) -> StoreResult<bool> {
        // Users and resets are not tenant rows.
        let mut tx = self.system_tx().await?;
        let found = create_password_reset(&mut tx, email, token_hash, ttl, mail).await?;
        done(tx, found).await
    }

    async fn password_reset(&self, token_hash: &str) -> StoreResult<OneTime<()>> {
        // Looked up by token before its user is known.
        let mut tx = self.system_tx().await?;
        let out = password_reset(&mut tx, token_hash).await?;
        done(tx, out).await
    }

    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> StoreResult<OneTime<User>> {
        let mut tx = self.system_tx().await?;
        let out = reset_password(&mut tx, token_hash, password_hash).await?;
        done(tx, out).await
    }

    async fn set_staff(
        &self,
        user_id: Uuid,
        is_staff: bool,
        actor: &Actor,
    ) -> StoreResult<Option<User>> {
        // Users are not tenant rows.
        let mut tx = self.system_tx().await?;
        let out = staff::set_staff(&mut tx, user_id, is_staff, actor).await?;
        done(tx, out).await
    }

    async fn set_deactivated(
        &self,
        user_id: Uuid,
        deactivate: bool,
        actor: &Actor,
    ) -> StoreResult<Option<User>> {
        let mut tx = self.system_tx().await?;
        let out = staff::set_deactivated(&mut tx, user_id, deactivate, actor).await?;
        done(tx, out).await
    }

    async fn log_account_action(
        &self,
        user_id: Uuid,
        action: AccountAction,
        actor: &Actor,
    ) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        staff::log(&mut tx, user_id, action, actor, None).await?;
        done(tx, ()).await
    }

    async fn recent_account_audit(&self, limit: u32) -> StoreResult<Vec<AccountAuditEntry>> {
        let mut tx = self.system_tx().await?;
        let out = staff::recent_account_audit(&mut tx, limit).await?;
        done(tx, out).await
    }
}

pub(crate) const MEMBER_SELECT: &str =
    "SELECT u.id, u.email, u.name, m.role, m.created_at AS joined_at \
     FROM memberships m JOIN users u ON u.id = m.user_id";

pub(crate) async fn has_users(conn: &mut PgConnection) -> StoreResult<bool> {
    scalar(&mut *conn, "SELECT EXISTS (SELECT 1 FROM users)", ()).await
}

pub(crate) async fn insert_user(
    conn: &mut PgConnection,
    email: &str,
    name: &str,
    password_hash: &str,
    is_staff: bool,
) -> StoreResult<User> {
    let now = db_now(conn).await?;
    let row = sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, is_staff, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .bind(is_staff)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(|e| crate::unique_to_conflict(e, ConflictField::Email))?;
    decode::user(&Cols(&row))
}

/// Key of the advisory lock that serializes first-run setups across processes.
const SETUP_LOCK: i64 = 0x0c0d_17ec_5e70;

pub(crate) async fn create_first_user(
    conn: &mut PgConnection,
    email: &str,
    name: &str,
    password_hash: &str,
) -> StoreResult<User> {
    exec(
        &mut *conn,
        "SELECT pg_advisory_xact_lock($1)",
        (SETUP_LOCK,),
    )
    .await?;
    let any: bool = scalar(&mut *conn, "SELECT EXISTS (SELECT 1 FROM users)", ()).await?;
    if any {
        return Err(StoreError::Conflict(ConflictField::User));
    }
    insert_user(conn, email, name, password_hash, true).await
}

pub(crate) async fn user_credentials(
    conn: &mut PgConnection,
    email: &str,
) -> StoreResult<Option<UserCredentials>> {
    let row = opt(&mut *conn, "SELECT * FROM users WHERE email = $1", (email,)).await?;
    row.map(|r| decode::user_credentials(&Cols(&r))).transpose()
}

async fn memberships(conn: impl PgExecutor<'_>, user_id: Uuid) -> StoreResult<Vec<Membership>> {
    let rows = all(
        conn,
        coditect_storage::shared::identity::USER_MEMBERSHIPS,
        (user_id,),
    )
    .await?;
    rows.iter().map(|r| decode::membership(&Cols(r))).collect()
}

pub(crate) async fn user_profile(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> StoreResult<Option<UserProfile>> {
    let row = opt(&mut *conn, "SELECT * FROM users WHERE id = $1", (user_id,)).await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(UserProfile {
        user: decode::user(&Cols(&row))?,
        memberships: memberships(&mut *conn, user_id).await?,
    }))
}

pub(crate) async fn list_users(
    conn: &mut PgConnection,
    page: PageRequest,
) -> StoreResult<Page<UserProfile>> {
    let rows = all(
        &mut *conn,
        "SELECT * FROM users WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
        (page.after, i64::from(page.limit) + 1),
    )
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let u = decode::user(&Cols(r))?;
        let memberships = memberships(&mut *conn, u.id).await?;
        items.push(UserProfile {
            user: u,
            memberships,
        });
    }
    Ok(Page::from_overfetch(items, page.limit, |p| p.user.id))
}

pub(crate) async fn create_web_session(
    conn: &mut PgConnection,
    id_hash: &str,
    user_id: Uuid,
    idle: Duration,
    absolute: Duration,
) -> StoreResult<bool> {
    let made = exec(
        &mut *conn,
        "INSERT INTO web_sessions (id_hash, user_id, created_at, last_seen_at, idle_expires_at, \
         absolute_expires_at) SELECT $1, u.id, t.now, t.now, t.now + $3, t.now + $4 \
         FROM (SELECT clock_timestamp() AS now) t, users u \
         WHERE u.id = $2 AND u.deactivated_at IS NULL",
        (id_hash, user_id, idle, absolute),
    )
    .await?;
    Ok(made == 1)
}

/// The session's user; the idle expiry slides forward at most once a minute, so a busy
/// dashboard does not turn every read into a write.
pub(crate) async fn web_session_user(
    conn: &mut PgConnection,
    id_hash: &str,
    idle: Duration,
) -> StoreResult<Option<UserProfile>> {
    let user_id: Option<Uuid> = opt_scalar(&mut *conn, "WITH s AS (SELECT user_id, last_seen_at FROM web_sessions w JOIN users u ON u.id = w.user_id \
             WHERE id_hash = $1 AND u.deactivated_at IS NULL \
             AND idle_expires_at > clock_timestamp() AND absolute_expires_at > clock_timestamp()), \
         touched AS (UPDATE web_sessions w SET last_seen_at = clock_timestamp(), \
             idle_expires_at = LEAST(w.absolute_expires_at, clock_timestamp() + $2) \
             FROM s WHERE w.id_hash = $1 AND s.last_seen_at < clock_timestamp() - interval '1 minute') \
         SELECT user_id FROM s", (id_hash, idle)).await?;
    match user_id {
        Some(id) => user_profile(conn, id).await,
        None => Ok(None),
    }
}

pub(crate) async fn delete_web_session(conn: &mut PgConnection, id_hash: &str) -> StoreResult<()> {
    exec(
        &mut *conn,
        "DELETE FROM web_sessions WHERE id_hash = $1",
        (id_hash,),
    )
    .await?;
    Ok(())
}

pub(crate) async fn create_password_reset(
    conn: &mut PgConnection,
    email: &str,
    token_hash: &str,
    ttl: Duration,
    mail: NewMail,
) -> StoreResult<bool> {
    let id: Option<Uuid> = opt_scalar(
        &mut *conn,
        // A deactivated account gets no reset link: it could not sign in with it anyway.
        "SELECT id FROM users WHERE email = $1 AND deactivated_at IS NULL",
        (email,),
    )
    .await?;
    let Some(user_id) = id else { return Ok(false) };
    let now = db_now(conn).await?;
    exec(
        &mut *conn,
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
        (token_hash, user_id, now, now + ttl),
    )
    .await?;
    enqueue_mail(conn, &mail, now).await?;
    Ok(true)
}

pub(crate) async fn password_reset(
    conn: &mut PgConnection,
    token_hash: &str,
) -> StoreResult<OneTime<()>> {
    let row = opt(
        &mut *conn,
        "SELECT expires_at, used_at, clock_timestamp() AS now FROM password_resets \
         WHERE token_hash = $1",
        (token_hash,),
    )
    .await?;
    let Some(row) = row else {
        return Ok(OneTime::Unknown);
    };
    let state = coditect_domain::account::one_time_state(
        row.try_get("expires_at").map_err(err)?,
        row.try_get("used_at").map_err(err)?,
        row.try_get("now").map_err(err)?,
    );
    Ok(match state {
        OneTimeState::Spent => OneTime::Spent,
        OneTimeState::Usable => OneTime::Usable(()),
    })
}

pub(crate) async fn reset_password(
    conn: &mut PgConnection,
    token_hash: &str,
    password_hash: &str,
) -> StoreResult<OneTime<User>> {
    let row = opt(
        &mut *conn,
        "SELECT * FROM password_resets WHERE token_hash = $1 FOR UPDATE",
        (token_hash,),
    )
    .await?;
    let Some(row) = row else {
        return Ok(OneTime::Unknown);
    };
    let now = db_now(conn).await?;
    let state = coditect_domain::account::one_time_state(
        row.try_get("expires_at").map_err(err)?,
        row.try_get("used_at").map_err(err)?,
        now,
    );
    if state == OneTimeState::Spent {
        return Ok(OneTime::Spent);
    }
    let user_id: Uuid = row.try_get("user_id").map_err(err)?;
    // Every outstanding link of the user is spent with this one.
    exec(
        &mut *conn,
        "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
        (now, user_id),
    )
    .await?;
    let row = one(
        &mut *conn,
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 RETURNING *",
        (password_hash, now, user_id),
    )
    .await?;
    exec(
        &mut *conn,
        "DELETE FROM web_sessions WHERE user_id = $1",
        (user_id,),
    )
    .await?;
    Ok(OneTime::Usable(decode::user(&Cols(&row))?))
}
