//! `coditect-license client …`: the license client for shell scripts and for people
//! checking a setup. Every command prints JSON on stdout; a failure prints
//! `{"error": {"code", "message"}}` on stderr and exits with status 1.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use coditect_license_client::{ClientConfig, Error, LeaseState, LicenseClient, Verifier};
use serde_json::{json, Value};
use uuid::Uuid;

/// Which server and license the client speaks to.
#[derive(Args)]
pub struct ClientArgs {
    /// The license server's URL.
    #[arg(long, env = "CODITECT_SERVER_URL", global = true)]
    server: Option<String>,
    /// The license key.
    #[arg(
        long,
        env = "CODITECT_LICENSE_KEY",
        hide_env_values = true,
        global = true
    )]
    license_key: Option<String>,
    /// Product name; the default hardware id is hashed with it.
    #[arg(
        long,
        env = "CODITECT_PRODUCT",
        default_value = "coditect-cli",
        global = true
    )]
    product: String,
    /// Hardware id to use instead of the machine's (hashed) id.
    #[arg(long, env = "CODITECT_HARDWARE_ID", global = true)]
    hardware_id: Option<String>,
    /// JWKS cache file for offline verification.
    #[arg(long, env = "CODITECT_JWKS_CACHE", global = true)]
    jwks_cache: Option<PathBuf>,
    #[command(subcommand)]
    command: ClientCommand,
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Take a seat and print it (with --hold, keep it until interrupted).
    Acquire {
        /// When the license is full, wait up to this many seconds (≤ 300) for a seat.
        #[arg(long, default_value_t = 0)]
        wait_seconds: u64,
        /// Who uses the seat.
        #[arg(long)]
        user_email: Option<String>,
        /// Keep the seat, heartbeating, until Ctrl-C or SIGTERM; then release it.
        #[arg(long)]
        hold: bool,
    },
    /// Borrow a seat for offline use for some hours.
    Borrow {
        /// How many hours (up to the license's max_borrow_hours).
        #[arg(long)]
        hours: u32,
    },
    /// Extend a session.
    Heartbeat {
        /// The session to extend.
        #[arg(long)]
        session_id: Uuid,
    },
    /// Release a session.
    Release {
        /// The session to release.
        #[arg(long)]
        session_id: Uuid,
    },
    /// Verify a token offline against the cached JWKS and print its claims.
    Verify {
        /// The token; `-` reads it from stdin.
        #[arg(long)]
        token: String,
        /// Fail unless the token grants this entitlement (repeatable).
        #[arg(long)]
        entitlement: Vec<String>,
        /// Fetch the JWKS from the server into the cache first.
        #[arg(long)]
        refresh: bool,
        /// Require this issuer.
        #[arg(long)]
        issuer: Option<String>,
        /// Accept a token issued to another installation.
        #[arg(long)]
        any_hardware: bool,
    },
}

/// Runs a client command; returns the process exit code.
pub async fn run(args: ClientArgs) -> i32 {
    match execute(args).await {
        Ok(out) => {
            println!("{out:#}");
            0
        }
        Err(e) => {
            let body = match e.downcast_ref::<Error>() {
                Some(err) => json!({"error": {"code": err.code(), "message": err.to_string()}}),
                None => json!({"error": {"code": "client_error", "message": format!("{e:#}")}}),
            };
            eprintln!("{body}");
            1
        }
    }
}

fn client(a: &ClientArgs) -> anyhow::Result<LicenseClient> {
    client_as(a, None)
}

fn client_as(a: &ClientArgs, user_email: Option<&String>) -> anyhow::Result<LicenseClient> {
    let server = a
        .server
        .clone()
        .context("--server (or CODITECT_SERVER_URL) is required")?;
    let key = a
        .license_key
        .clone()
        .context("--license-key (or CODITECT_LICENSE_KEY) is required")?;
    let mut cfg = ClientConfig::new(server, key, a.product.clone());
    cfg.hardware_id = a.hardware_id.clone();
    cfg.jwks_cache = a.jwks_cache.clone();
    cfg.user_email = user_email.cloned();
    Ok(LicenseClient::new(cfg)?)
}

async fn execute(a: ClientArgs) -> anyhow::Result<Value> {
    match &a.command {
        ClientCommand::Acquire {
            wait_seconds,
            user_email,
            hold,
        } => {
            let c = client_as(&a, user_email.as_ref())?;
            let wait = Duration::from_secs(*wait_seconds);
            if !hold {
                return Ok(serde_json::to_value(c.acquire_seat(wait).await?)?);
            }
            let lease = c.acquire_waiting(wait).await?;
            println!("{:#}", serde_json::to_value(lease.seat())?);
            lease.on_state_change(|s| eprintln!("lease state: {s:?}"));
            let mut states = lease.subscribe();
            tokio::select! {
                _ = crate::shutdown_signal() => {}
                _ = states.wait_for(|s| matches!(s, LeaseState::Lost(_))) => {}
            }
            let state = lease.state();
            if let LeaseState::Lost(reason) = state {
                anyhow::bail!("the seat was lost: {reason:?}");
            }
            Ok(serde_json::to_value(lease.release().await?)?)
        }
        ClientCommand::Borrow { hours } => {
            Ok(serde_json::to_value(client(&a)?.borrow(*hours).await?)?)
        }
        ClientCommand::Heartbeat { session_id } => Ok(serde_json::to_value(
            client(&a)?.heartbeat(*session_id).await?,
        )?),
        ClientCommand::Release { session_id } => Ok(serde_json::to_value(
            client(&a)?.release(*session_id).await?,
        )?),
        ClientCommand::Verify {
            token,
            entitlement,
            refresh,
            issuer,
            any_hardware,
        } => {
            let token = if token == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
                s.trim().to_owned()
            } else {
                token.clone()
            };
            if *refresh {
                client(&a)?.refresh_jwks().await?;
            }
            let path = a
                .jwks_cache
                .clone()
                .or_else(|| {
                    a.server
                        .as_deref()
                        .and_then(coditect_license_client::default_jwks_cache)
                })
                .context("--jwks-cache or --server is required to find the cached JWKS")?;
            let key = a
                .license_key
                .as_deref()
                .filter(|k| !k.is_empty())
                .context("--license-key (or CODITECT_LICENSE_KEY) is required: a token is checked against its license")?;
            let mut v = Verifier::from_file(&path)?.for_license_key(key);
            if let Some(iss) = issuer {
                v = v.with_issuer(iss.clone());
            }
            let verified = v.verify(&token)?;
            if !any_hardware {
                let hw = match &a.hardware_id {
                    Some(h) if !h.is_empty() => h.clone(),
                    _ => coditect_license_client::default_hardware_id(&a.product)?,
                };
                if verified.hardware_id() != hw {
                    return Err(Error::InvalidToken(
                        "the token was issued to another installation (--any-hardware accepts it)"
                            .into(),
                    )
                    .into());
                }
            }
            for e in entitlement {
                if !verified.has_entitlement(e) {
                    anyhow::bail!("the token does not grant the entitlement {e:?}");
                }
            }
            Ok(json!({"valid": true, "claims": verified.claims}))
        }
    }
}
