//! PostgreSQL backend: for several server processes sharing one database.
//!
//! Every seat operation is one `READ COMMITTED` transaction that first takes the license's
//! seat lock (an advisory transaction lock, migration 0015: exclusive for an acquire, after
//! the license row's `FOR UPDATE`; shared for a heartbeat; none for a release, which can
//! only free a seat), then reads the database's clock with `clock_timestamp()` in a later
//! statement, so the time a decision is made at is never older than the lock it is made
//! under. Locks are always taken license first, session second, so seat operations cannot
//! deadlock one another; the reaper only takes session rows with `SKIP LOCKED`.
//!
//! Every transaction is scoped for row-level security (see [`scope`]): the database shows
//! it only its tenant's rows, beneath the tenant filters of the queries themselves.
//!
//! One module a role of the store (`tenants.rs`, `licenses.rs`, `seats.rs`, ...), each
//! holding that role's trait implementation and its SQL; this file is the wiring.

mod accounts;
mod accounts_staff;
mod batch;
mod billing;
mod billing_tx;
mod event_outbox;
mod health;
mod identity;
mod invitations;
mod licenses;
mod members;
mod meter;
mod outbox;
mod queue;
mod scope;
mod sealed;
mod seat_calls;
mod seats;
mod signing;
mod sql;
mod tenants;
mod usage;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use coditect_storage::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};

/// What every role module speaks in.
mod prelude {
    pub(crate) use coditect_storage::backend::*;
    pub(crate) use sqlx::postgres::PgRow;
    pub(crate) use sqlx::types::Json;
    pub(crate) use sqlx::{PgConnection, PgExecutor, Row};

    pub(crate) use crate::sql::Cols;
    pub(crate) use crate::tenants::insert_audit;
    pub(crate) use crate::{db_now, done, err, unique_to_conflict, PgStore};
    pub(crate) use coditect_storage::shared::enqueue_mail;
    pub(crate) use coditect_storage::sql::{all, exec, one, opt, opt_scalar, scalar};
}

use coditect_storage::sql::scalar;
pub(crate) use coditect_storage::sql::{driver_error as err, unique_to_conflict};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections per process unless the operator sets another number. Fewer backends than
/// 64 on a small database machine switch less and still commit in groups: on 2 cores the
/// seat functions ran 1.2–1.7 times as fast at 8–16 connections as at 64 (BENCHMARKS.md).
pub const DEFAULT_POOL_SIZE: u32 = 16;

/// How long a request waits for a free connection before the store reports `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(15);

/// The PostgreSQL store: one connection pool.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    /// Where heartbeats queue for their group commit (see [`batch`]).
    heartbeats: std::sync::Arc<batch::Batcher<seat_calls::HeartbeatCall>>,
}

fn options(url: &str) -> StoreResult<PgConnectOptions> {
    Ok(PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Internal(format!("bad PostgreSQL URL: {e}")))?
        .application_name("coditect-license-server"))
}

async fn run_migrations(opts: &PgConnectOptions) -> StoreResult<()> {
    // A connection of its own, closed afterwards; the migrator serializes concurrent
    // starts with an advisory lock. `run_direct` is `run` minus the generic `Acquire`
    // bound, which would make this future unusable in `tokio::spawn` (rustc's "not
    // general enough" limitation).
    let mut conn = opts.connect().await.map_err(err)?;
    MIGRATOR.run_direct(&mut conn).await.map_err(|e| match e {
        sqlx::migrate::MigrateError::Execute(e) => err(e),
        e => StoreError::Internal(format!("migration failed: {e}")),
    })?;
    conn.close().await.map_err(err)
}

impl PgStore {
    /// Connects to a `postgres://` URL and runs the embedded migrations, with the default
    /// pool.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with_pool(url, DEFAULT_POOL_SIZE).await
    }

    /// [`PgStore::connect`] with `pool_size` connections at most: the operator sizes it to
    /// the database machine (its cores, and the other processes sharing it).
    pub async fn connect_with_pool(url: &str, pool_size: u32) -> StoreResult<Self> {
        let opts = options(url)?;
        run_migrations(&opts).await?;
        let switch_role = bypasses_rls(&opts).await?;
        if switch_role {
            tracing::info!(
                role = APP_ROLE,
                "the database role bypasses row-level security; connections switch to {APP_ROLE}"
            );
        }
        let pool = PgPoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // No ping before each checkout: it was one round trip more per transaction.
            // A connection the database dropped fails its first statement instead (that
            // request answers 503) and is discarded.
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if switch_role {
                        conn.execute(format!("SET ROLE {APP_ROLE}").as_str())
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(err)?;
        let heartbeats = batch::Batcher::start(pool.clone(), batch::workers_for(pool_size));
        Ok(Self { pool, heartbeats })
    }

    /// Runs migrations only (the `migrate` command); `connect` already does this.
    pub async fn migrate(url: &str) -> StoreResult<()> {
        run_migrations(&options(url)?).await
    }
}

/// The role (created by migration 0004) that server connections switch to when the
/// configured database role is a superuser or has BYPASSRLS, which no policy binds.
pub const APP_ROLE: &str = "coditect_app";

/// Whether the connecting role escapes row-level security (superuser or BYPASSRLS). Such a
/// role must be able to `SET ROLE coditect_app`; a superuser always can.
async fn bypasses_rls(opts: &PgConnectOptions) -> StoreResult<bool> {
    let mut conn = opts.connect().await.map_err(err)?;
    let bypass: bool = scalar(
        &mut conn,
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
        (),
    )
    .await?;
    if bypass {
        let exists: bool = scalar(
            &mut conn,
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
            (APP_ROLE,),
        )
        .await?;
        if !exists {
            return Err(StoreError::Internal(format!(
                "the database role bypasses row-level security and the role {APP_ROLE} \
                 does not exist; create it (NOLOGIN, granted to this role) or connect as an \
                 ordinary role"
            )));
        }
    }
    conn.close().await.map_err(err)?;
    Ok(bypass)
}

/// The database's clock, read by a statement of its own: inside a transaction, call this
/// only after the locks the decision depends on are held.
pub(crate) async fn db_now(conn: &mut PgConnection) -> StoreResult<DateTime<Utc>> {
    scalar(conn, "SELECT clock_timestamp()", ()).await
}

/// Commits a scoped transaction and hands back what ran in it.
pub(crate) async fn done<T>(tx: scope::Tx, out: T) -> StoreResult<T> {
    tx.commit().await.map_err(err)?;
    Ok(out)
}
