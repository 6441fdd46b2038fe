//! The statements that call the client's seat functions of migration 0011 and read their
//! answers. A heartbeat commits in groups ([`crate::batch`]): alone, or many in one
//! statement (the function once per call, `CROSS JOIN LATERAL` over arrays of the calls'
//! arguments, in the arrays' order). An acquire does not: its database work (a new row and
//! its index entries, the audit, the license row's lock) is most of its cost, so a group
//! saved it little, and batches holding licenses' exclusive locks made other acquires of
//! those licenses wait (BENCHMARKS.md, "Heartbeats in group commits"). A release takes no
//! seat lock and is one short statement.

use sqlx::PgPool;

use crate::batch::Batched;
use crate::prelude::*;

/// The license's columns of a seat function's answer, under `l_` (the session's columns
/// keep their own names).
macro_rules! license_as_l {
    () => {
        "(o.license).id AS l_id, (o.license).tenant_id AS l_tenant_id, \
         (o.license).name AS l_name, (o.license).key_sealed AS l_key_sealed, \
         (o.license).key_hint AS l_key_hint, (o.license).seats_total AS l_seats_total, \
         (o.license).expires_at AS l_expires_at, \
         (o.license).heartbeat_ttl_seconds AS l_heartbeat_ttl_seconds, \
         (o.license).entitlements AS l_entitlements, (o.license).metadata AS l_metadata, \
         (o.license).is_active AS l_is_active, (o.license).max_borrow_hours AS l_max_borrow_hours, \
         (o.license).created_at AS l_created_at, (o.license).updated_at AS l_updated_at, \
         (o.license).product_id AS l_product_id, (o.license).subscription AS l_subscription, \
         (o.license).archived_at AS l_archived_at"
    };
}

/// An acquire, in a statement of its own: one round trip and one transaction.
pub(crate) const ACQUIRE: &str = concat!(
    "SELECT o.outcome, o.seats_used, o.waiting, o.db_now, (o.session).*, ",
    license_as_l!(),
    " FROM coditect_acquire($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) o"
);

/// A heartbeat alone.
const HEARTBEAT: &str = concat!(
    "SELECT o.outcome, o.seats_used, o.db_now, (o.session).*, ",
    license_as_l!(),
    " FROM coditect_heartbeat($1, $2) o"
);

/// Heartbeats in one statement.
const HEARTBEAT_BATCH: &str = concat!(
    "SELECT b.i, o.outcome, o.seats_used, o.db_now, (o.session).*, ",
    license_as_l!(),
    " FROM unnest($1::text[], $2::uuid[], $3::int4[]) AS b(k, s, i) \
     CROSS JOIN LATERAL coditect_heartbeat(b.k, b.s) o"
);

/// One call of `coditect_heartbeat`.
pub(crate) struct HeartbeatCall {
    pub key_hash: String,
    pub session_id: Uuid,
}

#[async_trait]
impl Batched for HeartbeatCall {
    fn order(&self) -> (&str, Uuid) {
        (&self.key_hash, self.session_id)
    }

    async fn alone(&self, pool: &PgPool) -> Result<PgRow, sqlx::Error> {
        sqlx::query(HEARTBEAT)
            .bind(&self.key_hash)
            .bind(self.session_id)
            .fetch_one(pool)
            .await
    }

    async fn together(calls: &[&Self], pool: &PgPool) -> Result<Vec<PgRow>, sqlx::Error> {
        let keys: Vec<&str> = calls.iter().map(|c| c.key_hash.as_str()).collect();
        let sessions: Vec<Uuid> = calls.iter().map(|c| c.session_id).collect();
        let positions: Vec<i32> = (0..calls.len() as i32).collect();
        sqlx::query(HEARTBEAT_BATCH)
            .bind(keys)
            .bind(sessions)
            .bind(positions)
            .fetch_all(pool)
            .await
    }
}
