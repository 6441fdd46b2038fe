//! Row to domain mapping for the seat writer's rusqlite rows: the same columns as
//! `rows.rs` reads through sqlx (integer microseconds, UUID blobs, JSON as text).

use coditect_domain::{EndReason, License, Session, SessionStatus};
use coditect_storage::{StoreError, StoreResult};
use rusqlite::Row;
use serde_json::{Map, Value};

use crate::rows::time;
use crate::writer::db_err;

fn bad(what: &str) -> StoreError {
    StoreError::Internal(format!("corrupt row: {what}"))
}

fn get<T: rusqlite::types::FromSql>(r: &Row<'_>, col: &str) -> StoreResult<T> {
    r.get(col).map_err(db_err)
}

fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|_| bad(what))
}

/// A `licenses` row.
pub(crate) fn license(r: &Row<'_>) -> StoreResult<License> {
    let ent: String = get(r, "entitlements")?;
    let meta: String = get(r, "metadata")?;
    Ok(License {
        id: get(r, "id")?,
        tenant_id: get(r, "tenant_id")?,
        name: get(r, "name")?,
        key_sealed: get(r, "key_sealed")?,
        key_hint: get(r, "key_hint")?,
        seats_total: get(r, "seats_total")?,
        expires_at: get::<Option<i64>>(r, "expires_at")?.map(time),
        heartbeat_ttl_seconds: get(r, "heartbeat_ttl_seconds")?,
        entitlements: json::<Vec<String>>(&ent, "entitlements")?,
        metadata: json::<Map<String, Value>>(&meta, "metadata")?,
        is_active: get(r, "is_active")?,
        max_borrow_hours: get(r, "max_borrow_hours")?,
        created_at: time(get(r, "created_at")?),
        updated_at: time(get(r, "updated_at")?),
    })
}

/// A `sessions` row.
pub(crate) fn session(r: &Row<'_>) -> StoreResult<Session> {
    let status: String = get(r, "status")?;
    let reason: Option<String> = get(r, "end_reason")?;
    let client: Option<String> = get(r, "client")?;
    Ok(Session {
        id: get(r, "id")?,
        tenant_id: get(r, "tenant_id")?,
        license_id: get(r, "license_id")?,
        hardware_id: get(r, "hardware_id")?,
        user_email: get(r, "user_email")?,
        client: client.map(|c| json(&c, "client")).transpose()?,
        status: SessionStatus::parse(&status).ok_or_else(|| bad("status"))?,
        end_reason: reason
            .as_deref()
            .map(|s| EndReason::parse(s).ok_or_else(|| bad("end_reason")))
            .transpose()?,
        created_at: time(get(r, "created_at")?),
        last_heartbeat_at: time(get(r, "last_heartbeat_at")?),
        expires_at: time(get(r, "expires_at")?),
        ended_at: get::<Option<i64>>(r, "ended_at")?.map(time),
        borrowed: get(r, "borrowed")?,
    })
}
