//! Who signs in, beyond e-mail and password: single sign-on with OpenID Connect providers
//! and GitHub, TOTP second factors, and JWTs from issuers a tenant trusts. The HTTP
//! handlers are in `routes::sso`, `routes::second_factor`, `routes::totp`,
//! `routes::signup` and `routes::trusted_issuers`;
//! what they keep is in the store's `IdentityStore` role; the rules (where a sign-in may
//! return to, how a JWT's claim maps to a role) are in the domain's `identity` module.

pub mod config;
mod github;
mod oidc;
pub mod totp;
pub mod trusted_jwt;

use coditect_domain::SsoFailure;

pub use config::{IdentityConfig, ProviderConfig, ProviderKind};

use crate::outgoing::address::guarded_client;

/// A sign-in sent to a provider: where the browser goes, and what must come back.
pub struct Started {
    /// The provider's authorization URL with every parameter.
    pub url: String,
    /// The `state` parameter (kept hashed).
    pub state: String,
    /// The `nonce` the id_token must carry (OpenID Connect only).
    pub nonce: Option<String>,
    /// The PKCE code verifier.
    pub verifier: String,
}

/// A person the provider vouches for.
#[derive(Debug)]
pub struct Identity {
    /// Their verified e-mail, lower-cased.
    pub email: String,
    /// Their display name (the e-mail when the provider gives none).
    pub name: String,
}

impl Identity {
    fn new(email: &str, name: Option<String>) -> Result<Self, SsoFailure> {
        let email =
            crate::routes::auth::parse_email(email).map_err(|_| SsoFailure::EmailUnverified)?;
        let name = name
            .map(|n| n.trim().chars().take(200).collect::<String>())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| email.clone());
        Ok(Self { email, name })
    }
}

enum Protocol {
    // Boxed: the discovery cache is large, GitHub's client small.
    Oidc(Box<oidc::OidcClient>),
    GitHub(github::GitHubClient),
}

/// One provider people may sign in with.
pub struct Provider {
    /// Its configuration.
    pub config: ProviderConfig,
    protocol: Protocol,
}

impl Provider {
    /// Sends a sign-in to the provider.
    pub async fn start(&self, redirect: &str) -> Result<Started, SsoFailure> {
        match &self.protocol {
            Protocol::Oidc(c) => c.start(redirect).await,
            Protocol::GitHub(c) => c.start(redirect),
        }
    }

    /// Finishes a sign-in the provider sent back with a code.
    pub async fn finish(
        &self,
        redirect: &str,
        code: &str,
        verifier: &str,
        nonce: Option<&str>,
    ) -> Result<Identity, SsoFailure> {
        match &self.protocol {
            Protocol::Oidc(c) => {
                let nonce = nonce.ok_or(SsoFailure::StateMismatch)?;
                c.finish(redirect, code, verifier, nonce).await
            }
            Protocol::GitHub(c) => c.finish(redirect, code, verifier).await,
        }
    }
}

/// Every configured provider, with its discovery cache.
pub struct Providers {
    list: Vec<Provider>,
}

impl Providers {
    /// The providers of the configuration. Their requests go through the guarded client:
    /// never to private or metadata addresses (loopback only with `allow_http`, for tests).
    pub fn new(c: &IdentityConfig) -> Self {
        let http = guarded_client(c.allow_http);
        let list = c
            .providers
            .iter()
            .map(|p| Provider {
                config: p.clone(),
                protocol: match &p.kind {
                    ProviderKind::Oidc { issuer } => {
                        Protocol::Oidc(Box::new(oidc::OidcClient::new(
                            issuer,
                            &p.client_id,
                            &p.client_secret,
                            &p.scopes,
                            http.clone(),
                        )))
                    }
                    ProviderKind::GitHub { web_base, api_base } => {
                        Protocol::GitHub(github::GitHubClient::new(
                            web_base,
                            api_base,
                            &p.client_id,
                            &p.client_secret,
                            &p.scopes,
                            http.clone(),
                        ))
                    }
                },
            })
            .collect();
        Self { list }
    }

    /// The provider with this id.
    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.list.iter().find(|p| p.config.id == id)
    }

    /// All of them, in configuration order.
    pub fn all(&self) -> impl Iterator<Item = &Provider> {
        self.list.iter()
    }
}
