//! `NativeClient`: one `LicenseClient` for the JavaScript `Client`, configured from a
//! plain options object.

use std::time::Duration;

use coditect_license_client::{ClientConfig, LicenseClient};
use napi_derive::napi;
use serde_json::{json, Value};

use crate::error::{invalid, to_js, Result};
use crate::lease::NativeLease;

/// The options of `new Client(...)`, as the wrapper passes them (camelCase in JS).
#[napi(object)]
pub struct ClientOptions {
    /// The license server's first address.
    pub server_url: String,
    /// The license key.
    pub license_key: String,
    /// The product name (the default hardware id is hashed with it).
    pub product: String,
    /// More addresses of the same service, tried in order when one fails.
    pub fallback_urls: Option<Vec<String>>,
    /// Overrides the hardware id.
    pub hardware_id: Option<String>,
    /// Who uses the seat, shown to the vendor's admins.
    pub user_email: Option<String>,
    /// The application's version, reported with each seat.
    pub app_version: Option<String>,
    /// Where the JWKS for offline verification is cached.
    pub jwks_cache: Option<String>,
    /// The `iss` tokens must carry.
    pub issuer: Option<String>,
    /// Timeout of one HTTP request, in milliseconds.
    pub request_timeout_ms: Option<u32>,
}

impl ClientOptions {
    fn config(self) -> Result<ClientConfig> {
        let mut cfg = ClientConfig::new(self.server_url, self.license_key, self.product);
        for url in self.fallback_urls.unwrap_or_default() {
            cfg = cfg.fallback_url(url);
        }
        if let Some(v) = self.hardware_id {
            cfg = cfg.hardware_id(v);
        }
        if let Some(v) = self.user_email {
            cfg = cfg.user_email(v);
        }
        if let Some(v) = self.app_version {
            cfg = cfg.app_version(v);
        }
        if let Some(v) = self.jwks_cache {
            cfg = cfg.jwks_cache(v);
        }
        if let Some(v) = self.issuer {
            cfg = cfg.issuer(v);
        }
        if let Some(ms) = self.request_timeout_ms {
            if ms == 0 {
                return Err(invalid("requestTimeoutMs must be positive"));
            }
            cfg.request_timeout = Duration::from_millis(ms.into());
        }
        Ok(cfg)
    }
}

/// The native side of the JavaScript `Client`: a client for one license on one service.
#[napi]
pub struct NativeClient {
    inner: LicenseClient,
}

#[napi]
impl NativeClient {
    /// A client for `options`; fails on an unusable URL or key, or when no hardware id
    /// can be found.
    #[napi(constructor)]
    pub fn new(options: ClientOptions) -> Result<Self> {
        let cfg = options.config()?;
        let inner = napi::bindgen_prelude::within_runtime_if_available(|| LicenseClient::new(cfg))
            .map_err(to_js)?;
        Ok(Self { inner })
    }

    /// The hardware id this client acquires with.
    #[napi(getter)]
    pub fn hardware_id(&self) -> String {
        self.inner.hardware_id().to_owned()
    }

    /// Where the JWKS is cached for offline verification, if anywhere.
    #[napi(getter)]
    pub fn jwks_cache_path(&self) -> Option<String> {
        self.inner
            .jwks_cache_path()
            .map(|p| p.to_string_lossy().into_owned())
    }

    /// Takes a seat, waiting up to `wait_seconds` (≤ 300) when the license is full; the
    /// lease heartbeats in the background from then on.
    #[napi]
    pub async fn acquire(&self, wait_seconds: Option<u32>) -> Result<NativeLease> {
        let wait = Duration::from_secs(wait_seconds.unwrap_or(0).into());
        let lease = self.inner.acquire_waiting(wait).await.map_err(to_js)?;
        Ok(NativeLease::new(self.inner.clone(), lease))
    }

    /// Verifies a token against the cached JWKS, with no network; returns
    /// `{claims, sessionId, hardwareId, expiresAt}`.
    #[napi]
    pub fn verify_offline(&self, token: String) -> Result<Value> {
        let v = self.inner.verify_offline(&token).map_err(to_js)?;
        Ok(json!({
            "sessionId": v.session_id(),
            "hardwareId": v.hardware_id(),
            "expiresAt": v.expires_at(),
            "claims": v.claims,
        }))
    }

    /// Fetches the server's JWKS and stores it in the cache.
    #[napi]
    pub async fn refresh_jwks(&self) -> Result<()> {
        self.inner.refresh_jwks().await.map_err(to_js)?;
        Ok(())
    }
}
