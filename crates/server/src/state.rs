//! What every handler shares.

use std::sync::Arc;

use coditect_storage::{Store, StoreError};
use coditect_storage_postgres::PgStore;
use coditect_storage_sqlite::SqliteStore;
use tokio::sync::Notify;

use crate::config::Config;
use crate::crypto::{KeyRing, Sealer};
use crate::http::sign_in_throttle::{FailureLimiter, SignInThrottle};
use crate::identity::trusted_jwt::JwksCache;
use crate::identity::Providers;
use crate::request_limits::RateLimiter;
use crate::waits::SeatWaits;

/// Shared state of one server process, behind one `Arc`: axum clones the state for every
/// request, and one reference count costs less than a count per part (and a copy of the
/// bootstrap hash). Handlers read the parts through `Deref` (`state.store`).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state of a process made of its parts.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`], each shared with whatever background task needs it.
pub struct Shared {
    /// The database: SQLite or PostgreSQL, as `CODITECT_DATABASE_URL` chose.
    pub store: Arc<dyn Store>,
    /// Signs session tokens and serves the JWKS; keys are shared through the database.
    pub keys: Arc<KeyRing>,
    /// Seals and opens secrets kept in the database (under `CODITECT_MASTER_KEY` when set).
    pub sealer: Arc<Sealer>,
    /// SHA-256 of `CODITECT_BOOTSTRAP_TOKEN`, when set.
    pub bootstrap_hash: Option<String>,
    /// The settings this process started with, read from the environment.
    pub config: Arc<Config>,
    /// Wakes this process's mail sender when a mail was queued.
    pub mail_wake: Arc<Notify>,
    /// Dashboard sign-in throttling per (client, account) pair, client and account.
    pub login_failures: Arc<SignInThrottle>,
    /// Password-reset requests per e-mail and per client (mail bombing guard).
    pub reset_requests: Arc<FailureLimiter>,
    /// Password-reset confirmations with unknown or spent tokens, per client.
    pub reset_confirms: Arc<FailureLimiter>,
    /// Sign-up requests per e-mail and per client (mail bombing guard).
    pub signup_requests: Arc<FailureLimiter>,
    /// Wrong second-factor codes per user (and per client).
    pub second_factor_failures: Arc<FailureLimiter>,
    /// The single sign-on providers, with what was discovered of them.
    pub providers: Arc<Providers>,
    /// Trusted issuers' signing keys.
    pub jwks: Arc<JwksCache>,
    /// Acquires waiting for a seat in this process.
    pub waits: Arc<SeatWaits>,
    /// Rate limits, shared through Redis when configured.
    pub limiter: Arc<RateLimiter>,
}

/// Opens the backend the URL's scheme names, running its migrations (PostgreSQL with its
/// default pool).
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    open_store_with_pool(url, coditect_storage_postgres::DEFAULT_POOL_SIZE).await
}

/// [`open_store`] with at most `pool_size` PostgreSQL connections (SQLite ignores it: its
/// seat writer is one thread).
pub async fn open_store_with_pool(url: &str, pool_size: u32) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url).await.map_err(describe)?)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Arc::new(
            PgStore::connect_with_pool(url, pool_size)
                .await
                .map_err(describe)?,
        )
    } else {
        anyhow::bail!("CODITECT_DATABASE_URL must start with sqlite:// or postgres://");
    };
    Ok(store)
}

fn describe(e: StoreError) -> anyhow::Error {
    anyhow::anyhow!("cannot open the database: {e}")
}
