//! Signing in with GitHub, which speaks OAuth2 but not OpenID Connect: the code is
//! exchanged (with PKCE) for an access token through the `oauth2` crate, and the person is
//! who GitHub's API says — the name from `/user`, the e-mail from `/user/emails`, only
//! the primary address and only when GitHub has verified it.

use coditect_domain::SsoFailure;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse as _, TokenUrl,
};
use serde::Deserialize;

use super::{Identity, Started};

/// A GitHub (or GitHub Enterprise Server) OAuth app.
pub struct GitHubClient {
    web_base: String,
    api_base: String,
    client_id: String,
    client_secret: String,
    scopes: Vec<String>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct GitHubUser {
    login: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

impl GitHubClient {
    /// A client of the app `client_id` on `web_base` (`https://github.com`) whose API is
    /// at `api_base` (`https://api.github.com`).
    pub fn new(
        web_base: &str,
        api_base: &str,
        client_id: &str,
        client_secret: &str,
        scopes: &[String],
        http: reqwest::Client,
    ) -> Self {
        Self {
            web_base: web_base.to_owned(),
            api_base: api_base.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            scopes: scopes.to_vec(),
            http,
        }
    }

    fn client(
        &self,
        redirect: &str,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
        >,
        SsoFailure,
    > {
        let bad = |_| SsoFailure::Unavailable;
        let auth = AuthUrl::new(format!("{}/login/oauth/authorize", self.web_base)).map_err(bad)?;
        let token =
            TokenUrl::new(format!("{}/login/oauth/access_token", self.web_base)).map_err(bad)?;
        let redirect = RedirectUrl::new(redirect.to_owned()).map_err(bad)?;
        Ok(BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.clone()))
            .set_auth_uri(auth)
            .set_token_uri(token)
            .set_redirect_uri(redirect))
    }

    /// The authorization request the browser is sent to.
    pub fn start(&self, redirect: &str) -> Result<Started, SsoFailure> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client(redirect)?;
        let mut req = client.authorize_url(CsrfToken::new_random);
        for s in &self.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let (url, state) = req.set_pkce_challenge(challenge).url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: None,
            verifier: verifier.secret().clone(),
        })
    }

    async fn api<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
    ) -> Result<T, SsoFailure> {
        let r = self
            .http
            .get(format!("{}{path}", self.api_base))
            .bearer_auth(token)
            .header("accept", "application/vnd.github+json")
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, path, "GitHub's API cannot be reached");
                SsoFailure::Unavailable
            })?;
        if !r.status().is_success() {
            tracing::warn!(status = %r.status(), path, "GitHub's API refused the token");
            return Err(SsoFailure::TokenInvalid);
        }
        r.json().await.map_err(|_| SsoFailure::TokenInvalid)
    }

    /// Exchanges the code and asks GitHub who signed in.
    pub async fn finish(
        &self,
        redirect: &str,
        code: &str,
        verifier: &str,
    ) -> Result<Identity, SsoFailure> {
        let response = self
            .client(redirect)?
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(_) | RequestTokenError::Parse(..) => {
                    SsoFailure::TokenInvalid
                }
                _ => SsoFailure::Unavailable,
            })?;
        let token = response.access_token().secret();
        let user: GitHubUser = self.api("/user", token).await?;
        let emails: Vec<GitHubEmail> = self.api("/user/emails", token).await?;
        let primary = emails
            .into_iter()
            .find(|e| e.primary)
            .ok_or(SsoFailure::EmailUnverified)?;
        if !primary.verified {
            return Err(SsoFailure::EmailUnverified);
        }
        Identity::new(&primary.email, user.name.or(Some(user.login)))
    }
}
