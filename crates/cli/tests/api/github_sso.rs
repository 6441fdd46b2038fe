//! Signing in with GitHub (OAuth2 and its API, not OpenID Connect), against an HTTP
//! listener of the test's own standing in for github.com and api.github.com: the
//! authorization request carries PKCE (S256) and the state, the code is exchanged with the
//! app's credentials and the verifier, and only a verified primary e-mail signs in.

use std::sync::{Arc, Mutex};

use coditect_server::identity::{ProviderConfig, ProviderKind};
use coditect_test_support::receiver::{Received, Receiver};
use serde_json::json;

use crate::support::helpers::*;
use crate::support::oidc::Browser;
use crate::support::web::SmtpServer;

const CLIENT_ID: &str = "Iv1.testapp";
const CLIENT_SECRET: &str = "github-app-secret";

fn form_value(body: &[u8], key: &str) -> Option<String> {
    let body = String::from_utf8_lossy(body);
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// GitHub's stand-in: the token endpoint checks the app's credentials, the code and the
/// verifier; the API answers for the token it handed out; `primary_verified` decides the
/// primary address's state.
async fn github(primary_verified: bool) -> (Receiver, Arc<Mutex<Vec<String>>>) {
    let tokens_checked = Arc::new(Mutex::new(Vec::new()));
    let seen = tokens_checked.clone();
    let rule = move |r: &Received, _: &[Received]| -> (u16, String) {
        match (r.method.as_str(), r.path.split('?').next().unwrap_or("")) {
            ("POST", "/login/oauth/access_token") => {
                use base64::Engine;
                let basic = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD
                        .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
                );
                let auth_ok = r.headers.get("authorization") == Some(&basic);
                let code_ok = form_value(&r.body, "code").as_deref() == Some("gh-code-1");
                let verifier = form_value(&r.body, "code_verifier").unwrap_or_default();
                seen.lock().unwrap().push(verifier.clone());
                if !(auth_ok && code_ok && verifier.len() >= 43) {
                    return (200, json!({"error": "bad_verification_code"}).to_string());
                }
                (
                    200,
                    json!({"access_token": "gho_test", "token_type": "bearer",
                        "scope": "read:user,user:email"})
                    .to_string(),
                )
            }
            ("GET", "/user")
                if r.headers.get("authorization").map(String::as_str)
                    == Some("Bearer gho_test") =>
            {
                (
                    200,
                    json!({"login": "octocat", "name": "Mona Octocat"}).to_string(),
                )
            }
            ("GET", "/user/emails")
                if r.headers.get("authorization").map(String::as_str)
                    == Some("Bearer gho_test") =>
            {
                (
                    200,
                    json!([
                        {"email": "mona@users.noreply.example", "primary": false, "verified": true},
                        {"email": "Mona@Example.com", "primary": true, "verified": primary_verified}
                    ])
                    .to_string(),
                )
            }
            _ => (401, json!({"message": "Bad credentials"}).to_string()),
        }
    };
    (Receiver::start(rule).await, tokens_checked)
}

async fn app_with_github(gh: &Receiver, smtp: &SmtpServer) -> TestApp {
    let base = gh.url("").trim_end_matches('/').to_owned();
    let smtp_url = smtp.url();
    spawn_app_with(move |c| {
        c.smtp_url = Some(smtp_url);
        c.identity.allow_http = true;
        c.identity.providers = vec![ProviderConfig {
            id: "github".into(),
            name: "GitHub".into(),
            kind: ProviderKind::GitHub {
                web_base: base.clone(),
                api_base: base,
            },
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            scopes: vec!["read:user".into(), "user:email".into()],
        }];
    })
    .await
}

/// The browser goes to the start; the stand-in "authorizes" by sending it back with a code.
async fn sign_in(app: &TestApp, browser: &Browser) -> crate::support::oidc::Landing {
    let start = format!(
        "{}/api/v1/auth/oidc/github/start?return_to=/dashboard/",
        app.base
    );
    let to_github = browser.authorize_url(&start).await;
    let url = reqwest::Url::parse(&to_github).unwrap();
    assert_eq!(url.path(), "/login/oauth/authorize");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].contains("user:email"), "{}", q["scope"]);
    assert_eq!(
        q["redirect_uri"],
        format!("{}/api/v1/auth/oidc/github/callback", app.base)
    );
    let back = format!("{}?code=gh-code-1&state={}", q["redirect_uri"], q["state"]);
    browser.finish(&back).await
}

#[tokio::test]
async fn a_verified_primary_github_email_signs_its_user_in() {
    let (gh, verifiers) = github(true).await;
    let smtp = SmtpServer::start(0).await;
    let app = app_with_github(&gh, &smtp).await;
    let staff = app.setup_staff().await;
    let t = app
        .create_tenant(&crate::support::fixtures::unique_slug())
        .await;
    let tid = t["id"].as_str().unwrap();
    app.invite_and_accept(&smtp, &staff, tid, "mona@example.com", "admin")
        .await;
    let b = Browser::new();
    let landing = sign_in(&app, &b).await;
    assert_eq!(landing.location, "/dashboard/");
    assert!(landing.session_set);
    let (_, me) = b.me(&app.base).await;
    assert_eq!(me["user"]["email"], "mona@example.com");
    assert_eq!(verifiers.lock().unwrap().len(), 1, "one code exchange");
}

#[tokio::test]
async fn an_unverified_primary_github_email_signs_nobody_in() {
    let (gh, _) = github(false).await;
    let smtp = SmtpServer::start(0).await;
    let app = app_with_github(&gh, &smtp).await;
    let b = Browser::new();
    let landing = sign_in(&app, &b).await;
    assert_eq!(
        landing.location,
        "/dashboard/login?sso_error=email_unverified"
    );
    assert!(!landing.session_set);
}
