//! Speaking OpenID Connect to one provider, through the `openidconnect` crate: discovery
//! (cached for an hour, fetched again — at most every ten seconds — when an id_token
//! names a key the cached JWKS lacks), the authorization URL with PKCE (S256), `state` and `nonce`,
//! and the code exchange whose id_token is verified: signature against the JWKS, `iss`,
//! `aud`, `exp`, `nonce`, and the provider vouching for the e-mail (`email_verified`).

use std::time::{Duration, Instant};

use coditect_domain::SsoFailure;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    SignatureVerificationError, TokenResponse as _,
};
use tokio::sync::Mutex;

use super::{Identity, Started};

/// Discovery is fetched again after this long.
const METADATA_LIFETIME: Duration = Duration::from_secs(3600);
/// An unknown `kid` fetches the JWKS again at most this often (a flood of forged tokens
/// cannot make the server hammer the provider).
const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(10);

struct Discovered {
    metadata: CoreProviderMetadata,
    at: Instant,
    /// When an unknown `kid` last made the server fetch again.
    refreshed_at: Option<Instant>,
}

/// One OpenID provider and what was discovered of it.
pub struct OidcClient {
    issuer: String,
    client_id: String,
    client_secret: String,
    scopes: Vec<String>,
    http: reqwest::Client,
    cache: Mutex<Option<Discovered>>,
}

impl OidcClient {
    /// A client of `issuer`; nothing is fetched until the first sign-in.
    pub fn new(
        issuer: &str,
        client_id: &str,
        client_secret: &str,
        scopes: &[String],
        http: reqwest::Client,
    ) -> Self {
        Self {
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            scopes: scopes.to_vec(),
            http,
            cache: Mutex::new(None),
        }
    }

    /// The provider's metadata and keys: cached, or fetched when missing, older than an
    /// hour, or (`refresh`) when an id_token names a key the cache lacks and the last
    /// fetch is over a minute old.
    async fn metadata(&self, refresh: bool) -> Result<CoreProviderMetadata, SsoFailure> {
        let mut cache = self.cache.lock().await;
        if let Some(d) = cache.as_ref() {
            let fresh = if refresh {
                d.refreshed_at
                    .is_some_and(|t| t.elapsed() < REFRESH_AT_MOST_EVERY)
            } else {
                d.at.elapsed() < METADATA_LIFETIME
            };
            if fresh {
                return Ok(d.metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(self.issuer.clone()).map_err(|_| SsoFailure::Unavailable)?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(issuer = %self.issuer, error = %e, "OpenID discovery failed");
                SsoFailure::Unavailable
            })?;
        *cache = Some(Discovered {
            metadata: metadata.clone(),
            at: Instant::now(),
            refreshed_at: refresh.then(Instant::now),
        });
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
        redirect: &str,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        SsoFailure,
    > {
        let redirect =
            RedirectUrl::new(redirect.to_owned()).map_err(|_| SsoFailure::Unavailable)?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.client_id.clone()),
            Some(ClientSecret::new(self.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// The authorization request the browser is sent to.
    pub async fn start(&self, redirect: &str) -> Result<Started, SsoFailure> {
        let client = self.client(self.metadata(false).await?, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for s in &self.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: Some(nonce.secret().clone()),
            verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code and verifies the id_token; the verified identity.
    pub async fn finish(
        &self,
        redirect: &str,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Identity, SsoFailure> {
        let client = self.client(self.metadata(false).await?, redirect)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| SsoFailure::Unavailable)?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => {
                    tracing::warn!(issuer = %self.issuer, error = %r.error(), "the provider refused the code");
                    SsoFailure::TokenInvalid
                }
                other => {
                    tracing::warn!(issuer = %self.issuer, error = %other, "the code exchange failed");
                    SsoFailure::Unavailable
                }
            })?;
        let id_token = response.id_token().ok_or(SsoFailure::TokenInvalid)?;
        let nonce = Nonce::new(nonce.to_owned());
        let verifier = client.id_token_verifier();
        let verified = match id_token.claims(&verifier, &nonce) {
            Ok(c) => Ok(c.clone()),
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // A key rotation: fetch the keys again (at most once a minute) and retry.
                let fresh = self.client(self.metadata(true).await?, redirect)?;
                let verifier = fresh.id_token_verifier();
                id_token.claims(&verifier, &nonce).cloned()
            }
            Err(e) => Err(e),
        };
        let claims = verified.map_err(|e| {
            tracing::warn!(issuer = %self.issuer, error = %e, "an id_token did not verify");
            SsoFailure::TokenInvalid
        })?;
        let email = claims.email().ok_or(SsoFailure::EmailUnverified)?;
        if claims.email_verified() != Some(true) {
            return Err(SsoFailure::EmailUnverified);
        }
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned());
        Identity::new(email.as_str(), name)
    }
}
