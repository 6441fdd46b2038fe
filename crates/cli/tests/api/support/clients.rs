//! The client SDK and the CLI's client commands as tests drive them against a test app.

use coditect_license_client::{ClientConfig, LicenseClient};
use serde_json::Value;
use tokio::process::Command;

use crate::support::helpers::TestApp;

/// A client for `key` on the app, with its own JWKS cache in `dir`.
pub fn sdk_client(app: &TestApp, key: &str, hw: &str, dir: &std::path::Path) -> LicenseClient {
    let cfg = ClientConfig::new(app.base.clone(), key, "test-product")
        .hardware_id(hw)
        .jwks_cache(dir.join("jwks.json"))
        .issuer("coditect-test");
    LicenseClient::new(cfg).expect("client")
}

/// Runs `coditect-license client <args>` for `key` on the app, with its JWKS cache in
/// `cache`; returns (exit code, stdout JSON, stderr JSON).
pub async fn run_cli(
    app: &TestApp,
    key: &str,
    cache: &std::path::Path,
    args: &[&str],
) -> (i32, Value, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_coditect-license"))
        .arg("client")
        .args(args)
        .env("CODITECT_SERVER_URL", &app.base)
        .env("CODITECT_LICENSE_KEY", key)
        .env("CODITECT_HARDWARE_ID", "cli-host")
        .env("CODITECT_JWKS_CACHE", cache)
        .output()
        .await
        .expect("run the CLI");
    let parse = |b: &[u8]| serde_json::from_slice(b).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        parse(&out.stdout),
        parse(&out.stderr),
    )
}
