//! Where outgoing requests may go. A tenant admin chooses a webhook's URL, so without
//! this check the server could be made to call its own network: the cloud metadata
//! service, a database on a private address, an admin port on loopback. Addresses are
//! checked when an endpoint is registered (after DNS resolution) and again at every
//! connection, by the resolver the sending client uses, so a name that resolves
//! elsewhere later (DNS rebinding) still reaches only allowed addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use reqwest::Url;

/// Ranges no outgoing request reaches (besides loopback, allowed only for tests).
fn refused_ranges() -> &'static [IpNet] {
    static RANGES: std::sync::OnceLock<Vec<IpNet>> = std::sync::OnceLock::new();
    RANGES.get_or_init(|| {
        [
            "0.0.0.0/8",       // "this network"
            "10.0.0.0/8",      // private
            "100.64.0.0/10",   // carrier-grade NAT
            "169.254.0.0/16",  // link-local, the metadata service (169.254.169.254)
            "172.16.0.0/12",   // private
            "192.0.0.0/24",    // IETF protocol assignments
            "192.0.2.0/24",    // documentation
            "192.168.0.0/16",  // private
            "198.18.0.0/15",   // benchmarking
            "198.51.100.0/24", // documentation
            "203.0.113.0/24",  // documentation
            "224.0.0.0/4",     // multicast
            "240.0.0.0/4",     // reserved, broadcast
            "::/128",          // unspecified
            "100::/64",        // discard
            "2001::/32",       // Teredo
            "2001:db8::/32",   // documentation
            "fc00::/7",        // unique local (fd00:ec2::254, a metadata address)
            "fe80::/10",       // link-local
            "fec0::/10",       // site-local
            "ff00::/8",        // multicast
        ]
        .iter()
        .map(|s| s.parse().expect("a valid range"))
        .collect()
    })
}

/// The IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4), if any.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4() {
        return Some(v4);
    }
    let nat64: Ipv6Net = "64:ff9b::/96".parse().ok()?;
    let s = ip.segments();
    if nat64.contains(&ip) {
        return Some(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    let six_to_four: Ipv6Net = "2002::/16".parse().ok()?;
    six_to_four
        .contains(&ip)
        .then(|| Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8))
}

/// Why `ip` may not be called, or `None` when it may. Loopback is refused unless
/// `allow_loopback`.
pub fn refusal(ip: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) if v6 != Ipv6Addr::LOCALHOST => IpAddr::V4(v4),
            _ => ip,
        },
        v4 => v4,
    };
    if ip.is_loopback() {
        return (!allow_loopback).then_some("a loopback address");
    }
    if let IpAddr::V4(v4) = ip {
        if Ipv4Net::new(Ipv4Addr::new(169, 254, 0, 0), 16).is_ok_and(|n| n.contains(&v4)) {
            return Some("a link-local address (the metadata service's range)");
        }
    }
    refused_ranges()
        .iter()
        .any(|n| n.contains(&ip))
        .then_some("a private, link-local or reserved address")
}

/// The longest outgoing URL (a webhook's or a JWKS address), in bytes.
pub const URL_MAX: usize = 2048;

/// Checks a webhook URL's form: `https://`, or `http://` to a loopback host only when
/// `allow_http`; a host, no credentials. The message says what is wrong.
pub fn parse_url(raw: &str, allow_http: bool) -> Result<Url, String> {
    if raw.len() > URL_MAX {
        return Err(format!("must be at most {URL_MAX} characters"));
    }
    let url = Url::parse(raw).map_err(|e| format!("is not a URL: {e}"))?;
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err("must have a host".into());
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "must not hold credentials (put a secret in the path or verify the signature)".into(),
        );
    }
    let loopback_host = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_http && loopback_host => Ok(url),
        "http" => Err("must be https:// (http:// is allowed only to loopback, with CODITECT_WEBHOOKS_ALLOW_HTTP=true)".into()),
        _ => Err("must be an https:// URL".into()),
    }
}

/// Resolves the URL's host and refuses it when any address it resolves to may not be
/// called (loopback only with `allow_loopback`).
pub async fn check_destination(url: &Url, allow_loopback: bool) -> Result<(), String> {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match refusal(ip, allow_loopback) {
            Some(why) => Err(format!("points to {ip}, {why}")),
            None => Ok(()),
        };
    }
    let lookup = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::lookup_host((host.as_str(), port)),
    );
    let addrs: Vec<SocketAddr> = match lookup.await {
        Ok(Ok(a)) => a.collect(),
        Ok(Err(_)) | Err(_) => return Err(format!("host {host} does not resolve")),
    };
    if addrs.is_empty() {
        return Err(format!("host {host} does not resolve"));
    }
    for a in &addrs {
        if let Some(why) = refusal(a.ip(), allow_loopback) {
            return Err(format!("host {host} resolves to {}, {why}", a.ip()));
        }
    }
    Ok(())
}

/// The sending client's resolver: it hands the connector only addresses that may be
/// called, so every connection is checked at the moment it is made.
#[derive(Clone, Copy, Debug)]
pub struct GuardedResolver {
    /// Whether loopback may be called (tests).
    pub allow_loopback: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> =
                found.filter(|a| refusal(a.ip(), allow).is_none()).collect();
            if allowed.is_empty() {
                let e: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves to no address that may be called").into();
                return Err(e);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The client every outgoing request of a tenant's choosing goes through: the guarded
/// resolver, no redirects (a redirect could point anywhere), no proxy from the
/// environment, and the contract's 10 s for an answer.
pub fn guarded_client(allow_loopback: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver { allow_loopback }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .user_agent(concat!(
            "CODITECT-License-Server/",
            env!("CARGO_PKG_VERSION"),
            " (webhooks)"
        ))
        .build()
        .expect("the webhook client builds")
}

/// Refuses a URL whose host is an address literal that may not be called (the resolver
/// never sees literals).
pub fn literal_refusal(url: &Url, allow_loopback: bool) -> Option<String> {
    let host = url.host_str()?.trim_matches(['[', ']']);
    let ip = host.parse::<IpAddr>().ok()?;
    refusal(ip, allow_loopback).map(|why| format!("{ip} is {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_metadata_and_loopback_addresses_are_refused() {
        for ip in [
            "169.254.169.254",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "fd00:ec2::254",
            "fe80::1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "224.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(refusal(ip, true).is_some(), "{ip} was allowed");
        }
        for ip in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(
                refusal(ip, false).is_some(),
                "{ip} was allowed without the flag"
            );
            assert!(refusal(ip, true).is_none(), "{ip} refused with the flag");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(
                refusal(ip.parse().unwrap(), false).is_none(),
                "{ip} refused"
            );
        }
    }

    #[tokio::test]
    async fn the_sending_resolver_hands_out_only_addresses_that_may_be_called() {
        use reqwest::dns::Resolve;
        let name = |n: &str| n.parse::<reqwest::dns::Name>().unwrap();
        let refused = GuardedResolver {
            allow_loopback: false,
        }
        .resolve(name("localhost"))
        .await;
        assert!(refused.is_err(), "localhost resolved without the flag");
        let allowed = GuardedResolver {
            allow_loopback: true,
        }
        .resolve(name("localhost"))
        .await;
        let addrs: Vec<SocketAddr> = allowed.expect("localhost with the flag").collect();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()));
        let url = Url::parse("https://localhost:9/x").unwrap();
        assert!(check_destination(&url, false).await.is_err());
        assert!(check_destination(&url, true).await.is_ok());
    }

    #[test]
    fn urls_must_be_https_or_loopback_http_with_the_flag() {
        assert!(parse_url("https://hooks.example.com/x", false).is_ok());
        assert!(parse_url("http://hooks.example.com/x", true).is_err());
        assert!(parse_url("http://127.0.0.1:9/x", false).is_err());
        assert!(parse_url("http://127.0.0.1:9/x", true).is_ok());
        assert!(parse_url("http://localhost:9/x", true).is_ok());
        assert!(parse_url("ftp://example.com/", true).is_err());
        assert!(parse_url("https://user:pw@example.com/", false).is_err());
        assert!(parse_url("not a url", false).is_err());
    }
}
