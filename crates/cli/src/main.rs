//! `coditect-license`: the one binary. `serve` runs the server, `migrate` prepares a
//! database, `keys rotate` publishes a new signing key, `client …` acquires, heartbeats,
//! releases and verifies like an application would. Settings come from the
//! environment (see README's configuration table) or the matching flags.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use coditect_server::request_limits::RateLimits;

mod backup_cmd;
mod client_cmd;
mod identity_settings;
mod key_settings;
mod outgoing_settings;
use coditect_server::{BillingConfig, Config, ConnectionLimits, SigningAlg};

#[derive(Parser)]
#[command(name = "coditect-license", version, about = "CODITECT License Server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(Settings),
    /// Create or upgrade the database schema, then exit.
    Migrate(Settings),
    /// Write a consistent copy of the embedded database while servers run.
    Backup {
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        args: backup_cmd::BackupArgs,
    },
    /// Put a backup in place of the embedded database (no server may have it open).
    Restore {
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        args: backup_cmd::RestoreArgs,
    },
    /// Signing key management.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// A license client: acquire, borrow, heartbeat, release, verify.
    Client(client_cmd::ClientArgs),
    /// Stripe helpers: sign a test event so the webhook can be tried without Stripe.
    Stripe {
        #[command(subcommand)]
        command: StripeCommand,
    },
}

#[derive(Subcommand)]
enum StripeCommand {
    /// Prints the `Stripe-Signature` header for FILE's exact bytes, signed now with the
    /// first of CODITECT_STRIPE_WEBHOOK_SECRETS (or --secret), as Stripe would sign it.
    SignEvent {
        /// The event JSON, posted byte for byte as the webhook's body.
        file: PathBuf,
        /// The `whsec_…` secret; default: the first of CODITECT_STRIPE_WEBHOOK_SECRETS.
        #[arg(long, env = "CODITECT_STRIPE_WEBHOOK_SECRETS", hide_env_values = true)]
        secret: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Publish a new signing key and make it current; the old one stays in the JWKS until
    /// every token it signed has expired.
    Rotate(Settings),
    /// Re-encrypt every secret sealed at rest (signing keys, license keys, queued mail,
    /// webhook secrets, TOTP secrets) under a new master key, in one transaction.
    Rewrap {
        #[command(flatten)]
        settings: Settings,
        /// A file holding the new master key (at least 32 characters).
        #[arg(long)]
        new_master_key_file: PathBuf,
    },
}

#[derive(Args, Clone)]
struct Settings {
    /// Address to listen on.
    #[arg(long, env = "CODITECT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Where the embedded database and the bootstrap token file live.
    #[arg(long, env = "CODITECT_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: a SQLite file in the data dir.
    #[arg(long, env = "CODITECT_DATABASE_URL")]
    database_url: Option<String>,
    /// PostgreSQL connections per server process, at most: about twice the database
    /// machine's cores, shared among the processes.
    #[arg(long, env = "CODITECT_DATABASE_POOL_SIZE", default_value_t = 16,
        value_parser = clap::value_parser!(u32).range(1..=1000))]
    database_pool_size: u32,
    /// A superadmin bearer token (give every process the same one).
    #[arg(long, env = "CODITECT_BOOTSTRAP_TOKEN", hide_env_values = true)]
    bootstrap_token: Option<String>,
    /// `ES256`, `EdDSA` or `RS256` for new signing keys.
    #[arg(long, env = "CODITECT_SIGNING_ALG", default_value = "ES256")]
    signing_alg: String,
    /// The `iss` claim of tokens.
    #[arg(long, env = "CODITECT_ISSUER", default_value = "coditect-license")]
    issuer: String,
    /// Encrypts signing keys and license keys at rest.
    #[arg(long, env = "CODITECT_MASTER_KEY", hide_env_values = true)]
    master_key: Option<String>,
    /// Seconds between reaper passes.
    #[arg(long, env = "CODITECT_REAPER_INTERVAL_SECONDS", default_value_t = 5)]
    reaper_interval_seconds: u64,
    /// Redis for rate limits shared by every process (optional).
    #[arg(long, env = "CODITECT_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// Longest wait for Redis, in milliseconds, before falling back to per-process limits.
    #[arg(long, env = "CODITECT_REDIS_TIMEOUT_MS", default_value_t = 250)]
    redis_timeout_ms: u64,
    /// `/readyz` answers 503 while the configured Redis does not answer (the contract's
    /// default); `false` only reports Redis in the body (every Redis use falls back).
    #[arg(
        long,
        env = "CODITECT_READYZ_REQUIRES_REDIS",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    readyz_requires_redis: bool,
    /// Length of a rate-limit window, in seconds.
    #[arg(long, env = "CODITECT_RATE_LIMIT_WINDOW_SECONDS", default_value_t = 60)]
    rate_limit_window_seconds: u64,
    /// Client requests per license key per window (0: off).
    #[arg(long, env = "CODITECT_RATE_LIMIT_PER_KEY", default_value_t = 6000)]
    rate_limit_per_key: u64,
    /// Client requests per client IP per window (0: off).
    #[arg(long, env = "CODITECT_RATE_LIMIT_PER_IP", default_value_t = 60000)]
    rate_limit_per_ip: u64,
    /// Admin requests per bearer token per window (0: off, the default).
    #[arg(long, env = "CODITECT_RATE_LIMIT_PER_ADMIN_TOKEN", default_value_t = 0)]
    rate_limit_per_admin_token: u64,
    /// Trusted proxies in front of the server, for the client IP in `X-Forwarded-For`.
    #[arg(long, env = "CODITECT_FORWARDED_HOPS", default_value_t = 0)]
    forwarded_hops: usize,
    /// `text` or `json`.
    #[arg(long, env = "CODITECT_LOG_FORMAT", default_value = "text")]
    log_format: String,
    /// SMTP server for invitation and password-reset mails, e.g. `smtp://127.0.0.1:2525`,
    /// `smtp://user:pass@host:587?tls=required` or `smtps://host`; unset: mails stay queued.
    #[arg(long, env = "CODITECT_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The `From` of mails.
    #[arg(
        long,
        env = "CODITECT_MAIL_FROM",
        default_value = "CODITECT License Server <no-reply@localhost>"
    )]
    mail_from: String,
    /// The URL people reach the server at, for links in mails (default: http://<listen>).
    #[arg(long, env = "CODITECT_PUBLIC_URL")]
    public_url: Option<String>,
    /// Seconds between samples of seats used (analytics).
    #[arg(long, env = "CODITECT_USAGE_SAMPLE_SECONDS", default_value_t = 60)]
    usage_sample_seconds: u64,
    /// Days of usage history to keep.
    #[arg(long, env = "CODITECT_USAGE_RETENTION_DAYS", default_value_t = 90)]
    usage_retention_days: u32,
    /// Shorthand for one trusted proxy (`CODITECT_FORWARDED_HOPS=1`) when no hop count
    /// is given; kept for configurations written before `CODITECT_FORWARDED_HOPS`.
    #[arg(long, env = "CODITECT_TRUST_PROXY", default_value_t = false)]
    trust_proxy: bool,
    /// Seconds a connection may take to send a request's headers, idle keep-alive time
    /// included; slower or idle connections are closed.
    #[arg(long, env = "CODITECT_HEADER_TIMEOUT_SECONDS", default_value_t = 20)]
    header_timeout_seconds: u64,
    /// Seconds a request's body may take to arrive.
    #[arg(long, env = "CODITECT_BODY_TIMEOUT_SECONDS", default_value_t = 30)]
    body_timeout_seconds: u64,
    /// Seconds a request may take to be answered once its body is in; past them it is
    /// answered 503 service_unavailable (a database connection that stopped answering).
    #[arg(long, env = "CODITECT_REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    request_timeout_seconds: u64,
    /// The reverse proxies in front of the server, as addresses or CIDR blocks separated
    /// by commas: `X-Forwarded-For` then counts only on connections from them.
    #[arg(long, env = "CODITECT_TRUSTED_PROXIES", default_value = "")]
    trusted_proxies: String,
    /// Web origins whose pages may call the API from a browser (with a bearer token),
    /// separated by commas, e.g. `https://portal.vendor.example`; empty: none.
    #[arg(long, env = "CODITECT_CORS_ORIGINS", default_value = "")]
    cors_origins: String,
    /// Connections served at once (0: 3/4 of the open-file limit, at most 10,000).
    #[arg(long, env = "CODITECT_MAX_CONNECTIONS", default_value_t = 0)]
    max_connections: usize,
    /// Stripe webhook signing secrets (`whsec_…`), comma-separated: several during a
    /// rotation. Unset: the Stripe webhook endpoint answers 404.
    #[arg(
        long,
        env = "CODITECT_STRIPE_WEBHOOK_SECRETS",
        hide_env_values = true,
        default_value = ""
    )]
    stripe_webhook_secrets: String,
    /// Days before expiry that reminder mails go out, comma-separated; empty: none.
    #[arg(long, env = "CODITECT_EXPIRY_REMINDER_DAYS", default_value = "7,1")]
    expiry_reminder_days: String,
    /// Seconds between passes that apply stored Stripe events left pending and send
    /// expiry reminders.
    #[arg(long, env = "CODITECT_BILLING_PASS_SECONDS", default_value_t = 30)]
    billing_pass_seconds: u64,
    /// Self-service trials one client address may start per hour (0: unlimited).
    #[arg(long, env = "CODITECT_TRIALS_PER_IP_PER_HOUR", default_value_t = 10)]
    trials_per_ip_per_hour: u32,
    /// Test hook: store verified Stripe events but never apply them (crash tests).
    #[arg(
        long,
        env = "CODITECT_TEST_HOLD_STRIPE_EVENTS",
        default_value_t = false,
        hide = true
    )]
    test_hold_stripe_events: bool,
    #[command(flatten)]
    outgoing: outgoing_settings::OutgoingSettings,
    #[command(flatten)]
    identity: identity_settings::IdentitySettings,
    #[command(flatten)]
    keys: key_settings::KeySettings,
}

impl Settings {
    fn config(&self) -> anyhow::Result<Config> {
        let signing_alg = SigningAlg::parse(&self.signing_alg).with_context(|| {
            format!(
                "CODITECT_SIGNING_ALG must be ES256, EdDSA or RS256, not {:?}",
                self.signing_alg
            )
        })?;
        anyhow::ensure!(
            self.reaper_interval_seconds >= 1,
            "the reaper interval must be at least 1 second"
        );
        anyhow::ensure!(
            (1..=3600).contains(&self.usage_sample_seconds),
            "CODITECT_USAGE_SAMPLE_SECONDS must be 1 to 3600 (at least one sample a minute is the plan's default of 60)"
        );
        anyhow::ensure!(
            self.usage_retention_days >= 1,
            "CODITECT_USAGE_RETENTION_DAYS must be at least 1"
        );
        let public_url = self.public_url.clone().filter(|u| !u.is_empty());
        if let Some(u) = &public_url {
            anyhow::ensure!(
                u.starts_with("http://") || u.starts_with("https://"),
                "CODITECT_PUBLIC_URL must start with http:// or https://"
            );
        }
        anyhow::ensure!(
            self.rate_limit_window_seconds >= 1,
            "CODITECT_RATE_LIMIT_WINDOW_SECONDS must be at least 1"
        );
        anyhow::ensure!(
            (1..=60_000).contains(&self.redis_timeout_ms),
            "CODITECT_REDIS_TIMEOUT_MS must be from 1 to 60000"
        );
        anyhow::ensure!(
            (1..=3600).contains(&self.header_timeout_seconds)
                && (1..=3600).contains(&self.body_timeout_seconds)
                && (1..=3600).contains(&self.request_timeout_seconds),
            "CODITECT_HEADER_TIMEOUT_SECONDS, CODITECT_BODY_TIMEOUT_SECONDS and CODITECT_REQUEST_TIMEOUT_SECONDS must be 1 to 3600"
        );
        let trusted_proxies = self
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| anyhow::anyhow!("CODITECT_TRUSTED_PROXIES: {s:?} is neither an address nor a CIDR block"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let forwarded_hops = if self.forwarded_hops == 0 && self.trust_proxy {
            1
        } else {
            self.forwarded_hops
        };
        Ok(Config {
            listen: self.listen.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone().filter(|u| !u.is_empty()),
            database_pool_size: self.database_pool_size,
            bootstrap_token: self.bootstrap_token.clone().filter(|t| !t.is_empty()),
            signing_alg,
            issuer: self.issuer.clone(),
            master_key: self.master_key.clone().filter(|k| !k.is_empty()),
            previous_master_key: self.keys.previous_master_key(),
            pkcs11: self.keys.pkcs11()?,
            reaper_interval: Duration::from_secs(self.reaper_interval_seconds),
            smtp_url: self.smtp_url.clone().filter(|u| !u.is_empty()),
            mail_from: self.mail_from.clone(),
            public_url,
            usage_sample_interval: Duration::from_secs(self.usage_sample_seconds),
            usage_retention_days: self.usage_retention_days,
            redis_url: self.redis_url.clone().filter(|u| !u.is_empty()),
            redis_timeout: Duration::from_millis(self.redis_timeout_ms),
            readyz_requires_redis: self.readyz_requires_redis,
            rate_limits: RateLimits {
                window: Duration::from_secs(self.rate_limit_window_seconds),
                per_key: self.rate_limit_per_key,
                per_ip: self.rate_limit_per_ip,
                per_admin_token: self.rate_limit_per_admin_token,
            },
            forwarded_hops,
            trusted_proxies,
            connections: ConnectionLimits {
                header_timeout: Duration::from_secs(self.header_timeout_seconds),
                body_timeout: Duration::from_secs(self.body_timeout_seconds),
                request_timeout: Duration::from_secs(self.request_timeout_seconds),
                max_connections: match self.max_connections {
                    0 => coditect_server::config::default_max_connections(),
                    n => n,
                },
            },
            billing: self.billing()?,
            webhooks: self.outgoing.webhooks()?,
            meter: self.outgoing.meter()?,
            identity: self.identity.config()?,
            cors_origins: coditect_server::config::parse_cors_origins(&self.cors_origins)?,
            ..Config::default()
        })
    }

    fn billing(&self) -> anyhow::Result<BillingConfig> {
        let secrets: Vec<String> = self
            .stripe_webhook_secrets
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        anyhow::ensure!(
            secrets.iter().all(|s| s.len() >= 16),
            "CODITECT_STRIPE_WEBHOOK_SECRETS: each secret must be Stripe's whole whsec_… value"
        );
        let expiry_reminder_days =
            coditect_domain::billing::reminders::parse_thresholds(&self.expiry_reminder_days)
                .map_err(|e| anyhow::anyhow!("CODITECT_EXPIRY_REMINDER_DAYS: {e}"))?;
        anyhow::ensure!(
            (1..=3600).contains(&self.billing_pass_seconds),
            "CODITECT_BILLING_PASS_SECONDS must be 1 to 3600"
        );
        Ok(BillingConfig {
            stripe_webhook_secrets: secrets,
            expiry_reminder_days,
            pass_interval: Duration::from_secs(self.billing_pass_seconds),
            trials_per_ip_per_hour: self.trials_per_ip_per_hour,
            hold_events: self.test_hold_stripe_events,
            ..BillingConfig::default()
        })
    }
}

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colours only for a person at a terminal: a log file or collector gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init();
    } else {
        builder.init();
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// mimalloc instead of glibc's malloc: a request allocates on one async thread and frees on
/// another, and glibc's arenas spent a tenth of the server's CPU on it (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(s) => {
            init_logs(&s.log_format);
            coditect_server::serve(s.config()?, shutdown_signal()).await
        }
        Command::Migrate(s) => {
            init_logs(&s.log_format);
            let config = s.config()?;
            if config.database_url.is_none() {
                std::fs::create_dir_all(&config.data_dir)?;
            }
            coditect_server::open_store(&config.effective_database_url()).await?;
            tracing::info!("database is up to date");
            Ok(())
        }
        Command::Backup { settings, args } => {
            backup_cmd::backup(&settings.config()?.effective_database_url(), &args).await
        }
        Command::Restore { settings, args } => {
            backup_cmd::restore(&settings.config()?.effective_database_url(), &args).await
        }
        Command::Keys {
            command: KeysCommand::Rotate(s),
        } => {
            init_logs(&s.log_format);
            let config = s.config()?;
            let kid = coditect_server::rotate_signing_key(&config).await?;
            println!("{kid}");
            tracing::info!(%kid, "new signing key is current");
            Ok(())
        }
        Command::Keys {
            command:
                KeysCommand::Rewrap {
                    settings,
                    new_master_key_file,
                },
        } => {
            init_logs(&settings.log_format);
            let config = settings.config()?;
            let new = std::fs::read_to_string(&new_master_key_file)
                .with_context(|| format!("reading {}", new_master_key_file.display()))?;
            let report = coditect_server::rewrap_secrets(&config, new.trim()).await?;
            for (table, column, resealed, unchanged) in &report.columns {
                println!(
                    "{table}.{column}: {resealed} re-sealed, {unchanged} already under the new key"
                );
            }
            println!(
                "{} re-sealed, {} unchanged; start every server with the new master key",
                report.resealed(),
                report.unchanged()
            );
            Ok(())
        }
        Command::Client(args) => std::process::exit(client_cmd::run(args).await),
        Command::Stripe {
            command: StripeCommand::SignEvent { file, secret },
        } => {
            let body =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let secret = secret.split(',').map(str::trim).find(|s| !s.is_empty());
            let secret = secret
                .context("no secret: set CODITECT_STRIPE_WEBHOOK_SECRETS or pass --secret")?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs() as i64;
            println!(
                "{}",
                coditect_server::crypto::webhook_signature::sign(secret, now, &body)
            );
            Ok(())
        }
    }
}
