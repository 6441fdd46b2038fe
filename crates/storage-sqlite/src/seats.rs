//! Seat operations on SQLite. Each runs inside the caller's `BEGIN IMMEDIATE`
//! transaction, so the clock reading, the count and the write are one atomic step.

use coditect_domain::seats::{self, AcquireDecision, ReleaseDecision};
use coditect_domain::SeatError;
use coditect_domain::{
    Actor, AuditAction, EndReason, NewAuditEntry, Page, PageRequest, Session, SessionStatus,
};
use coditect_storage::{
    AcquireOutcome, AcquireRequest, HeartbeatOutcome, ReleaseOutcome, StoreError, StoreResult,
};
use sqlx::{SqliteConnection, SqlitePool};
use uuid::Uuid;

use crate::admin::insert_audit;
use crate::queue;
use crate::rows::{self, to_json};
use crate::{err, now_micros};

async fn live_count(conn: &mut SqliteConnection, license_id: Uuid, now: i64) -> StoreResult<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM sessions WHERE license_id = ? AND status = 'active' AND expires_at > ?",
    )
    .bind(license_id)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(err)
}

/// Marks expired sessions (of one license, or all when `license_id` is `None`) and audits
/// each. The `status = 'active'` guard makes a session expire exactly once.
async fn expire_due(
    conn: &mut SqliteConnection,
    license_id: Option<Uuid>,
    now: i64,
    limit: u32,
) -> StoreResult<u64> {
    let rows = sqlx::query(
        "UPDATE sessions SET status = 'expired', end_reason = 'expired', ended_at = expires_at \
         WHERE id IN (SELECT id FROM sessions WHERE status = 'active' AND expires_at <= ?1 \
                      AND (?2 IS NULL OR license_id = ?2) ORDER BY expires_at LIMIT ?3) \
         RETURNING *",
    )
    .bind(now)
    .bind(license_id)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    for row in &rows {
        let entry = NewAuditEntry::session_expired(&rows::session(row)?);
        insert_audit(conn, &entry, now).await?;
    }
    Ok(rows.len() as u64)
}

pub(crate) async fn acquire(
    conn: &mut SqliteConnection,
    req: AcquireRequest,
) -> StoreResult<AcquireOutcome> {
    let now = now_micros();
    let row = sqlx::query("SELECT * FROM licenses WHERE key_hash = ?")
        .bind(&req.key_hash)
        .fetch_optional(&mut *conn)
        .await
        .map_err(err)?
        .ok_or(StoreError::LicenseNotFound)?;
    let license = rows::license(&row)?;
    // Reclaim this license's expired seats first, so the rows left `active` are exactly
    // the live ones and the one-active-session-per-hardware index cannot trip over a dead one.
    expire_due(conn, Some(license.id), now, u32::MAX).await?;
    let used = live_count(conn, license.id, now).await?;
    let same = sqlx::query(
        "SELECT * FROM sessions WHERE license_id = ? AND hardware_id = ? AND status = 'active'",
    )
    .bind(license.id)
    .bind(&req.hardware_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(err)?
    .map(|r| rows::session(&r))
    .transpose()?;
    let ahead = queue::places_ahead(conn, license.id, req.waiter, now).await?;
    let decision = match seats::decide_acquire(
        &license,
        rows::time(now),
        used,
        ahead,
        same.as_ref(),
        req.borrow_hours,
    ) {
        Ok(d) => d,
        Err(e @ SeatError::NoSeats { .. }) => {
            match req.waiter {
                // A queued acquire is not refused yet: it keeps its place and retries.
                Some(w) => queue::keep_place(conn, license.id, w, now).await?,
                None => crate::usage::record_denial(conn, &license, now).await?,
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(w) = req.waiter {
        queue::leave(conn, w).await?;
    }
    let borrowed = req.borrow_hours.is_some();
    let client = req.client.as_ref().map(to_json);
    let (row, created, seats_used) = match decision {
        AcquireDecision::Resume {
            session_id,
            expires_at,
        } => {
            let row = sqlx::query(
                "UPDATE sessions SET expires_at = ?, last_heartbeat_at = ?, user_email = ?, client = ?, \
                 borrowed = (borrowed OR ?) WHERE id = ? RETURNING *",
            )
            .bind(expires_at.timestamp_micros())
            .bind(now)
            .bind(&req.user_email)
            .bind(client)
            .bind(borrowed)
            .bind(session_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(err)?;
            (row, false, used)
        }
        AcquireDecision::Create { expires_at } => {
            let row = sqlx::query(
                "INSERT INTO sessions (id, tenant_id, license_id, hardware_id, user_email, client, \
                 status, created_at, last_heartbeat_at, expires_at, borrowed) \
                 VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?) RETURNING *",
            )
            .bind(Uuid::now_v7())
            .bind(license.tenant_id)
            .bind(license.id)
            .bind(&req.hardware_id)
            .bind(&req.user_email)
            .bind(client)
            .bind(now)
            .bind(now)
            .bind(expires_at.timestamp_micros())
            .bind(borrowed)
            .fetch_one(&mut *conn)
            .await
            .map_err(err)?;
            (row, true, used + 1)
        }
    };
    Ok(AcquireOutcome {
        session: rows::session(&row)?,
        license,
        seats_used,
        created,
        now: rows::time(now),
    })
}

/// The session with this id, only if it belongs to the license with this key hash.
async fn session_under_key(
    conn: &mut SqliteConnection,
    key_hash: &str,
    session_id: Uuid,
) -> StoreResult<(Session, coditect_domain::License)> {
    let row = sqlx::query(
        "SELECT l.* FROM licenses l JOIN sessions s ON s.license_id = l.id \
         WHERE s.id = ? AND l.key_hash = ?",
    )
    .bind(session_id)
    .bind(key_hash)
    .fetch_optional(&mut *conn)
    .await
    .map_err(err)?
    .ok_or(StoreError::SessionNotFound)?;
    let license = rows::license(&row)?;
    let row = sqlx::query("SELECT * FROM sessions WHERE id = ?")
        .bind(session_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(err)?;
    Ok((rows::session(&row)?, license))
}

pub(crate) async fn heartbeat(
    conn: &mut SqliteConnection,
    key_hash: &str,
    session_id: Uuid,
) -> StoreResult<HeartbeatOutcome> {
    let now = now_micros();
    let (session, license) = session_under_key(conn, key_hash, session_id).await?;
    let expires_at = seats::decide_heartbeat(&license, &session, rows::time(now))?;
    let row = sqlx::query(
        "UPDATE sessions SET expires_at = ?, last_heartbeat_at = ? WHERE id = ? RETURNING *",
    )
    .bind(expires_at.timestamp_micros())
    .bind(now)
    .bind(session_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(err)?;
    let seats_used = live_count(conn, license.id, now).await?;
    Ok(HeartbeatOutcome {
        session: rows::session(&row)?,
        license,
        seats_used,
        now: rows::time(now),
    })
}

async fn end_session(
    conn: &mut SqliteConnection,
    session_id: Uuid,
    reason: EndReason,
    now: i64,
) -> StoreResult<Session> {
    let row = sqlx::query(
        "UPDATE sessions SET status = 'released', end_reason = ?, ended_at = ? WHERE id = ? RETURNING *",
    )
    .bind(reason.as_str())
    .bind(now)
    .bind(session_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(err)?;
    rows::session(&row)
}

pub(crate) async fn release(
    conn: &mut SqliteConnection,
    key_hash: &str,
    session_id: Uuid,
) -> StoreResult<ReleaseOutcome> {
    let now = now_micros();
    let (session, license) = session_under_key(conn, key_hash, session_id).await?;
    let (released, status) = match seats::decide_release(&session, rows::time(now)) {
        ReleaseDecision::Release => {
            end_session(conn, session_id, EndReason::Released, now).await?;
            (true, SessionStatus::Released)
        }
        ReleaseDecision::AlreadyEnded(status) => (false, status),
    };
    Ok(ReleaseOutcome {
        session_id,
        license_id: license.id,
        released,
        status,
        now: rows::time(now),
    })
}

pub(crate) async fn force_release(
    conn: &mut SqliteConnection,
    tenant_id: Uuid,
    session_id: Uuid,
    actor: &Actor,
) -> StoreResult<Option<Session>> {
    let now = now_micros();
    let row = sqlx::query("SELECT * FROM sessions WHERE id = ? AND tenant_id = ?")
        .bind(session_id)
        .bind(tenant_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(err)?;
    let Some(row) = row else { return Ok(None) };
    let session = rows::session(&row)?;
    if seats::decide_release(&session, rows::time(now)) != ReleaseDecision::Release {
        return Ok(Some(session.effective(rows::time(now))));
    }
    let after = end_session(conn, session_id, EndReason::Forced, now).await?;
    let entry = NewAuditEntry {
        tenant_id,
        actor: actor.clone(),
        action: AuditAction::SessionForceRelease,
        resource_id: session_id,
        before: Some(session.audit_snapshot()),
        after: Some(after.audit_snapshot()),
    };
    insert_audit(conn, &entry, now).await?;
    Ok(Some(after))
}

pub(crate) async fn list_sessions(
    pool: &SqlitePool,
    tenant_id: Uuid,
    license_id: Uuid,
    status: Option<SessionStatus>,
    page: PageRequest,
) -> StoreResult<Page<Session>> {
    let now = now_micros();
    let filter = match status {
        None => "1",
        Some(SessionStatus::Active) => "(status = 'active' AND expires_at > ?1)",
        Some(SessionStatus::Released) => "status = 'released'",
        Some(SessionStatus::Expired) => {
            "(status = 'expired' OR (status = 'active' AND expires_at <= ?1))"
        }
    };
    let sql = format!(
        "SELECT * FROM sessions WHERE ?1 IS NOT NULL AND tenant_id = ?2 AND license_id = ?3 \
         AND (?4 IS NULL OR id > ?4) AND {filter} ORDER BY id LIMIT ?5"
    );
    let rows = sqlx::query(&sql)
        .bind(now)
        .bind(tenant_id)
        .bind(license_id)
        .bind(page.after)
        .bind(i64::from(page.limit) + 1)
        .fetch_all(pool)
        .await
        .map_err(err)?;
    let t = rows::time(now);
    let items = rows
        .iter()
        .map(|r| rows::session(r).map(|s| s.effective(t)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |s| s.id))
}

pub(crate) async fn reap_expired(conn: &mut SqliteConnection, limit: u32) -> StoreResult<u64> {
    expire_due(conn, None, now_micros(), limit).await
}
