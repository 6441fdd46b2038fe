//! Identity settings from the environment: single sign-on providers, self-service
//! sign-up, and whether staff must use a second factor.

use clap::Args;
use coditect_server::identity::{IdentityConfig, ProviderConfig};

/// `CODITECT_OIDC_*`, `CODITECT_SIGNUP` and `CODITECT_STAFF_REQUIRE_TOTP`.
#[derive(Args, Clone)]
pub struct IdentitySettings {
    /// Single sign-on providers: a JSON array of
    /// `{"id","name","issuer","client_id","client_secret","scopes"?}` (`google` and `github`
    /// ids are presets).
    #[arg(
        long,
        env = "CODITECT_OIDC_PROVIDERS",
        default_value = "",
        hide_env_values = true
    )]
    oidc_providers: String,
    /// Lets issuers be `http://` on loopback, and trusted issuers' keys be fetched from
    /// loopback (tests and local development only).
    #[arg(long, env = "CODITECT_OIDC_ALLOW_HTTP", default_value_t = false,
        action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    oidc_allow_http: bool,
    /// `open`: people may create an account and a tenant themselves; `off` (default):
    /// only invitations make accounts.
    #[arg(long, env = "CODITECT_SIGNUP", default_value = "off")]
    signup: String,
    /// Staff sign in with a password only with TOTP (they enrol at their next sign-in).
    #[arg(long, env = "CODITECT_STAFF_REQUIRE_TOTP", default_value_t = false,
        action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    staff_require_totp: bool,
}

impl IdentitySettings {
    /// The server's identity settings; a wrong provider list stops the start.
    pub fn config(&self) -> anyhow::Result<IdentityConfig> {
        let signup_open = match self.signup.as_str() {
            "open" => true,
            "off" | "" => false,
            other => anyhow::bail!("CODITECT_SIGNUP must be open or off, not {other:?}"),
        };
        Ok(IdentityConfig {
            providers: ProviderConfig::parse_list(&self.oidc_providers, self.oidc_allow_http)?,
            allow_http: self.oidc_allow_http,
            signup_open,
            staff_require_totp: self.staff_require_totp,
        })
    }
}
