//! Identity rules with no I/O: where a sign-in may send the browser back to, why a
//! single sign-on failed, and which role a trusted issuer's JWT acts with.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::tenant::Role;

/// The stored password hash of a user who has none (created by single sign-on). No
/// password verifies against it; a password reset sets one.
pub const NO_PASSWORD: &str = "";

/// Where the dashboard lands when a sign-in names no (or no acceptable) place to return to.
pub const DEFAULT_RETURN_TO: &str = "/dashboard/";

/// `return_to` if it is a path on this server, else `None`: it must start with one `/`
/// (`//host` is another server to a browser), hold no `\` (browsers read it as `/`), no
/// control characters and no scheme, and be at most 512 bytes. This is what keeps the
/// sign-in from being an open redirect.
pub fn safe_return_path(return_to: &str) -> Option<&str> {
    let ok = return_to.len() <= 512
        && return_to.starts_with('/')
        && !return_to.starts_with("//")
        && !return_to.contains('\\')
        && !return_to
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        && !return_to
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .contains(':');
    ok.then_some(return_to)
}

/// The start of a slug for a tenant made by sign-up, from its organisation's name:
/// lower-case letters and digits, other runs as one `-`, at most 40 characters, `org` when
/// nothing is left. The server appends a random suffix, so names need not be unique.
pub fn slug_base(organisation: &str) -> String {
    let mut out = String::new();
    for c in organisation.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() {
        "org".into()
    } else {
        out
    }
}

/// Why a single sign-on did not sign anybody in: the reason the dashboard's sign-in page
/// is sent (`?sso_error=…`) and shows a sentence for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoFailure {
    /// No flow cookie, a flow started in another browser, a forged, replayed or expired
    /// `state`.
    StateMismatch,
    /// The provider answered with `error=…` (the user cancelled, the client is refused).
    ProviderError,
    /// The code exchange failed, or the id_token's signature, issuer, audience, expiry
    /// or nonce did not verify.
    TokenInvalid,
    /// The provider does not vouch for the e-mail address.
    EmailUnverified,
    /// No user and no pending invitation has this e-mail, and sign-up is off.
    NoAccount,
    /// The provider's discovery document or endpoints could not be reached.
    Unavailable,
    /// The account exists but staff deactivated it (`crate::staff`).
    AccountDeactivated,
}

impl SsoFailure {
    /// The reason as the sign-in page receives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StateMismatch => "state_mismatch",
            Self::ProviderError => "provider_error",
            Self::TokenInvalid => "token_invalid",
            Self::EmailUnverified => "email_unverified",
            Self::NoAccount => "no_account",
            Self::Unavailable => "sso_unavailable",
            Self::AccountDeactivated => "account_deactivated",
        }
    }
}

/// What a password sign-in still needs before it becomes a session: the challenge it
/// answered with says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengePurpose {
    /// A TOTP or recovery code.
    SecondFactor,
    /// Enrolling TOTP first (staff who must use it and have not yet).
    Enrolment,
}

impl ChallengePurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecondFactor => "second_factor",
            Self::Enrolment => "enrolment",
        }
    }
}

/// The claim value in a trusted issuer's role map that matches any other value, and a
/// missing claim.
pub const ANY_ROLE_VALUE: &str = "*";

/// An identity platform whose JWTs act as tokens of one tenant: machines that already
/// hold such JWTs (a CI system, a service mesh) need no CODITECT token.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrustedIssuer {
    /// Issuer id.
    pub id: Uuid,
    /// The tenant its JWTs act on.
    pub tenant_id: Uuid,
    /// The JWTs' `iss`, exactly.
    pub issuer: String,
    /// Where its signing keys are published.
    pub jwks_url: String,
    /// The `aud` its JWTs must carry for this server.
    pub audience: String,
    /// The claim whose value picks the role.
    pub role_claim: String,
    /// Claim value → role (`admin` or `read_only`); `*` for any other value.
    pub roles: BTreeMap<String, Role>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl TrustedIssuer {
    /// The role a JWT with these claims acts with, or `None` when its role claim maps to
    /// nothing (the JWT is refused). A claim may be a string or an array of strings; of
    /// several matches the strongest role wins; `*` covers any other value and a
    /// missing claim.
    pub fn role_for(&self, claims: &serde_json::Map<String, serde_json::Value>) -> Option<Role> {
        let values: Vec<&str> = match claims.get(&self.role_claim) {
            Some(serde_json::Value::String(s)) => vec![s.as_str()],
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        let matched = values.iter().filter_map(|v| self.roles.get(*v)).copied();
        let best = matched.max_by_key(|r| role_rank(*r));
        best.or_else(|| self.roles.get(ANY_ROLE_VALUE).copied())
    }
}

fn role_rank(r: Role) -> u8 {
    match r {
        Role::ReadOnly => 0,
        Role::Admin => 1,
        Role::Superadmin => 2,
    }
}

/// A trusted issuer to register.
#[derive(Clone, Debug)]
pub struct NewTrustedIssuer {
    /// The tenant.
    pub tenant_id: Uuid,
    /// `iss`.
    pub issuer: String,
    /// The JWKS address (already checked against the outgoing-address rules).
    pub jwks_url: String,
    /// `aud`.
    pub audience: String,
    /// The claim that picks the role.
    pub role_claim: String,
    /// Claim value → role.
    pub roles: BTreeMap<String, Role>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_server_are_returned_to() {
        for ok in ["/dashboard/", "/dashboard/licenses?page=2", "/x#frag"] {
            assert_eq!(safe_return_path(ok), Some(ok), "{ok}");
        }
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "/javascript:alert(1)",
            "dashboard",
            "",
            "/a b",
            "/\tx",
        ] {
            assert_eq!(safe_return_path(bad), None, "{bad}");
        }
        assert_eq!(safe_return_path(&format!("/{}", "a".repeat(600))), None);
    }

    #[test]
    fn sign_up_slugs_keep_letters_and_digits() {
        assert_eq!(slug_base("Pat's Tools, Inc."), "pat-s-tools-inc");
        assert_eq!(slug_base("  ***  "), "org");
        assert_eq!(slug_base("Ünïcode Ltd"), "n-code-ltd");
        assert!(slug_base(&"a".repeat(100)).len() <= 40);
    }

    fn issuer(roles: &[(&str, Role)]) -> TrustedIssuer {
        TrustedIssuer {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            issuer: "https://idp".into(),
            jwks_url: "https://idp/jwks".into(),
            audience: "coditect".into(),
            role_claim: "groups".into(),
            roles: roles.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            created_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    #[test]
    fn the_role_claim_picks_the_strongest_mapped_role_or_the_default() {
        let i = issuer(&[("ops", Role::Admin), ("*", Role::ReadOnly)]);
        let claims = |v: serde_json::Value| v.as_object().unwrap().clone();
        let role = |v| i.role_for(&claims(v));
        assert_eq!(
            role(serde_json::json!({"groups": "ops"})),
            Some(Role::Admin)
        );
        assert_eq!(
            role(serde_json::json!({"groups": ["dev", "ops"]})),
            Some(Role::Admin)
        );
        assert_eq!(
            role(serde_json::json!({"groups": "dev"})),
            Some(Role::ReadOnly)
        );
        assert_eq!(role(serde_json::json!({})), Some(Role::ReadOnly));
        let strict = issuer(&[("ops", Role::Admin)]);
        assert_eq!(
            strict.role_for(&claims(serde_json::json!({"groups": "dev"}))),
            None
        );
        assert_eq!(strict.role_for(&claims(serde_json::json!({}))), None);
    }
}
