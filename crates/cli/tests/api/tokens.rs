//! Session tokens verify offline with a stock JWT library against the JWKS fetched over
//! HTTP, for every algorithm, across restarts and key rotation.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use serde_json::{json, Value};

use crate::support::helpers::*;
use coditect_server::SigningAlg;

async fn jwks(app: &TestApp) -> JwkSet {
    let res = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn verify(token: &str, set: &JwkSet) -> jsonwebtoken::errors::Result<Value> {
    let header = decode_header(token)?;
    let kid = header.kid.clone().expect("kid header");
    let jwk = set
        .find(&kid)
        .ok_or(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)?;
    let key = DecodingKey::from_jwk(jwk)?;
    let mut v = Validation::new(header.alg);
    v.set_issuer(&["coditect-test"]);
    v.set_required_spec_claims(&["exp", "iss", "sub"]);
    decode::<Value>(token, &key, &v).map(|d| d.claims)
}

fn tamper(token: &str) -> String {
    // Change one byte of the payload.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut p = parts[1].clone().into_bytes();
    let i = p.len() / 2;
    p[i] = if p[i] == b'A' { b'B' } else { b'A' };
    parts[1] = String::from_utf8(p).unwrap();
    parts.join(".")
}

async fn check_alg(alg: SigningAlg, name: &str) {
    let app = spawn_app_with(|c| c.signing_alg = alg).await;
    let (tid, lic) = app
        .license_with(json!({"seats_total": 1, "entitlements": ["pro", "export"]}))
        .await;
    let s = app
        .acquire(lic["license_key"].as_str().unwrap(), "hw-1")
        .await
        .expect(201);
    let token = s["token"].as_str().unwrap();
    let set = jwks(&app).await;
    assert_eq!(set.keys.len(), 1);
    let jwk_json = serde_json::to_value(&set.keys[0]).unwrap();
    assert_eq!(jwk_json["alg"], name);
    assert_eq!(jwk_json["use"], "sig");
    let claims = verify(token, &set).expect("token verifies");
    assert_eq!(claims["sub"], s["session_id"]);
    assert_eq!(claims["tid"], tid.as_str());
    assert_eq!(claims["lid"], lic["id"]);
    assert_eq!(claims["hwid"], "hw-1");
    assert_eq!(claims["ent"], json!(["pro", "export"]));
    let exp = chrono::DateTime::parse_from_rfc3339(s["expires_at"].as_str().unwrap())
        .unwrap()
        .timestamp();
    assert_eq!(claims["exp"], exp);
    assert!(
        verify(&tamper(token), &set).is_err(),
        "a tampered token must not verify"
    );
}

#[tokio::test]
async fn es256_tokens_verify_against_the_jwks() {
    check_alg(SigningAlg::Es256, "ES256").await;
}

#[tokio::test]
async fn eddsa_tokens_verify_against_the_jwks() {
    check_alg(SigningAlg::EdDsa, "EdDSA").await;
}

#[tokio::test]
async fn rs256_tokens_verify_against_the_jwks() {
    check_alg(SigningAlg::Rs256, "RS256").await;
}

#[tokio::test]
async fn after_rotation_old_tokens_verify_and_new_ones_use_the_new_kid() {
    let mut app = spawn_app().await;
    let (_, lic) = app.license_with(json!({"seats_total": 2})).await;
    let key = lic["license_key"].as_str().unwrap().to_owned();
    let old = app.acquire(&key, "a").await.expect(201);
    let old_kid = decode_header(old["token"].as_str().unwrap())
        .unwrap()
        .kid
        .unwrap();
    app.stop().await;

    // Rotate with the real binary, as an operator would, against the same database. The
    // wait is async: the stopped server's background tasks live on this test's runtime,
    // and one caught inside a write transaction must be able to commit meanwhile (a
    // blocking wait held SQLite's write lock for the whole of `keys rotate`'s busy timeout).
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_coditect-license"))
        .args(["keys", "rotate"])
        .env("CODITECT_DATABASE_URL", &app.db.url)
        .env("CODITECT_DATA_DIR", app.data_dir.path())
        .env("CODITECT_BOOTSTRAP_TOKEN", ADMIN_TOKEN)
        .output()
        .await
        .expect("run keys rotate");
    assert!(
        out.status.success(),
        "keys rotate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_kid = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_ne!(new_kid, old_kid);

    app.restart().await;
    let set = jwks(&app).await;
    assert!(
        set.find(&old_kid).is_some(),
        "the retired key stays published"
    );
    assert!(set.find(&new_kid).is_some(), "the new key is published");
    verify(old["token"].as_str().unwrap(), &set).expect("old token still verifies");
    let new = app.acquire(&key, "b").await.expect(201);
    let kid = decode_header(new["token"].as_str().unwrap())
        .unwrap()
        .kid
        .unwrap();
    assert_eq!(kid, new_kid);
    verify(new["token"].as_str().unwrap(), &set).expect("new token verifies");
    // A heartbeat of the old session now carries the new kid as well.
    let hb = app
        .heartbeat(&key, old["session_id"].as_str().unwrap())
        .await
        .expect(200);
    assert_eq!(
        decode_header(hb["token"].as_str().unwrap())
            .unwrap()
            .kid
            .unwrap(),
        new_kid
    );
}
