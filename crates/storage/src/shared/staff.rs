//! The staff-administration statements both backends run as they are (`$N` binds on
//! both; times in the backend's own type). The staff rule (at least one active staff
//! account stays) is in the `WHERE` of the statement that makes the change: a refused
//! change updates no row. Each backend runs these under a lock that serializes staff
//! changes (PostgreSQL: an advisory transaction lock; SQLite: its write lock), so two
//! staff demoting each other at once cannot both see the other still standing.

use coditect_domain::staff::{AccountAction, AccountAuditEntry};
use coditect_domain::{Actor, ActorType, User};
use serde_json::{json, Value};

use crate::decode::Columns;
use crate::{StoreError, StoreResult};

/// Sets `is_staff`: `$1` user, `$2` staff or not, `$3` now. Taking staff away from an
/// active staff user changes nothing unless another active staff user exists.
pub const SET_STAFF: &str = "UPDATE users SET is_staff = $2, updated_at = $3 \
     WHERE id = $1 AND ($2 OR deactivated_at IS NOT NULL OR EXISTS (SELECT 1 FROM users o \
         WHERE o.is_staff AND o.deactivated_at IS NULL AND o.id <> $1)) \
     RETURNING *";

/// Sets `deactivated_at`: `$1` user, `$2` the time (`NULL`: reactivate), `$3` now.
/// Deactivating an active staff user changes nothing unless another active staff user
/// exists.
pub const SET_DEACTIVATED: &str = "UPDATE users SET deactivated_at = $2, updated_at = $3 \
     WHERE id = $1 AND ($2 IS NULL OR NOT is_staff OR EXISTS (SELECT 1 FROM users o \
         WHERE o.is_staff AND o.deactivated_at IS NULL AND o.id <> $1)) \
     RETURNING *";

/// Ends every dashboard session of a user: `$1` user.
pub const END_SESSIONS: &str = "DELETE FROM web_sessions WHERE user_id = $1";

/// `$1` id, `$2` user, `$3` action, `$4` actor type, `$5` actor id, `$6` actor name,
/// `$7` before (JSON text), `$8` after (JSON text), `$9` now.
pub const INSERT_ACCOUNT_AUDIT: &str = "INSERT INTO account_audit (id, user_id, action, \
     actor_type, actor_id, actor_name, before, after, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// The newest account-log entries first: `$1` how many.
pub const RECENT_ACCOUNT_AUDIT: &str = "SELECT * FROM account_audit ORDER BY id DESC LIMIT $1";

/// What an account-log entry keeps of a user before and after a change.
pub fn snapshot(u: &User) -> Value {
    json!({"email": u.email, "is_staff": u.is_staff, "deactivated_at": u.deactivated_at})
}

/// A snapshot as the JSON text the `before` and `after` columns hold.
pub fn snapshot_text(u: &User) -> String {
    snapshot(u).to_string()
}

/// An `account_audit` row.
pub fn account_audit_entry<R: Columns>(r: &R) -> StoreResult<AccountAuditEntry> {
    let json = |col: &str| -> StoreResult<Option<Value>> {
        r.opt_text(col)?
            .map(|t| {
                serde_json::from_str(&t)
                    .map_err(|e| StoreError::Internal(format!("account_audit.{col}: {e}")))
            })
            .transpose()
    };
    let action = r.text("action")?;
    let actor_type = r.text("actor_type")?;
    Ok(AccountAuditEntry {
        id: r.uuid("id")?,
        user_id: r.uuid("user_id")?,
        action: AccountAction::parse(&action)
            .ok_or_else(|| StoreError::Internal(format!("unknown account action {action}")))?,
        actor: Actor {
            actor_type: ActorType::parse(&actor_type)
                .ok_or_else(|| StoreError::Internal(format!("unknown actor {actor_type}")))?,
            id: r.opt_uuid("actor_id")?,
            name: r.opt_text("actor_name")?,
        },
        before: json("before")?,
        after: json("after")?,
        created_at: r.time("created_at")?,
    })
}
