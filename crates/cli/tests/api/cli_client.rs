//! `coditect-license client …` against a real server: the commands a shell script uses.

use serde_json::{json, Value};
use tokio::process::Command;

use crate::support::clients::run_cli;
use crate::support::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_acquires_heartbeats_verifies_and_releases() {
    let mut app = spawn_app().await;
    let (tid, lic) = app
        .license_with(json!({"seats_total": 1, "entitlements": ["export"]}))
        .await;
    let (key, lid) = (
        lic["license_key"].as_str().unwrap(),
        lic["id"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("jwks.json");

    let (code, seat, err) = run_cli(&app, key, &cache, &["acquire"]).await;
    assert_eq!(code, 0, "{err}");
    let sid = seat["session_id"].as_str().unwrap().to_owned();
    let token = seat["token"].as_str().unwrap().to_owned();
    assert_eq!(app.seats_used(&tid, lid).await, 1);

    let (code, hb, err) = run_cli(&app, key, &cache, &["heartbeat", "--session-id", &sid]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(hb["session_id"], sid.as_str());

    let (code, v, err) = run_cli(
        &app,
        key,
        &cache,
        &["verify", "--token", &token, "--entitlement", "export"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["claims"]["sub"], sid.as_str());
    let (code, _, err) = run_cli(
        &app,
        key,
        &cache,
        &["verify", "--token", &token, "--entitlement", "import"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err["error"]["message"].as_str().unwrap().contains("import"));

    // Another seat is refused with the contract's code on stderr.
    let (code, _, err) = Command::new(env!("CARGO_BIN_EXE_coditect-license"))
        .args(["client", "acquire", "--hardware-id", "other-host"])
        .env("CODITECT_SERVER_URL", &app.base)
        .env("CODITECT_LICENSE_KEY", key)
        .env("CODITECT_JWKS_CACHE", &cache)
        .output()
        .await
        .map(|o| {
            (
                o.status.code(),
                (),
                serde_json::from_slice::<Value>(&o.stderr).unwrap(),
            )
        })
        .unwrap();
    assert_eq!(code, Some(1));
    assert_eq!(err["error"]["code"], "no_seats_available");

    let (code, r, err) = run_cli(&app, key, &cache, &["release", "--session-id", &sid]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["released"], true);
    assert_eq!(app.seats_used(&tid, lid).await, 0);

    // Offline: the server is gone, the cached JWKS still verifies the token.
    app.stop().await;
    let (code, v, err) = run_cli(&app, key, &cache, &["verify", "--token", &token]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["valid"], true);
    let (code, _, err) = run_cli(&app, key, &cache, &["verify", "--token", "not.a.token"]).await;
    assert_eq!(code, 1);
    assert_eq!(err["error"]["code"], "invalid_token");
}

#[tokio::test]
async fn the_openapi_document_describes_queuing_and_borrowing() {
    let app = spawn_app().await;
    let doc = app
        .call("GET", "/api/openapi.json", None, None)
        .await
        .expect(200);
    assert!(doc["paths"]["/api/v1/licenses/borrow"]["post"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["AcquireBody"]["properties"]["wait_seconds"].is_object());
    assert!(schemas["BorrowBody"]["properties"]["hours"].is_object());
    assert!(schemas["LicenseView"]["properties"]["max_borrow_hours"].is_object());
    assert!(schemas["SessionView"]["properties"]["borrowed"].is_object());
}
