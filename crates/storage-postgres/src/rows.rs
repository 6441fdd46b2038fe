//! Row to domain mapping for PostgreSQL's native column types (uuid, timestamptz, jsonb,
//! boolean, bigint).

use coditect_domain::{
    Actor, ActorType, ApiToken, AuditEntry, EndReason, License, Role, Session, SessionStatus,
    Tenant,
};
use coditect_storage::{SigningKeyRecord, StoreError, StoreResult};
use serde_json::{Map, Value};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::Row;

use crate::err;

fn bad(what: &str) -> StoreError {
    StoreError::Internal(format!("corrupt row: {what}"))
}

/// A `jsonb` column decoded into `T`; a value of the wrong shape is a corrupt row.
fn json<T: serde::de::DeserializeOwned>(r: &PgRow, col: &str) -> StoreResult<T> {
    let v: Json<T> = r.try_get(col).map_err(|_| bad(col))?;
    Ok(v.0)
}

/// A nullable `jsonb` column decoded into `T`.
fn opt_json<T: serde::de::DeserializeOwned>(r: &PgRow, col: &str) -> StoreResult<Option<T>> {
    let v: Option<Json<T>> = r.try_get(col).map_err(|_| bad(col))?;
    Ok(v.map(|j| j.0))
}

/// A tenant row.
pub(crate) fn tenant(r: &PgRow) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: r.try_get("id").map_err(err)?,
        name: r.try_get("name").map_err(err)?,
        slug: r.try_get("slug").map_err(err)?,
        created_at: r.try_get("created_at").map_err(err)?,
    })
}

/// An `api_tokens` row.
pub(crate) fn token(r: &PgRow) -> StoreResult<ApiToken> {
    let role: String = r.try_get("role").map_err(err)?;
    Ok(ApiToken {
        id: r.try_get("id").map_err(err)?,
        tenant_id: r.try_get("tenant_id").map_err(err)?,
        name: r.try_get("name").map_err(err)?,
        role: Role::parse(&role).ok_or_else(|| bad("role"))?,
        created_at: r.try_get("created_at").map_err(err)?,
        revoked_at: r.try_get("revoked_at").map_err(err)?,
        created_by_user_id: r.try_get("created_by_user_id").map_err(err)?,
    })
}

/// A `licenses` row.
pub(crate) fn license(r: &PgRow) -> StoreResult<License> {
    Ok(License {
        id: r.try_get("id").map_err(err)?,
        tenant_id: r.try_get("tenant_id").map_err(err)?,
        name: r.try_get("name").map_err(err)?,
        key_sealed: r.try_get("key_sealed").map_err(err)?,
        key_hint: r.try_get("key_hint").map_err(err)?,
        seats_total: r.try_get("seats_total").map_err(err)?,
        expires_at: r.try_get("expires_at").map_err(err)?,
        heartbeat_ttl_seconds: r.try_get("heartbeat_ttl_seconds").map_err(err)?,
        entitlements: json::<Vec<String>>(r, "entitlements")?,
        metadata: json::<Map<String, Value>>(r, "metadata")?,
        is_active: r.try_get("is_active").map_err(err)?,
        max_borrow_hours: r.try_get("max_borrow_hours").map_err(err)?,
        created_at: r.try_get("created_at").map_err(err)?,
        updated_at: r.try_get("updated_at").map_err(err)?,
    })
}

/// A `sessions` row, as stored (callers apply [`Session::effective`] where it is reported).
pub(crate) fn session(r: &PgRow) -> StoreResult<Session> {
    let status: String = r.try_get("status").map_err(err)?;
    let reason: Option<String> = r.try_get("end_reason").map_err(err)?;
    Ok(Session {
        id: r.try_get("id").map_err(err)?,
        tenant_id: r.try_get("tenant_id").map_err(err)?,
        license_id: r.try_get("license_id").map_err(err)?,
        hardware_id: r.try_get("hardware_id").map_err(err)?,
        user_email: r.try_get("user_email").map_err(err)?,
        client: opt_json::<Map<String, Value>>(r, "client")?,
        status: SessionStatus::parse(&status).ok_or_else(|| bad("status"))?,
        end_reason: reason
            .as_deref()
            .map(|s| EndReason::parse(s).ok_or_else(|| bad("end_reason")))
            .transpose()?,
        created_at: r.try_get("created_at").map_err(err)?,
        last_heartbeat_at: r.try_get("last_heartbeat_at").map_err(err)?,
        expires_at: r.try_get("expires_at").map_err(err)?,
        ended_at: r.try_get("ended_at").map_err(err)?,
        borrowed: r.try_get("borrowed").map_err(err)?,
    })
}

/// An `audit_log` row.
pub(crate) fn audit(r: &PgRow) -> StoreResult<AuditEntry> {
    let actor_type: String = r.try_get("actor_type").map_err(err)?;
    Ok(AuditEntry {
        id: r.try_get("id").map_err(err)?,
        tenant_id: r.try_get("tenant_id").map_err(err)?,
        at: r.try_get("at").map_err(err)?,
        actor: Actor {
            actor_type: ActorType::parse(&actor_type).ok_or_else(|| bad("actor_type"))?,
            id: r.try_get("actor_id").map_err(err)?,
            name: r.try_get("actor_name").map_err(err)?,
        },
        action: r.try_get("action").map_err(err)?,
        resource: r.try_get("resource").map_err(err)?,
        resource_id: r.try_get("resource_id").map_err(err)?,
        before: r.try_get("before").map_err(err)?,
        after: r.try_get("after").map_err(err)?,
    })
}

/// A `signing_keys` row.
pub(crate) fn signing_key(r: &PgRow) -> StoreResult<SigningKeyRecord> {
    Ok(SigningKeyRecord {
        kid: r.try_get("kid").map_err(err)?,
        alg: r.try_get("alg").map_err(err)?,
        private_sealed: r.try_get("private_sealed").map_err(err)?,
        public_jwk: r.try_get("public_jwk").map_err(err)?,
        is_current: r.try_get("is_current").map_err(err)?,
        created_at: r.try_get("created_at").map_err(err)?,
        retain_until: r.try_get("retain_until").map_err(err)?,
    })
}
