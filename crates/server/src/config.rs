//! Server settings, filled from the environment by the binary.

use std::path::PathBuf;
use std::time::Duration;

use crate::crypto::keys::SigningAlg;
pub use crate::identity::config::IdentityConfig;
pub use crate::outgoing::config::{MeterConfig, WebhookConfig};
use crate::request_limits::RateLimits;

/// Everything a server process needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// Where the embedded database and the bootstrap token file live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; `None` means a SQLite file in the data dir.
    pub database_url: Option<String>,
    /// PostgreSQL connections this process keeps at most.
    pub database_pool_size: u32,
    /// A superadmin bearer token given by the operator.
    pub bootstrap_token: Option<String>,
    /// Algorithm for new signing keys.
    pub signing_alg: SigningAlg,
    /// The `iss` claim of tokens.
    pub issuer: String,
    /// Encrypts signing keys and license keys at rest when set.
    pub master_key: Option<String>,
    /// The master key before a rotation: still opens, never seals (`keys rewrap`).
    pub previous_master_key: Option<String>,
    /// The PKCS#11 token that holds the signing keys; `None`: sealed in the database.
    pub pkcs11: Option<crate::crypto::pkcs11::Pkcs11Config>,
    /// How often the reaper marks expired sessions.
    pub reaper_interval: Duration,
    /// How often the signing key is re-read from the database.
    pub key_refresh_interval: Duration,
    /// `smtp://host:port`, `smtps://…` or `smtp://…?tls=required` (credentials as
    /// `user:pass@`); without it mails stay queued in the outbox.
    pub smtp_url: Option<String>,
    /// The `From` of every mail.
    pub mail_from: String,
    /// The address people reach the server at, for links in mails; `None` means
    /// `http://<bound address>`. An `https://` URL also marks session cookies `Secure`.
    pub public_url: Option<String>,
    /// How often the mail sender looks for due mails (it is also woken on each new mail).
    pub mail_poll_interval: Duration,
    /// Wait before the first retry of a failed mail; doubled per attempt.
    pub mail_retry_base: Duration,
    /// Longest wait between retries.
    pub mail_retry_max: Duration,
    /// How often seats used are sampled for analytics.
    pub usage_sample_interval: Duration,
    /// Usage history older than this many days is deleted.
    pub usage_retention_days: u32,
    /// Redis for rate limits shared by every process; `None`: each process counts alone.
    pub redis_url: Option<String>,
    /// Longest wait for Redis before a request falls back to this process's counters.
    pub redis_timeout: Duration,
    /// Whether `/readyz` answers 503 while the configured Redis does not answer (the
    /// contract; default). `false`: Redis is only reported, every Redis use falls back.
    pub readyz_requires_redis: bool,
    /// Rate limits (0 turns one off).
    pub rate_limits: RateLimits,
    /// Trusted proxies in front of the server: the client IP is taken that many entries
    /// from the right of `X-Forwarded-For` (0: the socket's peer address).
    pub forwarded_hops: usize,
    /// The reverse proxies' addresses (`CODITECT_TRUSTED_PROXIES`). When set, forwarded
    /// headers count only on connections from these peers, and the client is the
    /// right-most `X-Forwarded-For` entry that is not one of them; `forwarded_hops` is
    /// then unused. A client that reaches the port directly cannot pick its address.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Limits on connections that hold the server's resources (see [`ConnectionLimits`]).
    pub connections: ConnectionLimits,
    /// Stripe, trials and expiry reminders (see [`BillingConfig`]).
    pub billing: BillingConfig,
    /// Outgoing webhooks (see [`WebhookConfig`]).
    pub webhooks: WebhookConfig,
    /// Seat-hours reported to Stripe (see [`MeterConfig`]).
    pub meter: MeterConfig,
    /// Single sign-on providers, sign-up and second-factor rules (see [`IdentityConfig`]).
    pub identity: IdentityConfig,
    /// `CODITECT_CORS_ORIGINS`: web origins (`https://app.example.com`) whose pages may
    /// call the API from a browser with a bearer token. Empty (the default): no CORS
    /// headers, so browsers keep other sites' pages from reading any answer.
    pub cors_origins: Vec<String>,
}

/// How the server sells: Stripe's webhook secrets, trial limits, expiry reminders.
#[derive(Clone, Debug)]
pub struct BillingConfig {
    /// `CODITECT_STRIPE_WEBHOOK_SECRETS`: every `whsec_…` a webhook may be signed with
    /// (several during a rotation). Empty: the webhook endpoint answers 404.
    pub stripe_webhook_secrets: Vec<String>,
    /// Largest difference between a signature's timestamp and now (Stripe's 300 s).
    pub signature_tolerance: Duration,
    /// `CODITECT_EXPIRY_REMINDER_DAYS`: days before expiry a reminder goes out, largest
    /// first; empty turns reminders off.
    pub expiry_reminder_days: Vec<i64>,
    /// How often stored events not yet applied are retried, and reminders looked for.
    pub pass_interval: Duration,
    /// Trial requests one client address may make per hour.
    pub trials_per_ip_per_hour: u32,
    /// Test hook (`CODITECT_TEST_HOLD_STRIPE_EVENTS`): store verified events and answer,
    /// but never apply them, so a test can kill the server in that window. Never set in
    /// production: events would wait until a restart without it.
    pub hold_events: bool,
}

impl Default for BillingConfig {
    fn default() -> Self {
        Self {
            stripe_webhook_secrets: Vec::new(),
            signature_tolerance: Duration::from_secs(300),
            expiry_reminder_days: vec![7, 1],
            pass_interval: Duration::from_secs(30),
            trials_per_ip_per_hour: 10,
            hold_events: false,
        }
    }
}

/// How long a connection may keep the server waiting, and how many it may hold at once:
/// without them an idle or slowloris connection is kept forever, and enough of them (1,100
/// at `ulimit -n 1024`) leave no file descriptor for anyone else.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// Longest wait for a request's headers, idle keep-alive time included: a connection
    /// that sends no complete head within it is closed.
    pub header_timeout: Duration,
    /// Longest time to receive a request's body.
    pub body_timeout: Duration,
    /// Longest time a request may take to be answered once its body is in: past it the
    /// request is answered `503 service_unavailable` with `Retry-After`. It bounds what
    /// nothing else does, a statement on a database connection left half-open (a
    /// failover, a host gone without closing its sockets) that would otherwise wait for
    /// TCP to give up, many minutes. Keep it above the PostgreSQL pool's 15 s wait for a
    /// connection, which answers 503 on its own.
    pub request_timeout: Duration,
    /// Connections served at once; further ones wait in the listen backlog until one
    /// closes. Default: 3/4 of the open-file limit, at most 10,000.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(20),
            body_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            max_connections: default_max_connections(),
        }
    }
}

/// 3/4 of this process's open-file limit (read from `/proc/self/limits`), so database
/// connections, log files and the listener always find a descriptor; at most 10,000.
pub fn default_max_connections() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|v| v.parse::<usize>().ok())
        })
        .unwrap_or(1024);
    (soft / 4 * 3).clamp(16, 10_000)
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_pool_size: coditect_storage_postgres::DEFAULT_POOL_SIZE,
            bootstrap_token: None,
            signing_alg: SigningAlg::Es256,
            issuer: "coditect-license".into(),
            master_key: None,
            previous_master_key: None,
            pkcs11: None,
            reaper_interval: Duration::from_secs(5),
            key_refresh_interval: Duration::from_secs(5),
            smtp_url: None,
            mail_from: "CODITECT License Server <no-reply@localhost>".into(),
            public_url: None,
            mail_poll_interval: Duration::from_secs(5),
            mail_retry_base: Duration::from_secs(5),
            mail_retry_max: Duration::from_secs(600),
            usage_sample_interval: Duration::from_secs(60),
            usage_retention_days: 90,
            redis_url: None,
            redis_timeout: Duration::from_millis(250),
            readyz_requires_redis: true,
            rate_limits: RateLimits::default(),
            forwarded_hops: 0,
            trusted_proxies: Vec::new(),
            connections: ConnectionLimits::default(),
            billing: BillingConfig::default(),
            webhooks: WebhookConfig::default(),
            meter: MeterConfig::default(),
            identity: IdentityConfig::default(),
            cors_origins: Vec::new(),
        }
    }
}

/// `CODITECT_CORS_ORIGINS`: origins separated by commas, each exactly as browsers send it
/// (`scheme://host` and an optional port; no path, no trailing slash, no wildcard).
pub fn parse_cors_origins(raw: &str) -> anyhow::Result<Vec<String>> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|o| {
            let ok = reqwest::Url::parse(o).is_ok_and(|u| {
                matches!(u.scheme(), "https" | "http")
                    && u.host_str().is_some()
                    && u.path() == "/"
                    && u.query().is_none()
                    && u.origin().ascii_serialization() == o
            });
            anyhow::ensure!(
                ok,
                "CODITECT_CORS_ORIGINS: {o:?} is not an origin like https://app.example.com"
            );
            Ok(o.to_owned())
        })
        .collect()
}

impl Config {
    /// The database URL in force: the configured one, or the embedded default.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("coditect.db").display()),
        }
    }

    /// The public base URL without a trailing slash.
    pub fn public_base(&self) -> String {
        self.public_url
            .as_deref()
            .unwrap_or("http://127.0.0.1:8080")
            .trim_end_matches('/')
            .to_owned()
    }

    /// Sample slot width in whole seconds (at least one).
    pub fn sample_secs(&self) -> i64 {
        (self.usage_sample_interval.as_secs() as i64).max(1)
    }
}

#[cfg(test)]
mod cors_tests {
    use super::parse_cors_origins;

    #[test]
    fn only_exact_origins_are_accepted() {
        assert_eq!(
            parse_cors_origins(" https://a.example, http://localhost:5173 ").unwrap(),
            vec!["https://a.example", "http://localhost:5173"]
        );
        assert!(parse_cors_origins("").unwrap().is_empty());
        for bad in [
            "https://a.example/",
            "https://a.example/path",
            "*",
            "a.example",
            "ftp://a.example",
        ] {
            assert!(parse_cors_origins(bad).is_err(), "{bad}");
        }
    }
}
