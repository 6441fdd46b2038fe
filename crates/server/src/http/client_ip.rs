//! The client's IP address, for per-IP rate limits: the socket's peer, or, behind
//! `forwarded_hops` trusted proxies, the address the outermost trusted proxy saw.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use super::error::ApiError;
use crate::state::AppState;

/// The calling client's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Picks the client address: with `hops` trusted proxies, the `hops`-th entry from the
/// right of `X-Forwarded-For` (each proxy appends the address it saw; entries further
/// left are the client's word and could be forged). Too few entries: the leftmost.
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, hops: usize) -> IpAddr {
    let fallback = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if hops == 0 {
        return fallback;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let pick = entries
        .len()
        .checked_sub(hops)
        .map_or(entries.first(), |i| entries.get(i));
    pick.and_then(|s| s.parse().ok()).unwrap_or(fallback)
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientIp(client_ip(
            &parts.headers,
            peer,
            state.config.forwarded_hops,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn peer_address_without_trusted_proxies() {
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(client_ip(&headers(&["203.0.113.9"]), Some(peer), 0), peer);
    }

    #[test]
    fn counts_trusted_hops_from_the_right() {
        let h = headers(&["6.6.6.6, 203.0.113.9", "10.0.0.2"]);
        let peer = Some("10.0.0.3".parse().unwrap());
        assert_eq!(client_ip(&h, peer, 1).to_string(), "10.0.0.2");
        assert_eq!(client_ip(&h, peer, 2).to_string(), "203.0.113.9");
        assert_eq!(client_ip(&h, peer, 9).to_string(), "6.6.6.6");
        assert_eq!(
            client_ip(&HeaderMap::new(), peer, 1).to_string(),
            "10.0.0.3"
        );
        assert_eq!(
            client_ip(&headers(&["not-an-ip"]), peer, 1).to_string(),
            "10.0.0.3"
        );
    }
}
