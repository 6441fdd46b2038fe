//! Records of the identity roles: single sign-on flows in progress and TOTP enrolments.

use chrono::Duration;

/// A sign-in sent to a provider, stored until the browser comes back with its `state`.
#[derive(Clone)]
pub struct NewSsoFlow {
    /// SHA-256 of the `state` sent to the provider.
    pub state_hash: String,
    /// SHA-256 of the secret in the starting browser's flow cookie.
    pub browser_hash: String,
    /// The provider's configured id.
    pub provider_id: String,
    /// The `nonce` the id_token must carry.
    pub nonce: String,
    /// The PKCE code verifier, sealed.
    pub verifier_sealed: String,
    /// Where to send the browser after a sign-in (a checked path).
    pub return_to: String,
    /// How long the flow may take.
    pub ttl: Duration,
}

/// A flow the browser came back with, spent by that very lookup.
#[derive(Clone, Debug, PartialEq)]
pub struct SsoFlow {
    /// The provider's configured id.
    pub provider_id: String,
    /// The `nonce` the id_token must carry.
    pub nonce: String,
    /// The PKCE code verifier, sealed.
    pub verifier_sealed: String,
    /// Where to send the browser after a sign-in.
    pub return_to: String,
}

impl std::fmt::Debug for NewSsoFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSsoFlow")
            .field("provider_id", &self.provider_id)
            .field("return_to", &self.return_to)
            .finish_non_exhaustive()
    }
}

/// A user's TOTP enrolment.
#[derive(Clone, PartialEq)]
pub struct TotpRecord {
    /// The shared secret, sealed.
    pub secret_sealed: String,
    /// Whether a code confirmed the enrolment (only then does sign-in ask for codes).
    pub confirmed: bool,
    /// The newest time step accepted (-1: none).
    pub last_step: i64,
}

impl std::fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRecord")
            .field("confirmed", &self.confirmed)
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
    }
}

/// A sign-up to verify by mail.
#[derive(Clone)]
pub struct NewSignup {
    /// SHA-256 of the link's token.
    pub token_hash: String,
    /// The address, lower-cased.
    pub email: String,
    /// The person's name.
    pub name: String,
    /// Their password, hashed.
    pub password_hash: String,
    /// The tenant to make for them.
    pub organisation: String,
    /// How long the link works.
    pub ttl: Duration,
}

impl std::fmt::Debug for NewSignup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSignup")
            .field("email", &self.email)
            .field("organisation", &self.organisation)
            .finish_non_exhaustive()
    }
}

/// A stored sign-up, as its link finds it.
#[derive(Clone)]
pub struct PendingSignup {
    /// The address, lower-cased.
    pub email: String,
    /// The person's name.
    pub name: String,
    /// Their password, hashed.
    pub password_hash: String,
    /// The tenant to make for them.
    pub organisation: String,
    /// When the link stops working.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// When it was used.
    pub used_at: Option<chrono::DateTime<chrono::Utc>>,
}
