//! Seat operations on PostgreSQL. A client's acquire, heartbeat and release are each one
//! call of a function of migration 0011 (`coditect_acquire`, `coditect_heartbeat`,
//! `coditect_release`), in a statement prepared once per connection (`seat_calls`): each
//! is one round trip and one transaction, and heartbeats that arrive together share both
//! (`batch`, decision 0008).
//! Inside, each follows one order: scope to the key's tenant, take the license's seat lock
//! (an advisory lock, migration 0015: exclusive for an acquire, which also locks the license
//! row; shared for a heartbeat), lock the session row(s), then read `clock_timestamp()` and
//! count in later statements, and decide with the domain's rules (as SQL, checked against
//! the domain crate by the `seat_rules` test). Each statement in them sees everything
//! committed before it started, and whatever could add a live session to a license
//! (acquire) or extend one (heartbeat) holds the seat lock in a mode that conflicts with the
//! acquire's, so a count taken under the acquire's lock can only over-estimate the live
//! sessions (a concurrent release, reaper or forced release may end some), never
//! under-estimate them. The admin's operations and the reaper are
//! transactions of several statements here.

use coditect_domain::seats::{self, ReleaseDecision, WAITER_TTL_SECONDS};
use coditect_storage::decode::Prefixed;

use crate::prelude::*;
use crate::queue;
use crate::seat_calls::{HeartbeatCall, ACQUIRE};

const RELEASE: &str = "SELECT outcome, license_id, db_now FROM coditect_release($1, $2)";

/// How often an acquire reclaims its license's dead seats and tries again before it gives
/// up. Once is enough: after a reclaim only this hardware's own dead session (dying in
/// between) asks for another.
const RECLAIM_ATTEMPTS: usize = 3;

#[async_trait]
impl SeatStore for PgStore {
    async fn acquire(&self, req: AcquireRequest) -> StoreResult<AcquireOutcome> {
        let client = req.client.as_ref().map(Json);
        for attempt in 0..RECLAIM_ATTEMPTS {
            // A refusal still commits (in the function): the denial it recorded, or the
            // queue place it took.
            let row = one(
                &self.pool,
                ACQUIRE,
                (
                    &req.key_hash,
                    &req.hardware_id,
                    &req.user_email,
                    client,
                    req.waiter,
                    req.borrow_hours,
                    Uuid::now_v7(),
                    WAITER_TTL_SECONDS,
                    Uuid::now_v7(),
                    attempt > 0,
                ),
            )
            .await?;
            let outcome: &str = row.try_get("outcome").map_err(err)?;
            match outcome {
                "created" | "resumed" => {
                    return Ok(AcquireOutcome {
                        session: decode::session(&Cols(&row))?,
                        license: license_of(&row)?,
                        seats_used: row.try_get("seats_used").map_err(err)?,
                        created: outcome == "created",
                        now: row.try_get("db_now").map_err(err)?,
                    })
                }
                "reclaim" => reclaim_dead_seats(self, &req.key_hash).await?,
                other => return Err(refusal(other, &row)?),
            }
        }
        Err(StoreError::Unavailable(
            "the license's dead seats could not be reclaimed; try again".into(),
        ))
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
        let call = HeartbeatCall {
            key_hash: key_hash.to_owned(),
            session_id,
        };
        heartbeat_answer(&self.heartbeats.call(call).await?)
    }

    async fn release(&self, key_hash: &str, session_id: Uuid) -> StoreResult<ReleaseOutcome> {
        let row = one(&self.pool, RELEASE, (key_hash, session_id)).await?;
        let (released, status) = match row.try_get("outcome").map_err(err)? {
            "released" => (true, SessionStatus::Released),
            "already_released" => (false, SessionStatus::Released),
            "already_expired" => (false, SessionStatus::Expired),
            other => return Err(refusal(other, &row)?),
        };
        Ok(ReleaseOutcome {
            session_id,
            license_id: row.try_get("license_id").map_err(err)?,
            released,
            status,
            now: row.try_get("db_now").map_err(err)?,
        })
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

    async fn list_sessions_during(
        &self,
        tenant_id: Uuid,
        license_id: Uuid,
        status: Option<SessionStatus>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: PageRequest,
    ) -> StoreResult<Page<Session>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let range = (from, to);
        let out = list_sessions(&mut tx, tenant_id, license_id, status, range, page).await?;
        done(tx, out).await
    }

    async fn reap_expired(&self, limit: u32) -> StoreResult<u64> {
        let mut tx = self.system_tx().await?;
        let n = reap_expired(&mut tx, limit).await?;
        done(tx, n).await
    }

    async fn count_live_sessions(&self) -> StoreResult<i64> {
        let mut tx = self.system_tx().await?;
        // Every active session's row is read: liveness is `expires_at`, which no index
        // holds (migration 0016), so that heartbeats stay HOT updates.
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

/// What a heartbeat's row of `coditect_heartbeat` says: the extended session, or the
/// refusal.
fn heartbeat_answer(row: &PgRow) -> StoreResult<HeartbeatOutcome> {
    match row.try_get("outcome").map_err(err)? {
        "ok" => Ok(HeartbeatOutcome {
            session: decode::session(&Cols(row))?,
            license: license_of(row)?,
            seats_used: row.try_get("seats_used").map_err(err)?,
            now: row.try_get("db_now").map_err(err)?,
        }),
        other => Err(refusal(other, row)?),
    }
}

/// The license of a seat function's answer (its `l_` columns).
fn license_of(row: &PgRow) -> StoreResult<License> {
    decode::license(&Prefixed::new(&Cols(row), "l_"))
}

/// The refusal a seat function answered with, by its contract code.
fn refusal(outcome: &str, row: &PgRow) -> StoreResult<StoreError> {
    let seat = match outcome {
        "license_not_found" => return Ok(StoreError::LicenseNotFound),
        "session_not_found" => return Ok(StoreError::SessionNotFound),
        "license_suspended" => SeatError::LicenseSuspended,
        "license_expired" => SeatError::LicenseExpired,
        "borrowing_disabled" => SeatError::BorrowingDisabled,
        "borrow_too_long" => SeatError::BorrowTooLong {
            max_hours: row.try_get("l_max_borrow_hours").map_err(err)?,
        },
        "no_seats_available" => SeatError::NoSeats {
            seats_total: row.try_get("l_seats_total").map_err(err)?,
            seats_used: row.try_get("seats_used").map_err(err)?,
            waiting: row.try_get("waiting").map_err(err)?,
        },
        "session_expired" => SeatError::SessionExpired,
        "session_released" => SeatError::SessionReleased { forced: false },
        "session_force_released" => SeatError::SessionReleased { forced: true },
        other => {
            return Ok(StoreError::Internal(format!(
                "unknown seat outcome {other:?}"
            )))
        }
    };
    Ok(seat.into())
}

/// Marks the dead seats of this key's license expired, each audited once, under the
/// license's lock: what an acquire does first when some of its license's sessions are past
/// their expiry but not yet marked by the reaper (rare: between an expiry and the reaper's
/// next pass), so the seat is free at once and recorded once.
async fn reclaim_dead_seats(store: &PgStore, key_hash: &str) -> StoreResult<()> {
    let mut tx = store.key_tx(key_hash).await?;
    let license: Option<Uuid> = opt_scalar(
        &mut *tx,
        "SELECT id FROM licenses WHERE tenant_id = coditect_tenant() AND key_hash = $1 FOR UPDATE",
        (key_hash,),
    )
    .await?;
    if let Some(license_id) = license {
        // The seats' lock too (migration 0015): no heartbeat extends one of these sessions
        // between the clock and the marking.
        let lock = "SELECT pg_advisory_xact_lock(coditect_seat_lock_key($1))";
        exec(&mut *tx, lock, (license_id,)).await?;
        let now = db_now(&mut tx).await?;
        let expired = all(
            &mut *tx,
            "UPDATE sessions SET status = 'expired', end_reason = 'expired', ended_at = expires_at \
             WHERE tenant_id = coditect_tenant() AND license_id = $1 AND status = 'active' \
             AND expires_at <= $2 RETURNING *",
            (license_id, now),
        )
        .await?;
        audit_expired(&mut tx, &expired, now).await?;
    }
    done(tx, ()).await
}

/// Audits sessions that were just marked expired (one entry each, by the reaper), in one
/// statement for the whole batch: a reaper pass over thousands of dead seats is one round
/// trip of audit, not one per seat.
async fn audit_expired(
    conn: &mut PgConnection,
    expired: &[PgRow],
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    if expired.is_empty() {
        return Ok(0);
    }
    let mut entries = Vec::with_capacity(expired.len());
    for row in expired {
        entries.push(NewAuditEntry::session_expired(&decode::session(&Cols(
            row,
        ))?));
    }
    crate::tenants::insert_audits(conn, &entries, at).await?;
    Ok(expired.len() as u64)
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

/// A license's sessions, oldest first, as reported at the database's time, optionally by
/// status and by the time range `(from, to)` they held their seat in.
pub(crate) async fn list_sessions(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    license_id: Uuid,
    status: Option<SessionStatus>,
    (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
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
         AND {filter} AND ($5::timestamptz IS NULL OR coalesce(s.ended_at, s.expires_at) >= $5) \
         AND ($6::timestamptz IS NULL OR s.created_at < $6) ORDER BY s.id LIMIT $4"
    );
    let rows = all(
        &mut *conn,
        &sql,
        (
            tenant_id,
            license_id,
            page.after,
            i64::from(page.limit) + 1,
            from,
            to,
        ),
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

/// How many batches of due-but-live sessions one reaper pass re-arms at most; the rest wait
/// for the next pass (they hold their seat by `expires_at`, not by `due_at`).
const REARM_BATCHES: u32 = 20;

/// Marks up to `limit` dead sessions expired and audits each. Rows another reaper (or a
/// seat operation) holds are skipped, so concurrent reapers never mark or audit one twice.
///
/// Dead sessions are found by `due_at` (migration 0016: never after `expires_at`, and not
/// moved by heartbeats, so a heartbeat stays a HOT update). A session found due but still
/// live has heartbeated since: it is re-armed (`due_at` := `expires_at`) first, so the
/// dead ones behind it are reached in this pass.
pub(crate) async fn reap_expired(conn: &mut PgConnection, limit: u32) -> StoreResult<u64> {
    for _ in 0..REARM_BATCHES {
        let rearmed = exec(
            &mut *conn,
            "WITH t AS MATERIALIZED (SELECT clock_timestamp() AS now), \
             due AS (SELECT s.tenant_id, s.id FROM sessions s, t \
                 WHERE s.status = 'active' AND s.due_at <= t.now AND s.expires_at > t.now \
                 ORDER BY s.due_at LIMIT $1 FOR UPDATE OF s SKIP LOCKED) \
             UPDATE sessions s SET due_at = s.expires_at FROM due \
             WHERE s.tenant_id = due.tenant_id AND s.id = due.id",
            (i64::from(limit),),
        )
        .await?;
        if rearmed < u64::from(limit) {
            break;
        }
    }
    let expired = all(
        &mut *conn,
        "WITH t AS MATERIALIZED (SELECT clock_timestamp() AS now), \
         due AS (SELECT s.tenant_id, s.id FROM sessions s, t \
             WHERE s.status = 'active' AND s.due_at <= t.now AND s.expires_at <= t.now \
             ORDER BY s.due_at LIMIT $1 FOR UPDATE OF s SKIP LOCKED) \
         UPDATE sessions s SET status = 'expired', end_reason = 'expired', ended_at = s.expires_at \
         FROM due WHERE s.tenant_id = due.tenant_id AND s.id = due.id AND s.status = 'active' \
         RETURNING s.*",
        (i64::from(limit),),
    )
    .await?;
    if expired.is_empty() {
        return Ok(0);
    }
    let now = db_now(conn).await?;
    audit_expired(conn, &expired, now).await
}
