//! Keys at rest: signing keys generated and used inside a PKCS#11 token (SoftHSM2, as a
//! vendor's HSM or cloud KMS would be), rotated as usual; and `keys rewrap`, which moves
//! every sealed secret to a new master key.
//!
//! The token tests need Debian's `softhsm2` and `opensc` (`pkcs11-tool`); they fail, never
//! skip, without them (CI installs both).

use std::path::{Path, PathBuf};
use std::time::Duration;

use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use serde_json::{json, Value};
use tokio::process::Command;

use crate::support::fixtures::unique_slug;
use crate::support::helpers::{TestDb, ADMIN_TOKEN};
use crate::support::process::{run_cli, ServerProcess};

const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
const PIN: &str = "4711-0815";

/// A SoftHSM2 token of its own: a config file naming a token folder, one initialized token.
struct Token {
    dir: tempfile::TempDir,
    label: String,
}

impl Token {
    async fn new() -> Self {
        assert!(
            Path::new(SOFTHSM).exists(),
            "{SOFTHSM} is missing: apt-get install softhsm2 opensc"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tokens")).unwrap();
        let conf = format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            dir.path().join("tokens").display()
        );
        std::fs::write(dir.path().join("softhsm2.conf"), conf).unwrap();
        std::fs::write(dir.path().join("pin"), format!("{PIN}\n")).unwrap();
        let label = format!(
            "coditect-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let token = Self { dir, label };
        let out = token
            .tool("softhsm2-util")
            .args(["--init-token", "--free", "--label", &token.label])
            .args(["--pin", PIN, "--so-pin", "12345678"])
            .output()
            .await
            .expect("softhsm2-util");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        token
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("softhsm2.conf")
    }

    fn tool(&self, name: &str) -> Command {
        let mut c = Command::new(name);
        c.env("SOFTHSM2_CONF", self.conf());
        c
    }

    /// The server's settings for this token.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SOFTHSM2_CONF", self.conf().display().to_string()),
            ("CODITECT_PKCS11_MODULE", SOFTHSM.into()),
            ("CODITECT_PKCS11_TOKEN", self.label.clone()),
            (
                "CODITECT_PKCS11_PIN_FILE",
                self.dir.path().join("pin").display().to_string(),
            ),
        ]
    }

    /// `pkcs11-tool --list-objects` of the token, logged in.
    async fn objects(&self) -> String {
        let out = self
            .tool("pkcs11-tool")
            .args(["--module", SOFTHSM, "--token-label", &self.label])
            .args(["--login", "--pin", PIN, "--list-objects"])
            .output()
            .await
            .expect("pkcs11-tool (Debian's opensc)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

async fn start(db: &TestDb, env: &[(&str, String)]) -> ServerProcess {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ServerProcess::start_with(db.url(), &env).await
}

/// A tenant and a one-seat license; its key.
async fn license(http: &reqwest::Client, base: &str) -> (String, String, String) {
    let slug = unique_slug();
    let t: Value = admin(
        http,
        "POST",
        &format!("{base}/api/v1/tenants"),
        json!({"name": slug, "slug": slug}),
    )
    .await;
    let tid = t["id"].as_str().unwrap().to_owned();
    let url = format!("{base}/api/v1/tenants/{tid}/licenses");
    let l = admin(http, "POST", &url, json!({"seats_total": 100})).await;
    let lid = l["id"].as_str().unwrap().to_owned();
    (tid, lid, l["license_key"].as_str().unwrap().to_owned())
}

async fn admin(http: &reqwest::Client, method: &str, url: &str, body: Value) -> Value {
    let mut req = http
        .request(method.parse().unwrap(), url)
        .bearer_auth(ADMIN_TOKEN);
    if !body.is_null() {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap()
}

/// Acquires a seat and verifies its token against the JWKS; returns the token's `kid`.
async fn acquire_and_verify(http: &reqwest::Client, base: &str, key: &str, hw: &str) -> String {
    let r = http
        .post(format!("{base}/api/v1/licenses/acquire"))
        .json(&json!({"license_key": key, "hardware_id": hw}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "acquire: {}", r.status());
    let body: Value = r.json().await.unwrap();
    let token = body["token"].as_str().expect("a token");
    let kid = decode_header(token).unwrap().kid.expect("a kid");
    let jwks: Value = http
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid.as_str())
            .expect("the token's key is published")
            .clone(),
    )
    .unwrap();
    let alg = decode_header(token).unwrap().alg;
    let mut v = Validation::new(alg);
    v.set_issuer(&["coditect-test"]);
    v.validate_aud = false;
    decode::<Value>(token, &DecodingKey::from_jwk(&jwk).unwrap(), &v)
        .expect("the token verifies against the published key");
    kid
}

async fn cli(args: &[&str], db: &TestDb, env: &[(&str, String)]) -> std::process::Output {
    run_cli(args, db.url(), env).await
}

async fn in_the_token_for(alg: &str) {
    let db = TestDb::new().await;
    let token = Token::new().await;
    let mut env = token.env();
    env.push(("CODITECT_SIGNING_ALG", alg.into()));
    env.push(("CODITECT_MASTER_KEY", "m".repeat(40)));
    let server = start(&db, &env).await;
    let http = reqwest::Client::new();
    let (_, _, key) = license(&http, &server.base).await;
    let first = acquire_and_verify(&http, &server.base, &key, "hw-1").await;

    // The private key is in the token, sensitive and never extractable; the database
    // holds a reference, no key material.
    let objects = token.objects().await;
    let kind = if alg == "ES256" {
        "Private Key Object; EC"
    } else {
        "Private Key Object; RSA"
    };
    assert!(objects.contains(kind), "{objects}");
    assert!(objects.contains("never extractable"), "{objects}");
    assert!(objects.contains("sensitive"), "{objects}");
    let usage = objects
        .lines()
        .skip_while(|l| !l.starts_with("Private Key Object"));
    let usage = usage.map(str::trim).find(|l| l.starts_with("Usage:"));
    assert_eq!(
        usage.map(|u| u.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["Usage:", "sign"]),
        "{objects}"
    );
    if alg == "RS256" {
        let jwks: Value = http
            .get(format!("{}/.well-known/jwks.json", server.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let n = jwks["keys"][0]["n"].as_str().unwrap();
        assert_eq!(n.len(), 683, "a 4096-bit modulus");
    }
    let sealer = coditect_server::crypto::Sealer::new(Some(&"m".repeat(40)));
    let store = coditect_server::open_store(db.url()).await.unwrap();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    let opened = sealer.open(&keys[0].private_sealed).unwrap();
    assert!(
        opened.starts_with("pkcs11:") && opened.len() == 7 + 32,
        "{opened}"
    );

    // `keys rotate` makes a second key in the token; the server signs with it after its
    // next key refresh, and the first stays published.
    let out = cli(&["keys", "rotate"], &db, &env).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rotated = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_ne!(rotated, first);
    let mut kid = String::new();
    for i in 0..40 {
        kid = acquire_and_verify(&http, &server.base, &key, &format!("hw-r{i}")).await;
        if kid == rotated {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(kid, rotated, "the rotated key signs");
    let objects = token.objects().await;
    assert_eq!(
        objects.matches("Private Key Object").count(),
        2,
        "{objects}"
    );
    server.kill().await;

    // A process without the token cannot use a key that lives in it, and says why.
    let mut no_hsm: Vec<_> = env
        .iter()
        .filter(|(k, _)| !k.starts_with("CODITECT_PKCS11"))
        .cloned()
        .collect();
    no_hsm.push(("CODITECT_LISTEN", "127.0.0.1:0".into()));
    let out = cli(&["keys", "rotate"], &db, &no_hsm).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CODITECT_PKCS11_MODULE"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn es256_keys_are_made_and_used_in_the_token_and_rotate() {
    in_the_token_for("ES256").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_keys_are_made_and_used_in_the_token_and_rotate() {
    in_the_token_for("RS256").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pin_or_token_is_refused_at_start() {
    let db = TestDb::new().await;
    let token = Token::new().await;
    let mut env = token.env();
    let wrong = token.dir.path().join("wrong-pin");
    std::fs::write(&wrong, "0000").unwrap();
    env.retain(|(k, _)| *k != "CODITECT_PKCS11_PIN_FILE");
    env.push(("CODITECT_PKCS11_PIN_FILE", wrong.display().to_string()));
    let out = cli(&["keys", "rotate"], &db, &env).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("logging in to the PKCS#11 token"), "{err}");
    env.retain(|(k, _)| *k != "CODITECT_PKCS11_TOKEN");
    env.push(("CODITECT_PKCS11_TOKEN", "no-such-token".into()));
    let out = cli(&["keys", "rotate"], &db, &env).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no PKCS#11 token labelled \"no-such-token\""),
        "{err}"
    );
}

/// `keys rewrap`: every sealed secret moves to the new master key in one run; a server
/// with only the new key serves the old license and its signing key; with only the old
/// key, it no longer can; a second run has nothing left to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewrap_moves_every_secret_to_the_new_master_key() {
    let db = TestDb::new().await;
    let (old, new) = ("o".repeat(40), "n".repeat(40));
    let old_env = vec![("CODITECT_MASTER_KEY", old.clone())];
    let server = start(&db, &old_env).await;
    let http = reqwest::Client::new();
    let (tid, lid, key) = license(&http, &server.base).await;
    let kid = acquire_and_verify(&http, &server.base, &key, "hw-1").await;
    server.kill().await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new-master-key");
    std::fs::write(&file, format!("{new}\n")).unwrap();
    let args = [
        "keys",
        "rewrap",
        "--new-master-key-file",
        file.to_str().unwrap(),
    ];
    let out = cli(&args, &db, &old_env).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("signing_keys.private_sealed: 1 re-sealed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("licenses.key_sealed: 1 re-sealed"),
        "{stdout}"
    );

    let new_env = vec![("CODITECT_MASTER_KEY", new.clone())];
    let server = start(&db, &new_env).await;
    let l = admin(
        &http,
        "GET",
        &format!("{}/api/v1/tenants/{tid}/licenses/{lid}", server.base),
        json!(null),
    )
    .await;
    assert_eq!(
        l["license_key"],
        key.as_str(),
        "the license key opens under the new master key"
    );
    assert_eq!(
        acquire_and_verify(&http, &server.base, &key, "hw-2").await,
        kid
    );
    server.kill().await;

    let out = cli(&["keys", "rotate"], &db, &old_env).await;
    assert!(!out.status.success(), "the old key opens nothing any more");

    let out = cli(&args, &db, &new_env).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("0 re-sealed, "), "{stdout}");
}
