//! A TCP proxy that can be switched to another upstream: it stands in for the virtual IP
//! (or the leader-following proxy) that keeps one database address across a failover.
//! The same idea as the api suite's `CuttableProxy` (`tests/api/support/proxy.rs`): an
//! accept loop, one task per forwarded connection, and aborting those tasks closes them.
//! It can also stall, keeping every connection open while forwarding nothing: a database
//! host that vanished without closing anything (a half-open connection).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Where new connections go, and the connections forwarded there so far.
struct Route {
    upstream: String,
    links: Vec<JoinHandle<()>>,
}

/// A TCP proxy on a loopback port.
pub struct SwitchableProxy {
    /// Where the proxy listens.
    pub addr: SocketAddr,
    route: Arc<Mutex<Route>>,
    stalled: watch::Sender<bool>,
    accept: JoinHandle<()>,
}

impl SwitchableProxy {
    /// Starts forwarding every connection to `upstream` (`host:port`).
    pub async fn start(upstream: impl Into<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let route = Arc::new(Mutex::new(Route {
            upstream: upstream.into(),
            links: Vec::new(),
        }));
        let (stalled, stall_rx) = watch::channel(false);
        let r = route.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let _ = inbound.set_nodelay(true);
                // The upstream is read and the link registered under one lock, so a
                // switch either sees this link (and closes it) or happened before it.
                let mut route = r.lock().unwrap();
                let upstream = route.upstream.clone();
                let mut stall = stall_rx.clone();
                let link = tokio::spawn(async move {
                    if *stall.borrow() {
                        // Accepted, never answered.
                        return std::future::pending().await;
                    }
                    // A refused upstream (the primary is dead) closes the client's
                    // connection at once, as a virtual IP with nothing behind it would.
                    let Ok(mut out) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let _ = out.set_nodelay(true);
                    let stalled = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut out) => false,
                        r = stall.wait_for(|s| *s) => r.is_ok(),
                    };
                    if stalled {
                        // Both sockets stay open and nothing moves any more.
                        std::future::pending::<()>().await;
                    }
                });
                route.links.retain(|l| !l.is_finished());
                route.links.push(link);
            }
        });
        Self {
            addr,
            route,
            stalled,
            accept,
        }
    }

    /// Sends new connections to `upstream` and closes every connection made so far
    /// (stalled ones included); ends a stall.
    pub fn switch(&self, upstream: impl Into<String>) {
        let mut route = self.route.lock().unwrap();
        route.upstream = upstream.into();
        for link in route.links.drain(..) {
            link.abort();
        }
        self.stalled.send_replace(false);
    }

    /// Stops forwarding without closing anything, until the next [`Self::switch`].
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }

    /// `url` (`scheme://[user@]host:port/path`) with its `host:port` replaced by the
    /// proxy's address.
    pub fn rewrite(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").expect("a URL");
        let (authority, path) = rest.split_once('/').expect("a URL with a path");
        let userinfo = authority
            .rsplit_once('@')
            .map(|(u, _)| format!("{u}@"))
            .unwrap_or_default();
        format!("{scheme}://{userinfo}{}/{path}", self.addr)
    }
}

impl Drop for SwitchableProxy {
    fn drop(&mut self) {
        self.accept.abort();
        for link in self.route.lock().unwrap().links.drain(..) {
            link.abort();
        }
    }
}

/// The `host:port` of a database URL.
pub fn authority_of(url: &str) -> String {
    let rest = url.split_once("://").expect("a URL").1;
    let authority = rest.split('/').next().unwrap();
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_owned()
}
