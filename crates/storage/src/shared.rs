//! Statements both backends run as they are, written once: sqlx binds `$N` on SQLite as
//! on PostgreSQL, so where the SQL and its arguments do not depend on the dialect (only
//! on the backend's own time type), the statement lives here and not twice.

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
