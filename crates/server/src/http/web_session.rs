//! The dashboard's cookie session: the cookie itself, its flags, the CSRF token derived
//! from it, and the client address used for sign-in throttling.
//!
//! The cookie holds a random 256-bit secret; the database holds only its SHA-256. The
//! CSRF token is SHA-256 of a domain-separated copy of the same secret: the server can
//! recompute it on every request without storing it, and a page that cannot read the
//! HttpOnly cookie cannot compute it.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, Method};

use crate::crypto::sha256_hex;
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "coditect_session";
/// Header carrying the CSRF token on state-changing cookie requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session ends after this long without a request.
pub const IDLE_LIFETIME: chrono::Duration = chrono::Duration::hours(12);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE_LIFETIME: chrono::Duration = chrono::Duration::days(7);

/// The value of the cookie `name`, if it is a secret of ours: 16–128 URL-safe base64
/// characters (anything else cannot be one, and is not looked up).
pub fn secret_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| {
            (16..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The session secret from the request's cookies, if it is well formed.
pub fn session_secret(headers: &HeaderMap) -> Option<String> {
    secret_cookie(headers, SESSION_COOKIE)
}

/// How the database knows a session: the hash of its secret.
pub fn session_hash(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

/// The CSRF token of a session.
pub fn csrf_token(secret: &str) -> String {
    sha256_hex(format!("coditect-csrf:{secret}").as_bytes())
}

/// True for methods that change nothing and need no CSRF token.
pub fn is_safe_method(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the CSRF header matches the session's token (compared without early exit).
pub fn csrf_ok(headers: &HeaderMap, secret: &str) -> bool {
    let expected = csrf_token(secret);
    headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|got| {
            got.len() == expected.len()
                && got
                    .bytes()
                    .zip(expected.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
}

/// Whether the client reached us over TLS: the public URL is `https`, or a proxy says
/// so with `x-forwarded-proto: https`.
pub fn is_tls(state: &AppState, headers: &HeaderMap) -> bool {
    let forwarded = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    forwarded
        || state
            .config
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
}

/// `Set-Cookie` for a new session.
pub fn set_cookie(secret: &str, secure: bool) -> HeaderValue {
    let max_age = ABSOLUTE_LIFETIME.num_seconds();
    let flags = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{flags}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    let flags = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{flags}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The client's address, by the same rule as rate limits (see [`crate::http::client_ip`]).
pub fn client_addr(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
) -> String {
    let c = &state.config;
    if peer.is_none() && c.forwarded_hops == 0 && c.trusted_proxies.is_empty() {
        return "unknown".into();
    }
    crate::http::client_ip::client_ip(
        headers,
        peer.map(|p| p.0.ip()),
        c.forwarded_hops,
        &c.trusted_proxies,
    )
    .to_string()
}

/// The client's address as sign-in throttling sees it (see [`client_addr`]).
pub struct ClientAddr(pub String);

impl axum::extract::FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(ClientAddr(client_addr(state, &parts.headers, peer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let mut h = HeaderMap::new();
        let secret = "abcdefghijklmnopqrstuvwxyz012345";
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("theme=dark; {SESSION_COOKIE}={secret}; x=1")).unwrap(),
        );
        assert_eq!(session_secret(&h).as_deref(), Some(secret));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("coditect_session=short"),
        );
        assert_eq!(session_secret(&h), None);
    }

    #[test]
    fn csrf_token_is_bound_to_the_session() {
        let mut h = HeaderMap::new();
        h.insert(
            CSRF_HEADER,
            HeaderValue::from_str(&csrf_token("one")).unwrap(),
        );
        assert!(csrf_ok(&h, "one"));
        assert!(!csrf_ok(&h, "two"));
        assert_ne!(csrf_token("one"), session_hash("one"));
    }
}
