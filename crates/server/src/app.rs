//! Assembling and running a server process.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::crypto::pkcs11::Hsm;
use crate::crypto::{KeyRing, Sealer};
use crate::http::sign_in_throttle::{FailureLimiter, SignInThrottle};
use crate::identity::trusted_jwt::JwksCache;
use crate::identity::Providers;
use crate::request_limits::RateLimiter;
use crate::state::{open_store, open_store_with_pool, AppState, Shared};
use crate::{background, bootstrap, mail, routes, telemetry};

/// Opens the database, loads keys and the bootstrap token: everything but the socket.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    telemetry::prometheus();
    let url = config.effective_database_url();
    if url.starts_with("sqlite:") && config.database_url.is_none() {
        bootstrap::private_dir(&config.data_dir)?;
    }
    let master_key = bootstrap::master_key(&config)?;
    let store = open_store_with_pool(&url, config.database_pool_size).await?;
    tracing::info!(backend = store.backend(), "database ready");
    let previous = bootstrap::previous_master_key(&config)?;
    let sealer = Arc::new(Sealer::with_previous(
        master_key.as_deref(),
        previous.as_deref(),
    ));
    let hsm = open_hsm(&config).await?;
    let keys =
        Arc::new(KeyRing::load(store.clone(), sealer.clone(), hsm, config.signing_alg).await?);
    let bootstrap_hash = bootstrap::ensure(
        store.as_ref(),
        &config.data_dir,
        config.bootstrap_token.as_deref(),
    )
    .await?;
    let limiter = Arc::new(RateLimiter::new(
        config.rate_limits.clone(),
        config.redis_url.as_deref(),
        config.redis_timeout,
    )?);
    if config.redis_url.is_some() {
        tracing::info!("rate limits are shared through Redis");
    }
    let providers = Arc::new(Providers::new(&config.identity));
    let jwks = Arc::new(JwksCache::new(config.identity.allow_http));
    Ok(AppState::new(Shared {
        store,
        keys,
        sealer,
        bootstrap_hash,
        config: Arc::new(config),
        mail_wake: Arc::new(Notify::new()),
        login_failures: Arc::new(SignInThrottle::for_sign_in(Some(limiter.clone()))),
        reset_requests: Arc::new(FailureLimiter::for_sign_in()),
        // Tokens are not people: counted per client only (both keys are the client).
        reset_confirms: Arc::new(FailureLimiter::new(
            std::time::Duration::from_secs(15 * 60),
            20,
            20,
        )),
        signup_requests: Arc::new(FailureLimiter::new(
            std::time::Duration::from_secs(3600),
            3,
            10,
        )),
        second_factor_failures: Arc::new(FailureLimiter::for_sign_in()),
        providers,
        jwks,
        waits: Arc::default(),
        limiter,
    }))
}

/// Publishes a new signing key and makes it current (the `keys rotate` command). Running
/// servers sharing the database pick it up on their next key refresh.
pub async fn rotate_signing_key(config: &Config) -> anyhow::Result<String> {
    let store = open_store(&config.effective_database_url()).await?;
    let sealer = Arc::new(Sealer::with_previous(
        bootstrap::master_key(config)?.as_deref(),
        bootstrap::previous_master_key(config)?.as_deref(),
    ));
    let keys = KeyRing::load(store, sealer, open_hsm(config).await?, config.signing_alg).await?;
    keys.rotate(config.signing_alg).await
}

/// The PKCS#11 token of the configuration, logged in (loading a module blocks).
async fn open_hsm(config: &Config) -> anyhow::Result<Option<Arc<Hsm>>> {
    let Some(p) = config.pkcs11.clone() else {
        return Ok(None);
    };
    let hsm = tokio::task::spawn_blocking(move || Hsm::open(&p)).await??;
    Ok(Some(Arc::new(hsm)))
}

/// Re-seals every secret at rest under `new_master_key` (the `keys rewrap` command), in
/// one transaction: values under the configured (or previous) key are opened and sealed
/// again, values already under the new key are left. Where the master key is the data
/// dir's file, the file then holds the new key and `master-key.previous` the old one.
pub async fn rewrap_secrets(
    config: &Config,
    new_master_key: &str,
) -> anyhow::Result<coditect_storage::ResealReport> {
    anyhow::ensure!(
        new_master_key.len() >= 32,
        "the new master key must be at least 32 characters"
    );
    let store = open_store(&config.effective_database_url()).await?;
    let old = Sealer::with_previous(
        bootstrap::master_key(config)?.as_deref(),
        bootstrap::previous_master_key(config)?.as_deref(),
    );
    let new = Sealer::new(Some(new_master_key));
    let reseal = |stored: &str| -> anyhow::Result<Option<String>> {
        if new.is_current(stored) {
            return Ok(None);
        }
        Ok(Some(new.seal(&old.open(stored)?)?))
    };
    let report = store.reseal_all(&reseal).await?;
    if let Some(path) = bootstrap::master_key_file(config) {
        bootstrap::replace_master_key_file(&path, new_master_key)?;
    }
    Ok(report)
}

/// A server running in the background of this process (tests, embedding).
pub struct RunningServer {
    /// The bound address.
    pub addr: SocketAddr,
    /// The shared state, for tests that inspect the store.
    pub state: AppState,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful stop: finishes in-flight requests, stops the background tasks.
    pub async fn stop(self) {
        self.state.waits.close();
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Binds and serves until `stop()`.
pub async fn spawn(mut config: Config) -> anyhow::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(&config.listen).await?;
    let addr = listener.local_addr()?;
    if config.public_url.is_none() {
        config.public_url = Some(format!("http://{addr}"));
    }
    let state = build_state(config).await?;
    let (stop, rx) = watch::channel(false);
    tokio::spawn(background::reaper(
        state.clone(),
        state.config.reaper_interval,
        rx.clone(),
    ));
    tokio::spawn(background::key_refresh(
        state.clone(),
        state.config.key_refresh_interval,
        rx.clone(),
    ));
    tokio::spawn(mail::sender(state.clone(), rx.clone()));
    tokio::spawn(background::usage_sampler(state.clone(), rx.clone()));
    tokio::spawn(crate::outgoing::webhooks::sender(state.clone(), rx.clone()));
    tokio::spawn(crate::outgoing::meter::reporter(state.clone(), rx.clone()));
    // Its first pass runs at once: events stored before a crash are applied at start-up.
    tokio::spawn(crate::billing::runner::billing_pass(
        state.clone(),
        rx.clone(),
    ));
    let app = routes::router(state.clone());
    let limits = state.config.connections.clone();
    let task = tokio::spawn(crate::http_server::serve(listener, app, limits, rx));
    tracing::info!(%addr, "listening");
    Ok(RunningServer {
        addr,
        state,
        stop,
        task,
    })
}

/// Runs until `signal` completes, then shuts down gracefully.
pub async fn serve(config: Config, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
    let server = spawn(config).await?;
    signal.await;
    tracing::info!("shutting down: finishing in-flight requests");
    server.stop().await;
    Ok(())
}
