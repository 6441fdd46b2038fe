//! Bearer JWTs from an issuer a tenant trusts, verified with `jsonwebtoken`: the
//! issuer's JWKS is fetched through the guarded client (a tenant chose its URL, so never
//! a private or metadata address), cached for ten minutes and fetched again — at most
//! every ten seconds — when a token names a key the cache lacks. Signature (RS*, PS*, ES*,
//! EdDSA; never `none` or a shared secret), `iss`, `aud`, `exp` and `nbf` are checked; the
//! role comes from the registration's claim map (`TrustedIssuer::role_for`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use coditect_domain::{Role, TrustedIssuer};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::sync::Mutex;

use crate::outgoing::address::guarded_client;

/// How long fetched keys are used before they are fetched again.
const KEYS_LIFETIME: Duration = Duration::from_secs(600);
/// An unknown `kid` fetches the keys again at most this often per JWKS.
const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(10);
/// Seconds of clock difference tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 30;
/// The longest JWT looked at.
pub const MAX_JWT_LEN: usize = 8192;

const ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

struct Fetched {
    keys: JwkSet,
    at: Instant,
    /// When an unknown `kid` last made the server fetch again.
    refreshed_at: Option<Instant>,
    /// When a fetch of newer keys began (under way, or failed): until
    /// `REFRESH_AT_MOST_EVERY` has passed no other begins, and these keys serve.
    tried_at: Option<Instant>,
}

/// A JWT that verified: which registration it matched, its role and its subject.
#[derive(Debug)]
pub struct VerifiedJwt {
    /// The trusted issuer it matched.
    pub issuer: TrustedIssuer,
    /// The role it acts with.
    pub role: Role,
    /// Its `sub`, for the audit log.
    pub subject: Option<String>,
}

/// The keys of every trusted issuer seen, by JWKS URL.
pub struct JwksCache {
    http: reqwest::Client,
    keys: Mutex<HashMap<String, Fetched>>,
}

/// Whether a bearer token is shaped like a JWT (three base64url parts).
pub fn looks_like_jwt(token: &str) -> bool {
    token.len() <= MAX_JWT_LEN
        && token.split('.').count() == 3
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The claims of a JWT before verification: only to find which registration to verify
/// it against.
fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = B64URL.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn audiences(claims: &Map<String, Value>) -> Vec<&str> {
    match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

impl JwksCache {
    /// An empty cache whose fetches go through the guarded client (loopback only with
    /// `allow_loopback`, for tests).
    pub fn new(allow_loopback: bool) -> Self {
        Self {
            http: guarded_client(allow_loopback),
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// The keys at `url`: cached, or fetched when missing, older than their lifetime, or
    /// (`refresh`) when a token names a key they lack. No lock is held while fetching, and a
    /// fetch under way or failed lets the keys at hand serve, so a slow or unreachable JWKS
    /// never holds up the other requests.
    async fn key_set(&self, url: &str, refresh: bool) -> Option<JwkSet> {
        let at_hand = {
            let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            match keys.get_mut(url) {
                Some(f) => {
                    let fresh = if refresh {
                        f.refreshed_at
                            .is_some_and(|t| t.elapsed() < REFRESH_AT_MOST_EVERY)
                    } else {
                        f.at.elapsed() < KEYS_LIFETIME
                    };
                    let tried = f
                        .tried_at
                        .is_some_and(|t| t.elapsed() < REFRESH_AT_MOST_EVERY);
                    if fresh || tried {
                        return Some(f.keys.clone());
                    }
                    f.tried_at = Some(Instant::now());
                    Some(f.keys.clone())
                }
                None => None,
            }
        };
        let fetched = async {
            let r = self.http.get(url).send().await.ok()?;
            if !r.status().is_success() {
                return None;
            }
            r.json::<JwkSet>().await.ok()
        }
        .await;
        let Some(set) = fetched else {
            tracing::warn!(jwks_url = %url, "a trusted issuer's JWKS cannot be fetched");
            return at_hand;
        };
        let now = Instant::now();
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).insert(
            url.to_owned(),
            Fetched {
                keys: set.clone(),
                at: now,
                refreshed_at: refresh.then_some(now),
                tried_at: None,
            },
        );
        Some(set)
    }

    async fn decoding_key(&self, url: &str, kid: Option<&str>) -> Option<DecodingKey> {
        for refresh in [false, true] {
            let set = self.key_set(url, refresh).await?;
            let jwk = match kid {
                Some(k) => set.find(k).cloned(),
                None if set.keys.len() == 1 => set.keys.first().cloned(),
                None => None,
            };
            if let Some(jwk) = jwk {
                return DecodingKey::from_jwk(&jwk).ok();
            }
        }
        None
    }

    /// Verifies a bearer JWT against the registrations of its `iss` (`regs`, every
    /// tenant's); `None` when it matches none or fails any check.
    pub async fn verify(&self, token: &str, regs: Vec<TrustedIssuer>) -> Option<VerifiedJwt> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if !ALGORITHMS.contains(&header.alg) {
            return None;
        }
        let unverified = unverified_claims(token)?;
        let auds = audiences(&unverified);
        let reg = regs
            .into_iter()
            .find(|r| auds.contains(&r.audience.as_str()))?;
        let key = self
            .decoding_key(&reg.jwks_url, header.kid.as_deref())
            .await?;
        let mut v = Validation::new(header.alg);
        v.algorithms = vec![header.alg];
        v.leeway = LEEWAY_SECONDS;
        v.validate_nbf = true;
        v.set_issuer(&[reg.issuer.as_str()]);
        v.set_audience(&[reg.audience.as_str()]);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &v).ok()?;
        let role = reg.role_for(&data.claims)?;
        let subject = data
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .map(|s| s.chars().take(200).collect());
        Some(VerifiedJwt {
            issuer: reg,
            role,
            subject,
        })
    }
}

/// The `iss` of a JWT, unverified: which registrations to look up.
pub fn issuer_of(token: &str) -> Option<String> {
    unverified_claims(token)?
        .get("iss")?
        .as_str()
        .map(str::to_owned)
}
