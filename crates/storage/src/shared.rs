//! Statements both backends run as they are, written once: sqlx binds `$N` on SQLite as
//! on PostgreSQL, so where the SQL and its arguments do not depend on the dialect (only
//! on the backend's own time type), the statement lives here and not twice.

pub mod events;
pub mod identity;
pub mod invitations;
pub mod outbox;
pub mod sealed;
pub mod staff;

use sqlx::any::AnyQueryResult;
use sqlx::{Database, Encode, Executor, IntoArguments, Type};
use uuid::Uuid;

use crate::sql::exec;
use crate::{NewMail, StoreResult};

/// Queues a mail inside the caller's transaction, due at `now` (the backend's clock, in
/// the type it stores times in), under a new time-ordered id.
pub async fn enqueue_mail<'q, 'c, DB, T>(
    c: impl Executor<'c, Database = DB>,
    m: &'q NewMail,
    now: T,
) -> StoreResult<()>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
    DB::QueryResult: Into<AnyQueryResult>,
    T: 'q + Encode<'q, DB> + Type<DB>,
    Uuid: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    &'q String: Encode<'q, DB> + Type<DB>,
{
    let sql = "INSERT INTO mail_outbox (id, kind, recipient, subject, body_sealed, created_at, \
               next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $6)";
    let args = (
        Uuid::now_v7(),
        m.kind,
        &m.recipient,
        &m.subject,
        &m.body_sealed,
        now,
    );
    exec(c, sql, args).await.map(drop)
}

/// One page of a tenant's licenses for seat use: `$1` tenant, `$2` the one license or
/// NULL, `$3` the cursor or NULL, `$4` the page size.
pub const SEAT_USE_LICENSES: &str = "SELECT id, product_id FROM licenses \
     WHERE tenant_id = $1 AND ($2 IS NULL OR id = $2) AND ($3 IS NULL OR id > $3) \
     ORDER BY id LIMIT $4";

/// The sessions of a range of a tenant's licenses (`$2` to `$3`, the page's first and
/// last id) that held a seat at some point of `[$4, $5)`: begun before its end, ended
/// (released, forced or past their TTL) after its start, or still live.
pub const SEAT_USE_SESSIONS: &str = "SELECT license_id, created_at, ended_at, expires_at \
     FROM sessions WHERE tenant_id = $1 AND license_id >= $2 AND license_id <= $3 \
     AND created_at < $5 AND coalesce(ended_at, expires_at) > $4 \
     ORDER BY license_id, created_at";

/// The refused acquires of the same range of licenses in `[$4, $5)`.
pub const SEAT_USE_DENIALS: &str = "SELECT license_id, at FROM usage_denials \
     WHERE tenant_id = $1 AND license_id >= $2 AND license_id <= $3 AND at >= $4 AND at < $5 \
     ORDER BY license_id, at";

/// One page of a tenant's denials (`$2`: one license's, or all), newest first after the
/// cursor `$3`, with who was refused and the license's name.
pub const DENIALS_PAGE: &str = "SELECT d.id, d.license_id, l.name AS license_name, d.at, \
     d.hardware_id, d.user_email FROM usage_denials d \
     LEFT JOIN licenses l ON l.tenant_id = d.tenant_id AND l.id = d.license_id \
     WHERE d.tenant_id = $1 AND ($2 IS NULL OR d.license_id = $2) AND ($3 IS NULL OR d.id < $3) \
     ORDER BY d.id DESC LIMIT $4";

/// The tenant a sign-up makes: named after the organisation the person gave, its slug
/// made from that name and the server's random `slug_suffix`.
pub fn signup_tenant(
    p: &crate::PendingSignup,
    slug_suffix: &str,
) -> StoreResult<coditect_domain::NewTenant> {
    use coditect_domain::identity::slug_base;
    use coditect_domain::input::{Name, Slug};
    let name =
        Name::parse(&p.organisation).map_err(|_| crate::decode::corrupt("signups.organisation"))?;
    let slug = Slug::parse(&format!("{}-{slug_suffix}", slug_base(&p.organisation)))
        .map_err(|_| crate::StoreError::Internal("a sign-up slug is not a slug".into()))?;
    Ok(coditect_domain::NewTenant { name, slug })
}
