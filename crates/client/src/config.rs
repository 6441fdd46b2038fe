//! How a client is set up: which server, which license, which product and installation.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

/// Settings of a [`crate::LicenseClient`]. Only the server URL, the license key and the
/// product name are needed; everything else has a sensible default.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The license server, e.g. `https://license.example.com`.
    pub server_url: String,
    /// More addresses of the same service (replicas behind different addresses), tried in
    /// order when the one in use cannot be reached or answers `5xx`. Sessions live in the
    /// shared database, so a lease heartbeats through whichever answers.
    pub fallback_urls: Vec<String>,
    /// The license key the vendor gave the customer.
    pub license_key: String,
    /// The product name; the default hardware id is hashed with it.
    pub product: String,
    /// Overrides the hardware id (else `CODITECT_HARDWARE_ID`, else the machine's id).
    pub hardware_id: Option<String>,
    /// Who uses the seat, shown to the vendor's admins.
    pub user_email: Option<String>,
    /// Client name and version strings, shown to the vendor's admins.
    pub client_info: Map<String, Value>,
    /// Timeout of one HTTP request (a waiting acquire adds its wait).
    pub request_timeout: Duration,
    /// Where the JWKS for offline verification is cached; default: the user's cache
    /// directory (`CODITECT_JWKS_CACHE` overrides it).
    pub jwks_cache: Option<PathBuf>,
    /// The `iss` that tokens must carry; `None` accepts any issuer.
    pub issuer: Option<String>,
    /// Extra trusted root certificates (PEM) for a server with a private CA.
    pub root_certificates_pem: Vec<Vec<u8>>,
}

impl ClientConfig {
    /// A configuration with defaults for everything but the three essentials.
    pub fn new(
        server_url: impl Into<String>,
        license_key: impl Into<String>,
        product: impl Into<String>,
    ) -> Self {
        let product = product.into();
        let mut client_info = Map::new();
        client_info.insert("name".into(), Value::String(product.clone()));
        Self {
            server_url: server_url.into(),
            fallback_urls: Vec::new(),
            license_key: license_key.into(),
            product,
            hardware_id: None,
            user_email: None,
            client_info,
            request_timeout: Duration::from_secs(15),
            jwks_cache: None,
            issuer: None,
            root_certificates_pem: Vec::new(),
        }
    }

    /// Adds an address to try when the ones before it fail (see
    /// [`ClientConfig::fallback_urls`]).
    pub fn fallback_url(mut self, url: impl Into<String>) -> Self {
        self.fallback_urls.push(url.into());
        self
    }

    /// Every server address, in the order they are tried.
    pub fn server_urls(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.server_url.as_str())
            .chain(self.fallback_urls.iter().map(String::as_str))
    }

    /// Sets the hardware id explicitly.
    pub fn hardware_id(mut self, id: impl Into<String>) -> Self {
        self.hardware_id = Some(id.into());
        self
    }

    /// Sets the user's e-mail address.
    pub fn user_email(mut self, email: impl Into<String>) -> Self {
        self.user_email = Some(email.into());
        self
    }

    /// Sets the application version reported with each seat.
    pub fn app_version(mut self, version: impl Into<String>) -> Self {
        self.client_info
            .insert("version".into(), Value::String(version.into()));
        self
    }

    /// Sets where the JWKS is cached.
    pub fn jwks_cache(mut self, path: impl Into<PathBuf>) -> Self {
        self.jwks_cache = Some(path.into());
        self
    }

    /// Requires tokens to carry this issuer.
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuer = Some(iss.into());
        self
    }
}
