//! Seat operations on SQLite. Each runs on the seat writer's thread inside the batch's
//! `BEGIN IMMEDIATE` transaction (see `writer.rs`), so the clock reading, the count and
//! the write are one atomic step under SQLite's write lock.

use coditect_domain::seats::{self, AcquireDecision, ReleaseDecision};
use rusqlite::{params, Connection, OptionalExtension};

use crate::prelude::*;
use crate::queue::{
    keep_place, leave_queue, places_ahead, record_denial, record_wait_denial, Requester,
};
use crate::tenants::INSERT_AUDIT;
use crate::writer::db_err;

#[async_trait]
impl SeatStore for SqliteStore {
    async fn acquire(&self, req: AcquireRequest) -> StoreResult<AcquireOutcome> {
        // A refusal still commits: the expired seats it reclaimed, its denial record and
        // the queue place it took (see `writer::SeatWriter::run`).
        self.seats.run(move |c| acquire(c, req)).await
    }

    async fn leave_queue(&self, waiter: Uuid, denied: bool) -> StoreResult<()> {
        self.seats
            .run(move |c| {
                if denied {
                    record_wait_denial(c, waiter)?;
                }
                leave_queue(c, waiter)
            })
            .await
    }

    async fn heartbeat(&self, key_hash: &str, session_id: Uuid) -> StoreResult<HeartbeatOutcome> {
        let key_hash = key_hash.to_owned();
        self.seats
            .run(move |c| heartbeat(c, &key_hash, session_id))
            .await
    }

    async fn release(&self, key_hash: &str, session_id: Uuid) -> StoreResult<ReleaseOutcome> {
        let key_hash = key_hash.to_owned();
        self.seats
            .run(move |c| release(c, &key_hash, session_id))
            .await
    }

    async fn force_release(
        &self,
        tenant_id: Uuid,
        session_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Session>> {
        let actor = actor.clone();
        self.seats
            .run(move |c| force_release(c, tenant_id, session_id, &actor))
            .await
    }

    async fn list_sessions_during(
        &self,
        tenant_id: Uuid,
        license_id: Uuid,
        status: Option<SessionStatus>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: PageRequest,
    ) -> StoreResult<Page<Session>> {
        let range = (from, to);
        list_sessions(&self.reader, tenant_id, license_id, status, range, page).await
    }

    async fn reap_expired(&self, limit: u32) -> StoreResult<u64> {
        self.seats.run(move |c| reap_expired(c, limit)).await
    }

    async fn count_live_sessions(&self) -> StoreResult<i64> {
        scalar(
            &self.reader,
            "SELECT count(*) FROM sessions WHERE status = 'active' AND expires_at > ?",
            (now_micros(),),
        )
        .await
    }
}

fn live_count(conn: &Connection, license_id: Uuid, now: i64) -> StoreResult<i64> {
    conn.prepare_cached(
        "SELECT count(*) FROM sessions WHERE license_id = ? AND status = 'active' AND expires_at > ?",
    )
    .and_then(|mut s| s.query_row(params![license_id, now], |r| r.get(0)))
    .map_err(db_err)
}

/// Writes one audit entry (the same statement the admin code uses through sqlx).
pub(crate) fn insert_audit(conn: &Connection, e: &NewAuditEntry, at: i64) -> StoreResult<()> {
    conn.prepare_cached(INSERT_AUDIT)
        .and_then(|mut s| {
            s.execute(params![
                Uuid::now_v7(),
                e.tenant_id,
                at,
                e.actor.actor_type.as_str(),
                e.actor.id,
                e.actor.name.as_deref(),
                e.action.as_str(),
                e.action.resource(),
                e.resource_id,
                e.before.as_ref().map(to_json),
                e.after.as_ref().map(to_json),
            ])
        })
        .map_err(db_err)?;
    Ok(())
}

/// Marks expired sessions (of one license, or all when `license_id` is `None`) and audits
/// each. The `status = 'active'` guard makes a session expire exactly once.
fn expire_due(
    conn: &Connection,
    license_id: Option<Uuid>,
    now: i64,
    limit: u32,
) -> StoreResult<u64> {
    // Two statements, not one with `(?2 IS NULL OR license_id = ?2)`: SQLite plans a
    // prepared statement once, and that plan walked the global `sessions_due` index for a
    // single license too, so during a mass expiry each acquire scanned every expired
    // session of every license (found by the size benchmark: heartbeats waited > 1 s).
    let mut stmt = match license_id {
        Some(_) => conn.prepare_cached(
            "UPDATE sessions SET status = 'expired', end_reason = 'expired', ended_at = expires_at \
             WHERE id IN (SELECT id FROM sessions INDEXED BY sessions_active_by_license \
                          WHERE status = 'active' AND license_id = ?2 AND expires_at <= ?1 \
                          ORDER BY expires_at LIMIT ?3) \
             RETURNING *",
        ),
        None => conn.prepare_cached(
            "UPDATE sessions SET status = 'expired', end_reason = 'expired', ended_at = expires_at \
             WHERE id IN (SELECT id FROM sessions WHERE status = 'active' AND expires_at <= ?1 \
                          AND ?2 IS NULL ORDER BY expires_at LIMIT ?3) \
             RETURNING *",
        ),
    }
    .map_err(db_err)?;
    let mut rows = stmt
        .query(params![now, license_id, i64::from(limit)])
        .map_err(db_err)?;
    let mut expired = Vec::new();
    while let Some(row) = rows.next().map_err(db_err)? {
        expired.push(decode::session(&Cols(row))?);
    }
    drop(rows);
    for s in &expired {
        insert_audit(conn, &NewAuditEntry::session_expired(s), now)?;
    }
    Ok(expired.len() as u64)
}

fn license_by_key(conn: &Connection, key_hash: &str) -> StoreResult<License> {
    conn.prepare_cached("SELECT * FROM licenses WHERE key_hash = ?")
        .and_then(|mut s| {
            s.query_row([key_hash], |r| Ok(decode::license(&Cols(r))))
                .optional()
        })
        .map_err(db_err)?
        .ok_or(StoreError::LicenseNotFound)?
}

fn one_session(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> StoreResult<Option<Session>> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.query_row(p, |r| Ok(decode::session(&Cols(r)))).optional())
        .map_err(db_err)?
        .transpose()
}

/// Takes a seat, or resumes this hardware's live session.
pub(crate) fn acquire(conn: &Connection, req: AcquireRequest) -> StoreResult<AcquireOutcome> {
    let now = now_micros();
    let license = license_by_key(conn, &req.key_hash)?;
    // Reclaim this license's expired seats first, so the rows left `active` are exactly
    // the live ones and the one-active-session-per-hardware index cannot trip over a dead one.
    expire_due(conn, Some(license.id), now, u32::MAX)?;
    let used = live_count(conn, license.id, now)?;
    let same = one_session(
        conn,
        "SELECT * FROM sessions WHERE license_id = ? AND hardware_id = ? AND status = 'active'",
        params![license.id, req.hardware_id],
    )?;
    let ahead = places_ahead(conn, license.id, req.waiter, now)?;
    let decision = match seats::decide_acquire(
        &license,
        time(now),
        used,
        ahead,
        same.as_ref(),
        req.borrow_hours,
    ) {
        Ok(d) => d,
        Err(e @ SeatError::NoSeats { .. }) => {
            let who = Requester {
                hardware_id: &req.hardware_id,
                user_email: req.user_email.as_deref(),
            };
            match req.waiter {
                // A queued acquire is not refused yet: it keeps its place and retries.
                Some(w) => keep_place(conn, license.id, w, now, &who)?,
                None => record_denial(conn, &license, now, &who)?,
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(w) = req.waiter {
        leave_queue(conn, w)?;
    }
    let borrowed = req.borrow_hours.is_some();
    let client = req.client.as_ref().map(to_json);
    let (session, created, seats_used) = match decision {
        AcquireDecision::Resume {
            session_id,
            expires_at,
        } => {
            let s = one_session(
                conn,
                "UPDATE sessions SET expires_at = ?, last_heartbeat_at = ?, user_email = ?, client = ?, \
                 borrowed = (borrowed OR ?) WHERE id = ? RETURNING *",
                params![expires_at.timestamp_micros(), now, req.user_email, client, borrowed, session_id],
            )?;
            (s, false, used)
        }
        AcquireDecision::Create { expires_at } => {
            let s = one_session(
                conn,
                "INSERT INTO sessions (id, tenant_id, license_id, hardware_id, user_email, client, \
                 status, created_at, last_heartbeat_at, expires_at, borrowed) \
                 VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?) RETURNING *",
                params![
                    Uuid::now_v7(),
                    license.tenant_id,
                    license.id,
                    req.hardware_id,
                    req.user_email,
                    client,
                    now,
                    now,
                    expires_at.timestamp_micros(),
                    borrowed
                ],
            )?;
            (s, true, used + 1)
        }
    };
    Ok(AcquireOutcome {
        session: session.ok_or_else(|| StoreError::Internal("session row vanished".into()))?,
        license,
        seats_used,
        created,
        now: time(now),
    })
}

/// The session with this id, only if it belongs to the license with this key hash.
fn session_under_key(
    conn: &Connection,
    key_hash: &str,
    session_id: Uuid,
) -> StoreResult<(Session, License)> {
    let license = conn
        .prepare_cached(
            "SELECT l.* FROM licenses l JOIN sessions s ON s.license_id = l.id \
             WHERE s.id = ? AND l.key_hash = ?",
        )
        .and_then(|mut s| {
            s.query_row(params![session_id, key_hash], |r| {
                Ok(decode::license(&Cols(r)))
            })
            .optional()
        })
        .map_err(db_err)?
        .ok_or(StoreError::SessionNotFound)??;
    let session = one_session(conn, "SELECT * FROM sessions WHERE id = ?", [session_id])?
        .ok_or(StoreError::SessionNotFound)?;
    Ok((session, license))
}

/// Keeps a session live for another TTL.
pub(crate) fn heartbeat(
    conn: &Connection,
    key_hash: &str,
    session_id: Uuid,
) -> StoreResult<HeartbeatOutcome> {
    let now = now_micros();
    let (session, license) = session_under_key(conn, key_hash, session_id)?;
    let expires_at = seats::decide_heartbeat(&license, &session, time(now))?;
    let session = one_session(
        conn,
        "UPDATE sessions SET expires_at = ?, last_heartbeat_at = ? WHERE id = ? RETURNING *",
        params![expires_at.timestamp_micros(), now, session_id],
    )?
    .ok_or(StoreError::SessionNotFound)?;
    let seats_used = live_count(conn, license.id, now)?;
    Ok(HeartbeatOutcome {
        session,
        license,
        seats_used,
        now: time(now),
    })
}

fn end_session(
    conn: &Connection,
    session_id: Uuid,
    reason: EndReason,
    now: i64,
) -> StoreResult<Session> {
    one_session(
        conn,
        "UPDATE sessions SET status = 'released', end_reason = ?, ended_at = ? WHERE id = ? RETURNING *",
        params![reason.as_str(), now, session_id],
    )?
    .ok_or(StoreError::SessionNotFound)
}

/// Frees a seat at once; idempotent.
pub(crate) fn release(
    conn: &Connection,
    key_hash: &str,
    session_id: Uuid,
) -> StoreResult<ReleaseOutcome> {
    let now = now_micros();
    let (session, license) = session_under_key(conn, key_hash, session_id)?;
    let (released, status) = match seats::decide_release(&session, time(now)) {
        ReleaseDecision::Release => {
            end_session(conn, session_id, EndReason::Released, now)?;
            (true, SessionStatus::Released)
        }
        ReleaseDecision::AlreadyEnded(status) => (false, status),
    };
    Ok(ReleaseOutcome {
        session_id,
        license_id: license.id,
        released,
        status,
        now: time(now),
    })
}

/// An administrator ends a session; audited.
pub(crate) fn force_release(
    conn: &Connection,
    tenant_id: Uuid,
    session_id: Uuid,
    actor: &Actor,
) -> StoreResult<Option<Session>> {
    let now = now_micros();
    let Some(session) = one_session(
        conn,
        "SELECT * FROM sessions WHERE id = ? AND tenant_id = ?",
        params![session_id, tenant_id],
    )?
    else {
        return Ok(None);
    };
    if seats::decide_release(&session, time(now)) != ReleaseDecision::Release {
        return Ok(Some(session.effective(time(now))));
    }
    let after = end_session(conn, session_id, EndReason::Forced, now)?;
    let entry = NewAuditEntry::session_force_released(actor, &session, &after);
    insert_audit(conn, &entry, now)?;
    Ok(Some(after))
}

/// One reaper step: up to `limit` due sessions, oldest first.
pub(crate) fn reap_expired(conn: &Connection, limit: u32) -> StoreResult<u64> {
    expire_due(conn, None, now_micros(), limit)
}

/// One page of a license's sessions, optionally by status and by the time range
/// `(from, to)` they held their seat in.
pub(crate) async fn list_sessions(
    pool: &SqlitePool,
    tenant_id: Uuid,
    license_id: Uuid,
    status: Option<SessionStatus>,
    (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
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
         AND (?4 IS NULL OR id > ?4) AND {filter} \
         AND (?6 IS NULL OR coalesce(ended_at, expires_at) >= ?6) \
         AND (?7 IS NULL OR created_at < ?7) ORDER BY id LIMIT ?5"
    );
    let rows = all(
        pool,
        &sql,
        (
            now,
            tenant_id,
            license_id,
            page.after,
            i64::from(page.limit) + 1,
            from.map(|t| t.timestamp_micros()),
            to.map(|t| t.timestamp_micros()),
        ),
    )
    .await?;
    let t = time(now);
    let items = rows
        .iter()
        .map(|r| decode::session(&Cols(r)).map(|s| s.effective(t)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |s| s.id))
}
