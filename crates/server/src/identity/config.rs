//! Who may sign people in (`CODITECT_OIDC_PROVIDERS`), and the other identity settings.
//! Parsed once at start, so a wrong provider list stops the server with a clear message
//! instead of failing at the first sign-in.

use serde::Deserialize;

/// Google's issuer, for the `google` preset.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// The identity settings.
#[derive(Clone, Debug, Default)]
pub struct IdentityConfig {
    /// Sign-in providers, in the order the sign-in page shows them.
    pub providers: Vec<ProviderConfig>,
    /// `CODITECT_OIDC_ALLOW_HTTP`: `http://` issuers on loopback (tests only).
    pub allow_http: bool,
    /// `CODITECT_SIGNUP=open`: people may create an account and a tenant themselves.
    pub signup_open: bool,
    /// `CODITECT_STAFF_REQUIRE_TOTP`: staff sign in with a password only with TOTP.
    pub staff_require_totp: bool,
}

/// How a provider is spoken to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderKind {
    /// OpenID Connect, found by discovery at `<issuer>/.well-known/openid-configuration`.
    Oidc {
        /// The issuer, exactly as its id_tokens' `iss`.
        issuer: String,
    },
    /// GitHub's OAuth2 apps (not OpenID Connect): the user and verified-e-mail API.
    GitHub {
        /// `https://github.com` (authorize and token endpoints).
        web_base: String,
        /// `https://api.github.com`.
        api_base: String,
    },
}

/// One configured provider.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// The id in the start and callback paths: lower-case letters, digits, `-`.
    pub id: String,
    /// What the sign-in button says.
    pub name: String,
    /// How it is spoken to.
    pub kind: ProviderKind,
    /// The OAuth client id registered with the provider.
    pub client_id: String,
    /// The client secret (never logged).
    pub client_secret: String,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    id: String,
    name: Option<String>,
    issuer: Option<String>,
    client_id: String,
    client_secret: String,
    scopes: Option<Vec<String>>,
    /// GitHub Enterprise Server, or a test's stand-in: `{"web": …, "api": …}`.
    github_base: Option<GitHubBase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GitHubBase {
    web: String,
    api: String,
}

fn valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_url(what: &str, url: &str, allow_http: bool) -> anyhow::Result<String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| anyhow::anyhow!("{what} {url:?}: {e}"))?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http && loopback => {}
        _ => anyhow::bail!(
            "{what} {url:?} must be https:// (http:// to loopback only with CODITECT_OIDC_ALLOW_HTTP=true)"
        ),
    }
    Ok(url.trim_end_matches('/').to_owned())
}

impl ProviderConfig {
    /// Parses `CODITECT_OIDC_PROVIDERS`: a JSON array of
    /// `{"id","name","issuer","client_id","client_secret","scopes"?}`; `google` and
    /// `github` ids fill in what they know.
    pub fn parse_list(json: &str, allow_http: bool) -> anyhow::Result<Vec<Self>> {
        if json.trim().is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<RawProvider> = serde_json::from_str(json)
            .map_err(|e| anyhow::anyhow!("CODITECT_OIDC_PROVIDERS is not a valid list: {e}"))?;
        let mut out: Vec<Self> = Vec::with_capacity(raw.len());
        for r in raw {
            anyhow::ensure!(
                valid_id(&r.id),
                "CODITECT_OIDC_PROVIDERS: id {:?} must be 1-32 of a-z, 0-9, -",
                r.id
            );
            anyhow::ensure!(
                out.iter().all(|p| p.id != r.id),
                "CODITECT_OIDC_PROVIDERS: id {:?} appears twice",
                r.id
            );
            anyhow::ensure!(
                !r.client_id.is_empty() && !r.client_secret.is_empty(),
                "CODITECT_OIDC_PROVIDERS: {:?} needs client_id and client_secret",
                r.id
            );
            let (kind, default_name, default_scopes) = if r.id == "github" {
                let base = r.github_base.unwrap_or(GitHubBase {
                    web: "https://github.com".into(),
                    api: "https://api.github.com".into(),
                });
                let kind = ProviderKind::GitHub {
                    web_base: check_url("github_base.web", &base.web, allow_http)?,
                    api_base: check_url("github_base.api", &base.api, allow_http)?,
                };
                (
                    kind,
                    "GitHub",
                    vec!["read:user".into(), "user:email".into()],
                )
            } else {
                let issuer = match (r.issuer, r.id.as_str()) {
                    (Some(i), _) => i,
                    (None, "google") => GOOGLE_ISSUER.to_owned(),
                    (None, id) => anyhow::bail!("CODITECT_OIDC_PROVIDERS: {id:?} needs an issuer"),
                };
                let issuer = check_url("issuer", &issuer, allow_http)?;
                let name = if r.id == "google" { "Google" } else { "" };
                (
                    ProviderKind::Oidc { issuer },
                    name,
                    vec!["email".into(), "profile".into()],
                )
            };
            let name = r.name.unwrap_or_else(|| default_name.to_owned());
            anyhow::ensure!(
                !name.trim().is_empty() && name.chars().count() <= 64,
                "CODITECT_OIDC_PROVIDERS: {:?} needs a name of 1-64 characters",
                r.id
            );
            out.push(Self {
                id: r.id,
                name,
                kind,
                client_id: r.client_id,
                client_secret: r.client_secret,
                scopes: r.scopes.unwrap_or(default_scopes),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_fill_in_what_they_know_and_http_needs_the_test_flag() {
        let list = ProviderConfig::parse_list(
            r#"[{"id":"google","client_id":"a","client_secret":"b"},
                {"id":"okta","name":"Okta","issuer":"https://acme.okta.com/","client_id":"c","client_secret":"d"},
                {"id":"github","client_id":"e","client_secret":"f"}]"#,
            false,
        )
        .unwrap();
        assert_eq!(
            list[0].kind,
            ProviderKind::Oidc {
                issuer: GOOGLE_ISSUER.into()
            }
        );
        assert_eq!(list[0].name, "Google");
        assert_eq!(
            list[1].kind,
            ProviderKind::Oidc {
                issuer: "https://acme.okta.com".into()
            }
        );
        assert!(matches!(list[2].kind, ProviderKind::GitHub { .. }));
        let local = r#"[{"id":"local","name":"Local","issuer":"http://127.0.0.1:9","client_id":"a","client_secret":"b"}]"#;
        assert!(ProviderConfig::parse_list(local, false).is_err());
        assert!(ProviderConfig::parse_list(local, true).is_ok());
        let remote_http = r#"[{"id":"x","name":"X","issuer":"http://idp.example","client_id":"a","client_secret":"b"}]"#;
        assert!(ProviderConfig::parse_list(remote_http, true).is_err());
        for bad in [
            r#"[{"id":"Bad Id","name":"X","issuer":"https://i","client_id":"a","client_secret":"b"}]"#,
            r#"[{"id":"okta","issuer":"https://i","client_id":"a","client_secret":"b"}]"#,
            r#"[{"id":"x","name":"X","client_id":"a","client_secret":"b"}]"#,
            r#"[{"id":"x","name":"X","issuer":"https://i","client_id":"","client_secret":"b"}]"#,
            r#"{"id":"x"}"#,
        ] {
            assert!(ProviderConfig::parse_list(bad, false).is_err(), "{bad}");
        }
    }
}
