//! Staff administration of accounts on PostgreSQL (the `AccountStore` methods for staff
//! rights, deactivation and the account log). The staff rule is in the shared
//! statements' `WHERE`; an advisory transaction lock serializes staff changes, so two
//! transactions demoting the last two staff users cannot both see the other one still
//! standing (under READ COMMITTED each would otherwise count from its own snapshot).

use coditect_domain::staff::{AccountAction, AccountAuditEntry};
use coditect_storage::shared::staff as q;

use crate::prelude::*;

/// Key of the advisory lock that serializes changes to staff rights and deactivation.
const STAFF_LOCK: i64 = 0x0c0d_17ec_57af;

async fn locked_user(conn: &mut PgConnection, user_id: Uuid) -> StoreResult<Option<User>> {
    exec(
        &mut *conn,
        "SELECT pg_advisory_xact_lock($1)",
        (STAFF_LOCK,),
    )
    .await?;
    let row = opt(
        &mut *conn,
        "SELECT * FROM users WHERE id = $1 FOR UPDATE",
        (user_id,),
    )
    .await?;
    row.map(|r| decode::user(&Cols(&r))).transpose()
}

/// Logs an account action inside the caller's transaction.
pub(crate) async fn log(
    conn: &mut PgConnection,
    user_id: Uuid,
    action: AccountAction,
    actor: &Actor,
    change: Option<(&User, &User)>,
) -> StoreResult<()> {
    let now = db_now(conn).await?;
    exec(
        conn,
        q::INSERT_ACCOUNT_AUDIT,
        (
            Uuid::now_v7(),
            user_id,
            action.as_str(),
            actor.actor_type.as_str(),
            actor.id,
            actor.name.as_deref(),
            change.map(|(b, _)| q::snapshot_text(b)),
            change.map(|(_, a)| q::snapshot_text(a)),
            now,
        ),
    )
    .await?;
    Ok(())
}

pub(crate) async fn set_staff(
    conn: &mut PgConnection,
    user_id: Uuid,
    is_staff: bool,
    actor: &Actor,
) -> StoreResult<Option<User>> {
    let Some(before) = locked_user(conn, user_id).await? else {
        return Ok(None);
    };
    if before.is_staff == is_staff {
        return Ok(Some(before));
    }
    let now = db_now(conn).await?;
    let row = opt(&mut *conn, q::SET_STAFF, (user_id, is_staff, now)).await?;
    let after = match row {
        Some(r) => decode::user(&Cols(&r))?,
        None => return Err(StoreError::Conflict(ConflictField::Staff)),
    };
    let action = AccountAction::for_staff(is_staff);
    log(conn, user_id, action, actor, Some((&before, &after))).await?;
    Ok(Some(after))
}

pub(crate) async fn set_deactivated(
    conn: &mut PgConnection,
    user_id: Uuid,
    deactivate: bool,
    actor: &Actor,
) -> StoreResult<Option<User>> {
    let Some(before) = locked_user(conn, user_id).await? else {
        return Ok(None);
    };
    if before.deactivated_at.is_some() == deactivate {
        return Ok(Some(before));
    }
    let now = db_now(conn).await?;
    let at = deactivate.then_some(now);
    let row = opt(&mut *conn, q::SET_DEACTIVATED, (user_id, at, now)).await?;
    let after = match row {
        Some(r) => decode::user(&Cols(&r))?,
        None => return Err(StoreError::Conflict(ConflictField::Staff)),
    };
    if deactivate {
        exec(&mut *conn, q::END_SESSIONS, (user_id,)).await?;
    }
    let action = AccountAction::for_deactivation(deactivate);
    log(conn, user_id, action, actor, Some((&before, &after))).await?;
    Ok(Some(after))
}

pub(crate) async fn recent_account_audit(
    conn: &mut PgConnection,
    limit: u32,
) -> StoreResult<Vec<AccountAuditEntry>> {
    let rows = all(conn, q::RECENT_ACCOUNT_AUDIT, (i64::from(limit),)).await?;
    rows.iter()
        .map(|r| q::account_audit_entry(&Cols(r)))
        .collect()
}
