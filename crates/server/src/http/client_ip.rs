//! The client's IP address, for per-IP rate limits and sign-in throttling: the socket's
//! peer; or behind the listed trusted proxies (`CODITECT_TRUSTED_PROXIES`), the right-most
//! `X-Forwarded-For` entry that is not one of them, on connections from them only; or,
//! with only `forwarded_hops` set, the address the outermost of that many proxies saw.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

use super::error::ApiError;
use crate::state::AppState;

/// The calling client's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Picks the client address: with `hops` trusted proxies, the `hops`-th entry from the
/// right of `X-Forwarded-For` (each proxy appends the address it saw; entries further
/// left are the client's word and could be forged). Too few entries: the leftmost.
/// With `trusted` proxies listed, `hops` is unused: see [`client_ip_behind`].
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    hops: usize,
    trusted: &[IpNet],
) -> IpAddr {
    let fallback = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !trusted.is_empty() {
        return client_ip_behind(headers, fallback, trusted);
    }
    if hops == 0 {
        return fallback;
    }
    let entries = forwarded_for(headers);
    let pick = entries
        .len()
        .checked_sub(hops)
        .map_or(entries.first(), |i| entries.get(i));
    pick.and_then(|s| s.parse().ok()).unwrap_or(fallback)
}

/// The `X-Forwarded-For` entries, left to right.
fn forwarded_for(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Behind listed proxies: the peer itself unless it is one of them (then nobody vouches
/// for the header); else the right-most entry that is not a listed proxy. An entry that
/// is no address stops the walk there (everything left of it is the client's word).
fn client_ip_behind(headers: &HeaderMap, peer: IpAddr, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for entry in forwarded_for(headers).into_iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => client = ip,
            Ok(ip) => return ip,
            Err(_) => break,
        }
    }
    client
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
            &state.config.trusted_proxies,
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
        assert_eq!(
            client_ip(&headers(&["203.0.113.9"]), Some(peer), 0, &[]),
            peer
        );
    }

    #[test]
    fn counts_trusted_hops_from_the_right() {
        let h = headers(&["6.6.6.6, 203.0.113.9", "10.0.0.2"]);
        let peer = Some("10.0.0.3".parse().unwrap());
        assert_eq!(client_ip(&h, peer, 1, &[]).to_string(), "10.0.0.2");
        assert_eq!(client_ip(&h, peer, 2, &[]).to_string(), "203.0.113.9");
        assert_eq!(client_ip(&h, peer, 9, &[]).to_string(), "6.6.6.6");
        assert_eq!(
            client_ip(&HeaderMap::new(), peer, 1, &[]).to_string(),
            "10.0.0.3"
        );
        assert_eq!(
            client_ip(&headers(&["not-an-ip"]), peer, 1, &[]).to_string(),
            "10.0.0.3"
        );
    }

    #[test]
    fn forwarded_headers_count_only_from_listed_proxies() {
        let trusted: Vec<IpNet> = vec![
            "10.0.0.0/8".parse().unwrap(),
            "192.0.2.7/32".parse().unwrap(),
        ];
        let h = headers(&["6.6.6.6, 203.0.113.9, 10.1.1.1"]);
        // From a listed proxy: the right-most entry that is not a proxy.
        let via_proxy = Some("192.0.2.7".parse().unwrap());
        assert_eq!(
            client_ip(&h, via_proxy, 0, &trusted).to_string(),
            "203.0.113.9"
        );
        // Straight to the port: the header is the client's word and is ignored.
        let direct = Some("198.51.100.4".parse().unwrap());
        assert_eq!(
            client_ip(&h, direct, 5, &trusted).to_string(),
            "198.51.100.4"
        );
        // Only proxies in the chain: the left-most of them.
        let only = headers(&["10.2.2.2, 10.3.3.3"]);
        assert_eq!(
            client_ip(&only, via_proxy, 0, &trusted).to_string(),
            "10.2.2.2"
        );
        // Garbage stops the walk.
        let junk = headers(&["6.6.6.6, junk, 10.3.3.3"]);
        assert_eq!(
            client_ip(&junk, via_proxy, 0, &trusted).to_string(),
            "10.3.3.3"
        );
    }
}
