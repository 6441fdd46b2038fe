//! Seat operations on PostgreSQL. Each runs inside the caller's `READ COMMITTED`
//! transaction and follows one order: lock the license row, lock the session row(s), then
//! read `clock_timestamp()` in a statement of its own, then decide with the domain rules
//! and write. Each statement sees everything committed before it started, and whatever
//! could add a live session to a license (acquire) or extend one (heartbeat) needs a lock
//! on the license row that conflicts with the acquire's, so a count taken under the
//! acquire's lock can only over-estimate the live sessions (a concurrent reaper or forced
//! release may end some), never under-estimate them.

use coditect_domain::seats::{self, AcquireDecision, ReleaseDecision};

use crate::prelude::*;
use crate::queue;

#[async_trait]
impl SeatStore for PgStore {
    async fn acquire(&self, req: AcquireRequest) -> StoreResult<AcquireOutcome> {
        let mut tx = self.key_tx(&req.key_hash).await?;
        let out = acquire(&mut tx, req).await;
        // A refusal still commits: the expired seats it reclaimed, the denial it recorded,
        // or the queue place it took.
        if matches!(out, Ok(_) | Err(StoreError::Seat(_))) {
            tx.commit().await.map_err(err)?;
        }
        out
    }

    async fn leave_queue(&self, waiter: Uuid, denied: bool) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        if denied {
            queue::leave_denied(&mut tx, waiter).await?;
        } else {
            queue::leave(&mut tx, waiter).await?;
        }
        tx.commit().await.map_err(err)
    }

    async fn heartbeat(&self, key_hash: &str, session_id: Uuid) -> StoreResult<HeartbeatOutcome> {
        let mut tx = self.key_tx(key_hash).await?;
        let out = heartbeat(&mut tx, key_hash, session_id).await?;
        done(tx, out).await
    }

    async fn release(&self, key_hash: &str, session_id: Uuid) -> StoreResult<ReleaseOutcome> {
        let mut tx = self.key_tx(key_hash).await?;
        let out = release(&mut tx, key_hash, session_id).await?;
        done(tx, out).await
    }

    async fn force_release(
        &self,
        tenant_id: Uuid,
        session_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Session>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = force_release(&mut tx, tenant_id, session_id, actor).await?;
        done(tx, out).await
    }

    async fn list_sessions(
        &self,
        tenant_id: Uuid,
        license_id: Uuid,
        status: Option<SessionStatus>,
        page: PageRequest,
    ) -> StoreResult<Page<Session>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = list_sessions(&mut tx, tenant_id, license_id, status, page).await?;
        done(tx, out).await
    }

    async fn reap_expired(&self, limit: u32) -> StoreResult<u64> {
        let mut tx = self.system_tx().await?;
        let n = reap_expired(&mut tx, limit).await?;
        done(tx, n).await
    }

    async fn count_live_sessions(&self) -> StoreResult<i64> {
        let mut tx = self.system_tx().await?;
        // The scalar subquery is evaluated once (an InitPlan), so the comparison can use
        // the `sessions_due` index.
        let n = scalar(
            &mut *tx,
            "SELECT count(*) FROM sessions \
             WHERE status = 'active' AND expires_at > (SELECT clock_timestamp())",
            (),
        )
        .await?;
        done(tx, n).await
    }
}

/// Reads the database clock and the license's live-session count in one statement. Call
/// it only once the license row is locked: the statement, and so the clock reading and the
/// snapshot the count is taken from, then starts after the lock was granted.
async fn clock_and_count(
    conn: &mut PgConnection,
    license: &License,
) -> StoreResult<(DateTime<Utc>, i64)> {
    let row = one(
        conn,
        "WITH t AS MATERIALIZED (SELECT clock_timestamp() AS db_now) \
         SELECT t.db_now, (SELECT count(*) FROM sessions \
             WHERE tenant_id = $1 AND license_id = $2 AND status = 'active' \
             AND expires_at > t.db_now) AS used \
         FROM t",
        (license.tenant_id, license.id),
    )
    .await?;
    Ok((
        row.try_get("db_now").map_err(err)?,
        row.try_get("used").map_err(err)?,
    ))
}

/// Audits sessions that were just marked expired (one entry each, by the reaper).
async fn audit_expired(
    conn: &mut PgConnection,
    expired: &[PgRow],
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    for row in expired {
        let entry = NewAuditEntry::session_expired(&decode::session(&Cols(row))?);
        insert_audit(conn, &entry, at).await?;
    }
    Ok(expired.len() as u64)
}

/// Takes or resumes a seat under the license row's `FOR UPDATE` lock.
pub(crate) async fn acquire(
    conn: &mut PgConnection,
    req: AcquireRequest,
) -> StoreResult<AcquireOutcome> {
    // The transaction is scoped to the key's tenant (`PgStore::key_tx`).
    let row = opt(
        &mut *conn,
        "SELECT * FROM licenses WHERE tenant_id = coditect_tenant() AND key_hash = $1 FOR UPDATE",
        (&req.key_hash,),
    )
    .await?
    .ok_or(StoreError::LicenseNotFound)?;
    let license = decode::license(&Cols(&row))?;
    let (now, used) = clock_and_count(conn, &license).await?;
    // Reclaim this license's dead seats, so the rows left `active` are exactly the live
    // ones and the one-active-session-per-hardware index cannot trip over a dead one. A
    // row the reaper holds is waited for and then skipped by the `status` re-check.
    let expired = all(
        &mut *conn,
        "UPDATE sessions SET status = 'expired', end_reason = 'expired', ended_at = expires_at \
         WHERE tenant_id = $3 AND license_id = $1 AND status = 'active' AND expires_at <= $2 \
         RETURNING *",
        (license.id, now, license.tenant_id),
    )
    .await?;
    audit_expired(conn, &expired, now).await?;
    // Locked so that a reaper or forced release cannot end it between decision and write.
    let same = opt(
        &mut *conn,
        "SELECT * FROM sessions WHERE tenant_id = $3 AND license_id = $1 AND hardware_id = $2 \
         AND status = 'active' FOR UPDATE",
        (license.id, &req.hardware_id, license.tenant_id),
    )
    .await?
    .map(|r| decode::session(&Cols(&r)))
    .transpose()?;
    let ahead = queue::places_ahead(conn, license.id, req.waiter, now).await?;
    let decision =
        match seats::decide_acquire(&license, now, used, ahead, same.as_ref(), req.borrow_hours) {
            Ok(d) => d,
            Err(e @ SeatError::NoSeats { .. }) => {
                match req.waiter {
                    // A queued acquire is not refused yet: it keeps its place and retries.
                    Some(w) => {
                        queue::keep_place(conn, license.tenant_id, license.id, w, now).await?
                    }
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
    let client = req.client.as_ref().map(Json);
    let (row, created, seats_used) = match decision {
        AcquireDecision::Resume {
            session_id,
            expires_at,
        } => {
            let row = one(&mut *conn, "UPDATE sessions SET expires_at = $1, last_heartbeat_at = $2, user_email = $3, \
                 client = $4, borrowed = (borrowed OR $6) WHERE tenant_id = $7 AND id = $5 RETURNING *", (expires_at, now, &req.user_email, client, session_id, borrowed, license.tenant_id)).await?;
            (row, false, used)
        }
        AcquireDecision::Create { expires_at } => {
            let row = one(
                &mut *conn,
                "INSERT INTO sessions (id, tenant_id, license_id, hardware_id, user_email, \
                 client, status, created_at, last_heartbeat_at, expires_at, borrowed) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7, $8, $9) RETURNING *",
                (
                    Uuid::now_v7(),
                    license.tenant_id,
                    license.id,
                    &req.hardware_id,
                    &req.user_email,
                    client,
                    now,
                    expires_at,
                    borrowed,
                ),
            )
            .await?;
            (row, true, used + 1)
        }
    };
    Ok(AcquireOutcome {
        session: decode::session(&Cols(&row))?,
        license,
        seats_used,
        created,
        now,
    })
}

/// Finds the session under this key and locks, in this order, its license row
/// (`FOR KEY SHARE`: many heartbeats at once, none while an acquire holds the license)
/// and the session row (`FOR UPDATE`). Then reads the clock.
async fn lock_session_under_key(
    conn: &mut PgConnection,
    key_hash: &str,
    session_id: Uuid,
) -> StoreResult<(Session, License, DateTime<Utc>, i64)> {
    let row = opt(
        &mut *conn,
        "SELECT l.* FROM licenses l \
         JOIN sessions s ON s.tenant_id = l.tenant_id AND s.license_id = l.id \
         WHERE l.tenant_id = coditect_tenant() AND l.key_hash = $2 AND s.id = $1 \
         FOR KEY SHARE OF l",
        (session_id, key_hash),
    )
    .await?
    .ok_or(StoreError::SessionNotFound)?;
    let license = decode::license(&Cols(&row))?;
    let row = one(
        &mut *conn,
        "SELECT * FROM sessions WHERE tenant_id = $2 AND id = $1 FOR UPDATE",
        (session_id, license.tenant_id),
    )
    .await?;
    let session = decode::session(&Cols(&row))?;
    let (now, used) = clock_and_count(conn, &license).await?;
    Ok((session, license, now, used))
}

/// Extends a live session.
pub(crate) async fn heartbeat(
    conn: &mut PgConnection,
    key_hash: &str,
    session_id: Uuid,
) -> StoreResult<HeartbeatOutcome> {
    let (session, license, now, seats_used) =
        lock_session_under_key(conn, key_hash, session_id).await?;
    let expires_at = seats::decide_heartbeat(&license, &session, now)?;
    // The session was live at `now` and stays live, so `seats_used` is unchanged.
    let row = one(
        &mut *conn,
        "UPDATE sessions SET expires_at = $1, last_heartbeat_at = $2 \
         WHERE tenant_id = $4 AND id = $3 RETURNING *",
        (expires_at, now, session_id, license.tenant_id),
    )
    .await?;
    Ok(HeartbeatOutcome {
        session: decode::session(&Cols(&row))?,
        license,
        seats_used,
        now,
    })
}

async fn end_session(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    session_id: Uuid,
    reason: EndReason,
    now: DateTime<Utc>,
) -> StoreResult<Session> {
    let row = one(
        &mut *conn,
        "UPDATE sessions SET status = 'released', end_reason = $1, ended_at = $2 \
         WHERE tenant_id = $4 AND id = $3 RETURNING *",
        (reason.as_str(), now, session_id, tenant_id),
    )
    .await?;
    decode::session(&Cols(&row))
}

/// Ends a session by its client; idempotent.
pub(crate) async fn release(
    conn: &mut PgConnection,
    key_hash: &str,
    session_id: Uuid,
) -> StoreResult<ReleaseOutcome> {
    let (session, license, now, _) = lock_session_under_key(conn, key_hash, session_id).await?;
    let (released, status) = match seats::decide_release(&session, now) {
        ReleaseDecision::Release => {
            end_session(
                conn,
                license.tenant_id,
                session_id,
                EndReason::Released,
                now,
            )
            .await?;
            (true, SessionStatus::Released)
        }
        ReleaseDecision::AlreadyEnded(status) => (false, status),
    };
    Ok(ReleaseOutcome {
        session_id,
        license_id: license.id,
        released,
        status,
        now,
    })
}

/// An admin's release, audited; `None` when the session is not the tenant's.
pub(crate) async fn force_release(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    session_id: Uuid,
    actor: &Actor,
) -> StoreResult<Option<Session>> {
    let row = opt(
        &mut *conn,
        "SELECT * FROM sessions WHERE id = $1 AND tenant_id = $2 FOR UPDATE",
        (session_id, tenant_id),
    )
    .await?;
    let Some(row) = row else { return Ok(None) };
    let session = decode::session(&Cols(&row))?;
    let now = db_now(conn).await?;
    if seats::decide_release(&session, now) != ReleaseDecision::Release {
        return Ok(Some(session.effective(now)));
    }
    let after = end_session(conn, tenant_id, session_id, EndReason::Forced, now).await?;
    let entry = NewAuditEntry::session_force_released(actor, &session, &after);
    insert_audit(conn, &entry, now).await?;
    Ok(Some(after))
}

/// A license's sessions, oldest first, as reported at the database's time.
pub(crate) async fn list_sessions(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    license_id: Uuid,
    status: Option<SessionStatus>,
    page: PageRequest,
) -> StoreResult<Page<Session>> {
    let filter = match status {
        None => "TRUE",
        Some(SessionStatus::Active) => "(s.status = 'active' AND s.expires_at > t.db_now)",
        Some(SessionStatus::Released) => "s.status = 'released'",
        Some(SessionStatus::Expired) => {
            "(s.status = 'expired' OR (s.status = 'active' AND s.expires_at <= t.db_now))"
        }
    };
    let sql = format!(
        "WITH t AS MATERIALIZED (SELECT clock_timestamp() AS db_now) \
         SELECT s.*, t.db_now FROM sessions s CROSS JOIN t \
         WHERE s.tenant_id = $1 AND s.license_id = $2 AND ($3::uuid IS NULL OR s.id > $3) \
         AND {filter} ORDER BY s.id LIMIT $4"
    );
    let rows = all(
        &mut *conn,
        &sql,
        (tenant_id, license_id, page.after, i64::from(page.limit) + 1),
    )
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            let now: DateTime<Utc> = r.try_get("db_now").map_err(err)?;
            decode::session(&Cols(r)).map(|s| s.effective(now))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |s| s.id))
}

/// Marks up to `limit` dead sessions expired and audits each. Rows another reaper (or a
/// seat operation) holds are skipped, so concurrent reapers never mark or audit one twice.
pub(crate) async fn reap_expired(conn: &mut PgConnection, limit: u32) -> StoreResult<u64> {
    let expired = all(&mut *conn, "WITH due AS (SELECT tenant_id, id FROM sessions \
             WHERE status = 'active' AND expires_at <= (SELECT clock_timestamp()) \
             ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         UPDATE sessions s SET status = 'expired', end_reason = 'expired', ended_at = s.expires_at \
         FROM due WHERE s.tenant_id = due.tenant_id AND s.id = due.id AND s.status = 'active' RETURNING s.*", (i64::from(limit),)).await?;
    if expired.is_empty() {
        return Ok(0);
    }
    let now = db_now(conn).await?;
    audit_expired(conn, &expired, now).await
}
