//! Staff administration of accounts on SQLite (the `AccountStore` methods for staff
//! rights, deactivation and the account log). The staff rule is in the shared
//! statements' `WHERE`; the caller's `BEGIN IMMEDIATE` transaction holds SQLite's write
//! lock, which serializes concurrent changes.

use coditect_domain::staff::{AccountAction, AccountAuditEntry};
use coditect_storage::shared::staff as q;

use crate::prelude::*;

async fn user_row(conn: &mut SqliteConnection, user_id: Uuid) -> StoreResult<Option<User>> {
    let row = opt(&mut *conn, "SELECT * FROM users WHERE id = ?", (user_id,)).await?;
    row.map(|r| decode::user(&Cols(&r))).transpose()
}

/// Logs an account action inside the caller's transaction.
pub(crate) async fn log(
    conn: &mut SqliteConnection,
    user_id: Uuid,
    action: AccountAction,
    actor: &Actor,
    change: Option<(&User, &User)>,
) -> StoreResult<()> {
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
            now_micros(),
        ),
    )
    .await?;
    Ok(())
}

pub(crate) async fn set_staff(
    conn: &mut SqliteConnection,
    user_id: Uuid,
    is_staff: bool,
    actor: &Actor,
) -> StoreResult<Option<User>> {
    let Some(before) = user_row(conn, user_id).await? else {
        return Ok(None);
    };
    if before.is_staff == is_staff {
        return Ok(Some(before));
    }
    let row = opt(&mut *conn, q::SET_STAFF, (user_id, is_staff, now_micros())).await?;
    let after = match row {
        Some(r) => decode::user(&Cols(&r))?,
        None => return Err(StoreError::Conflict(ConflictField::Staff)),
    };
    let action = AccountAction::for_staff(is_staff);
    log(conn, user_id, action, actor, Some((&before, &after))).await?;
    Ok(Some(after))
}

pub(crate) async fn set_deactivated(
    conn: &mut SqliteConnection,
    user_id: Uuid,
    deactivate: bool,
    actor: &Actor,
) -> StoreResult<Option<User>> {
    let Some(before) = user_row(conn, user_id).await? else {
        return Ok(None);
    };
    if before.deactivated_at.is_some() == deactivate {
        return Ok(Some(before));
    }
    let now = now_micros();
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
    pool: &SqlitePool,
    limit: u32,
) -> StoreResult<Vec<AccountAuditEntry>> {
    let rows = all(pool, q::RECENT_ACCOUNT_AUDIT, (i64::from(limit),)).await?;
    rows.iter()
        .map(|r| q::account_audit_entry(&Cols(r)))
        .collect()
}
