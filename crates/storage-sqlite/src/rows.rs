//! Row to domain mapping for SQLite's column types (integer microseconds, UUID blobs,
//! JSON as text).

use chrono::{DateTime, Utc};
use coditect_domain::{
    Actor, ActorType, ApiToken, AuditEntry, EndReason, License, Role, Session, SessionStatus,
    Tenant,
};
use coditect_storage::{SigningKeyRecord, StoreError, StoreResult};
use serde_json::{Map, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::err;

/// Microseconds since the epoch to a UTC time.
pub(crate) fn time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

fn opt_time(micros: Option<i64>) -> Option<DateTime<Utc>> {
    micros.map(time)
}

fn bad(what: &str) -> StoreError {
    StoreError::Internal(format!("corrupt row: {what}"))
}

fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|_| bad(what))
}

pub(crate) fn to_json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

pub(crate) fn tenant(r: &SqliteRow) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: r.try_get("id").map_err(err)?,
        name: r.try_get("name").map_err(err)?,
        slug: r.try_get("slug").map_err(err)?,
        created_at: time(r.try_get("created_at").map_err(err)?),
    })
}

pub(crate) fn token(r: &SqliteRow) -> StoreResult<ApiToken> {
    let role: String = r.try_get("role").map_err(err)?;
    Ok(ApiToken {
        id: r.try_get("id").map_err(err)?,
        tenant_id: r.try_get("tenant_id").map_err(err)?,
        name: r.try_get("name").map_err(err)?,
        role: Role::parse(&role).ok_or_else(|| bad("role"))?,
        created_at: time(r.try_get("created_at").map_err(err)?),
        revoked_at: opt_time(r.try_get("revoked_at").map_err(err)?),
        created_by_user_id: r.try_get("created_by_user_id").map_err(err)?,
    })
}

pub(crate) fn license(r: &SqliteRow) -> StoreResult<License> {
    let ent: String = r.try_get("entitlements").map_err(err)?;
    let meta: String = r.try_get("metadata").map_err(err)?;
    Ok(License {
        id: r.try_get("id").map_err(err)?,
        tenant_id: r.try_get("tenant_id").map_err(err)?,
        name: r.try_get("name").map_err(err)?,
        key_sealed: r.try_get("key_sealed").map_err(err)?,
        key_hint: r.try_get("key_hint").map_err(err)?,
        seats_total: r.try_get("seats_total").map_err(err)?,
        expires_at: opt_time(r.try_get("expires_at").map_err(err)?),
        heartbeat_ttl_seconds: r.try_get("heartbeat_ttl_seconds").map_err(err)?,
        entitlements: json::<Vec<String>>(&ent, "entitlements")?,
        metadata: json::<Map<String, Value>>(&meta, "metadata")?,
        is_active: r.try_get("is_active").map_err(err)?,
        max_borrow_hours: r.try_get("max_borrow_hours").map_err(err)?,
        created_at: time(r.try_get("created_at").map_err(err)?),
        updated_at: time(r.try_get("updated_at").map_err(err)?),
    })
}

pub(crate) fn session(r: &SqliteRow) -> StoreResult<Session> {
    let status: String = r.try_get("status").map_err(err)?;
    let reason: Option<String> = r.try_get("end_reason").map_err(err)?;
    let client: Option<String> = r.try_get("client").map_err(err)?;
    Ok(Session {
        id: r.try_get("id").map_err(err)?,
        tenant_id: r.try_get("tenant_id").map_err(err)?,
        license_id: r.try_get("license_id").map_err(err)?,
        hardware_id: r.try_get("hardware_id").map_err(err)?,
        user_email: r.try_get("user_email").map_err(err)?,
        client: client.map(|c| json(&c, "client")).transpose()?,
        status: SessionStatus::parse(&status).ok_or_else(|| bad("status"))?,
        end_reason: reason
            .as_deref()
            .map(|s| EndReason::parse(s).ok_or_else(|| bad("end_reason")))
            .transpose()?,
        created_at: time(r.try_get("created_at").map_err(err)?),
        last_heartbeat_at: time(r.try_get("last_heartbeat_at").map_err(err)?),
        expires_at: time(r.try_get("expires_at").map_err(err)?),
        ended_at: opt_time(r.try_get("ended_at").map_err(err)?),
        borrowed: r.try_get("borrowed").map_err(err)?,
    })
}

pub(crate) fn audit(r: &SqliteRow) -> StoreResult<AuditEntry> {
    let actor_type: String = r.try_get("actor_type").map_err(err)?;
    let before: Option<String> = r.try_get("before").map_err(err)?;
    let after: Option<String> = r.try_get("after").map_err(err)?;
    Ok(AuditEntry {
        id: r.try_get("id").map_err(err)?,
        tenant_id: r.try_get("tenant_id").map_err(err)?,
        at: time(r.try_get("at").map_err(err)?),
        actor: Actor {
            actor_type: ActorType::parse(&actor_type).ok_or_else(|| bad("actor_type"))?,
            id: r.try_get("actor_id").map_err(err)?,
            name: r.try_get("actor_name").map_err(err)?,
        },
        action: r.try_get("action").map_err(err)?,
        resource: r.try_get("resource").map_err(err)?,
        resource_id: r.try_get("resource_id").map_err(err)?,
        before: before.map(|b| json(&b, "before")).transpose()?,
        after: after.map(|a| json(&a, "after")).transpose()?,
    })
}

pub(crate) fn signing_key(r: &SqliteRow) -> StoreResult<SigningKeyRecord> {
    let jwk: String = r.try_get("public_jwk").map_err(err)?;
    Ok(SigningKeyRecord {
        kid: r.try_get("kid").map_err(err)?,
        alg: r.try_get("alg").map_err(err)?,
        private_sealed: r.try_get("private_sealed").map_err(err)?,
        public_jwk: json(&jwk, "public_jwk")?,
        is_current: r.try_get("is_current").map_err(err)?,
        created_at: time(r.try_get("created_at").map_err(err)?),
        retain_until: opt_time(r.try_get("retain_until").map_err(err)?),
    })
}
