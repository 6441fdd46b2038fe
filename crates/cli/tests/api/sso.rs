//! Single sign-on against a real OpenID provider (`tests/oidc-provider`, panva's
//! certified implementation on loopback): sign-in and linking by verified e-mail, and every
//! check that must sign nobody in — a forged or replayed state, the callback in another
//! browser, an id_token with the wrong nonce, audience, issuer, expiry or signature, an
//! unverified or unknown e-mail — `return_to` that cannot leave the server, key rotation,
//! and `sso_required` refusing the password.

use coditect_server::identity::{ProviderConfig, ProviderKind};
use serde_json::json;

use crate::support::helpers::*;
use crate::support::oidc::{Browser, Landing, OidcProvider};
use crate::support::web::SmtpServer;

const CLIENT_ID: &str = "coditect-dashboard";
const CLIENT_SECRET: &str = "s3cretForTheDashboard";

/// A server that trusts a fresh provider as `local`, with a registered client and an
/// SMTP server for invitations.
struct World {
    app: TestApp,
    idp: OidcProvider,
    smtp: SmtpServer,
}

async fn world_with(tweak: impl FnOnce(&mut coditect_server::config::Config)) -> World {
    let idp = OidcProvider::start().await;
    let smtp = SmtpServer::start(0).await;
    let (issuer, smtp_url) = (idp.issuer.clone(), smtp.url());
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(smtp_url);
        c.identity.allow_http = true;
        c.identity.providers = vec![ProviderConfig {
            id: "local".into(),
            name: "Test IdP".into(),
            kind: ProviderKind::Oidc { issuer },
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            scopes: vec!["email".into(), "profile".into()],
        }];
        tweak(c);
    })
    .await;
    let redirect = format!("{}/api/v1/auth/oidc/local/callback", app.base);
    idp.client(CLIENT_ID, CLIENT_SECRET, &redirect, json!({}))
        .await;
    World { app, idp, smtp }
}

async fn world() -> World {
    world_with(|_| {}).await
}

impl World {
    fn start_url(&self, return_to: &str) -> String {
        format!(
            "{}/api/v1/auth/oidc/local/start?return_to={}",
            self.app.base,
            urlencode(return_to)
        )
    }

    /// A user `email` who belongs to a new tenant (as `role`), made by invitation with a
    /// password; the tenant's id.
    async fn member(&self, email: &str, role: &str) -> String {
        let staff = match self
            .app
            .login("staff@example.com", "staff-password-1")
            .await
        {
            r if r.status == 200 => crate::support::web::WebSession::from_reply(r),
            _ => self.app.setup_staff().await,
        };
        let t = self
            .app
            .create_tenant(&crate::support::fixtures::unique_slug())
            .await;
        let tid = t["id"].as_str().unwrap().to_owned();
        self.app
            .invite_and_accept(&self.smtp, &staff, &tid, email, role)
            .await;
        tid
    }

    /// A whole sign-in in a new browser.
    async fn sign_in(&self, email: &str, return_to: &str) -> (Browser, Landing) {
        let b = Browser::new();
        let cb = b.authorize(&self.start_url(return_to), email).await;
        let landing = b.finish(&cb).await;
        (b, landing)
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[track_caller]
fn assert_refused(l: &Landing, reason: &str) {
    assert_eq!(l.status, 302, "a failed sign-in redirects");
    assert_eq!(
        l.location,
        format!("/dashboard/login?sso_error={reason}"),
        "the reason"
    );
    assert!(!l.session_set, "nobody is signed in");
}

#[tokio::test]
async fn the_provider_list_names_each_configured_provider() {
    let w = world().await;
    let r = w
        .app
        .call("GET", "/api/v1/auth/providers", None, None)
        .await;
    assert_eq!(
        r.expect(200),
        json!({"items": [{"id": "local", "name": "Test IdP"}]})
    );
    let r = w
        .app
        .call("GET", "/api/v1/auth/oidc/nope/start", None, None)
        .await;
    r.expect_error(404, "not_found");
}

#[tokio::test]
async fn an_existing_user_signs_in_with_a_verified_email_and_lands_where_they_wanted() {
    let w = world().await;
    w.member("ada@example.com", "admin").await;
    w.idp
        .account("ada-1", "Ada@Example.com", true, "Ada Lovelace")
        .await;
    let (browser, landing) = w
        .sign_in("ada@example.com", "/dashboard/licenses?page=2")
        .await;
    assert_eq!(landing.status, 302);
    assert_eq!(landing.location, "/dashboard/licenses?page=2");
    assert!(landing.session_set, "the session cookie is set");
    let (status, me) = browser.me(&w.app.base).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["email"], "ada@example.com");
    assert!(me["csrf_token"].is_string());
}

#[tokio::test]
async fn a_pending_invitation_is_accepted_by_signing_in() {
    let w = world().await;
    let staff = w.app.setup_staff().await;
    let t = w
        .app
        .create_tenant(&crate::support::fixtures::unique_slug())
        .await;
    let tid = t["id"].as_str().unwrap();
    w.app
        .web(
            &staff,
            "POST",
            &format!("/api/v1/tenants/{tid}/invitations"),
            Some(json!({"email": "grace@example.com", "role": "viewer"})),
            true,
        )
        .await
        .expect(201);
    w.idp
        .account("grace-1", "grace@example.com", true, "Grace Hopper")
        .await;
    let (browser, landing) = w.sign_in("grace@example.com", "/dashboard/").await;
    assert!(landing.session_set, "{}", landing.location);
    let (_, me) = browser.me(&w.app.base).await;
    assert_eq!(me["user"]["name"], "Grace Hopper");
    assert_eq!(me["user"]["memberships"][0]["tenant_id"], tid);
    assert_eq!(me["user"]["memberships"][0]["role"], "viewer");
    // No password was set: a password sign-in fails like a wrong one.
    w.app
        .login("grace@example.com", "any-password-at-all")
        .await
        .expect_error(401, "invalid_credentials");
}

#[tokio::test]
async fn unverified_and_unknown_emails_sign_nobody_in() {
    let w = world().await;
    w.member("eve@example.com", "admin").await;
    w.idp
        .account("eve-1", "eve@example.com", false, "Eve")
        .await;
    let (_, l) = w.sign_in("eve@example.com", "/dashboard/").await;
    assert_refused(&l, "email_unverified");
    w.idp
        .account("nobody-1", "nobody@example.com", true, "Nobody")
        .await;
    let (_, l) = w.sign_in("nobody@example.com", "/dashboard/").await;
    assert_refused(&l, "no_account");
}

/// Issue 15: a deactivated account is turned away by single sign-on too, with its reason.
#[tokio::test]
async fn a_deactivated_user_is_refused_by_single_sign_on() {
    let w = world().await;
    w.member("dee@example.com", "admin").await;
    w.idp.account("dee-1", "dee@example.com", true, "Dee").await;
    let users = w.app.admin("GET", "/api/v1/users", None).await.expect(200);
    let id = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "dee@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.app
        .admin("POST", &format!("/api/v1/users/{id}/deactivate"), None)
        .await
        .expect(200);
    let (_, l) = w.sign_in("dee@example.com", "/dashboard/").await;
    assert_refused(&l, "account_deactivated");
    w.app
        .admin("POST", &format!("/api/v1/users/{id}/reactivate"), None)
        .await
        .expect(200);
    let (_, l) = w.sign_in("dee@example.com", "/dashboard/").await;
    assert!(l.session_set, "signed in again once reactivated");
}

#[tokio::test]
async fn a_forged_replayed_or_foreign_state_signs_nobody_in() {
    let w = world().await;
    w.member("ada@example.com", "admin").await;
    w.idp.account("ada-1", "ada@example.com", true, "Ada").await;

    // Forged: the state of the callback changed. (The failure also ends the flow.)
    let b = Browser::new();
    let cb = b
        .authorize(&w.start_url("/dashboard/"), "ada@example.com")
        .await;
    let forged = regex_replace_state(&cb, "forged-state-value");
    assert_refused(&b.finish(&forged).await, "state_mismatch");
    // A real callback works once in its own browser, then never again (replayed).
    let b = Browser::new();
    let cb = b
        .authorize(&w.start_url("/dashboard/"), "ada@example.com")
        .await;
    assert!(b.finish(&cb).await.session_set);
    assert_refused(&b.finish(&cb).await, "state_mismatch");
    let again = b
        .authorize(&w.start_url("/dashboard/"), "ada@example.com")
        .await;
    assert!(
        b.finish(&again).await.session_set,
        "a new flow of the same browser"
    );

    // Another browser: an attacker's callback opened in a victim's browser (login CSRF).
    let attacker = Browser::new();
    let cb = attacker
        .authorize(&w.start_url("/dashboard/"), "ada@example.com")
        .await;
    let victim = Browser::new();
    assert_refused(&victim.finish(&cb).await, "state_mismatch");
    let (status, _) = victim.me(&w.app.base).await;
    assert_eq!(status, 401, "the victim is not signed in as anybody");

    // No state at all, and the provider's own error.
    let b = Browser::new();
    b.authorize(&w.start_url("/dashboard/"), "ada@example.com")
        .await;
    let l = b
        .finish(&format!(
            "{}/api/v1/auth/oidc/local/callback?code=x",
            w.app.base
        ))
        .await;
    assert_refused(&l, "state_mismatch");
}

fn regex_replace_state(url: &str, state: &str) -> String {
    let mut u = reqwest::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                state.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

#[tokio::test]
async fn id_tokens_with_a_wrong_nonce_audience_issuer_expiry_or_key_sign_nobody_in() {
    let w = world().await;
    w.member("ada@example.com", "admin").await;
    w.idp.account("ada-1", "ada@example.com", true, "Ada").await;
    let now = chrono::Utc::now().timestamp();
    let cases = [
        (json!({"nonce": "another-flows-nonce"}), "provider"),
        (json!({"aud": "another-client"}), "provider"),
        (json!({"iss": "http://127.0.0.1:1/evil"}), "provider"),
        (json!({"exp": now - 600, "iat": now - 1200}), "provider"),
        (json!({}), "foreign"),
        (json!({"email_verified": false}), "provider"),
    ];
    for (claims, key) in cases {
        w.idp.tamper(claims.clone(), key).await;
        let (_, l) = w.sign_in("ada@example.com", "/dashboard/").await;
        let reason = if claims.get("email_verified").is_some() {
            "email_unverified"
        } else {
            "token_invalid"
        };
        assert_eq!(
            l.location,
            format!("/dashboard/login?sso_error={reason}"),
            "{claims} {key}"
        );
        assert!(!l.session_set, "{claims} {key} signed somebody in");
    }
    // The untampered flow still signs in: the refusals were the tampering's.
    let (_, l) = w.sign_in("ada@example.com", "/dashboard/").await;
    assert!(l.session_set);
}

#[tokio::test]
async fn a_rotated_provider_key_is_fetched_when_an_id_token_names_it() {
    let w = world().await;
    w.member("ada@example.com", "admin").await;
    w.idp.account("ada-1", "ada@example.com", true, "Ada").await;
    let (_, l) = w.sign_in("ada@example.com", "/dashboard/").await;
    assert!(l.session_set, "first sign-in caches the keys");
    w.idp.rotate().await;
    let (_, l) = w.sign_in("ada@example.com", "/dashboard/").await;
    assert!(l.session_set, "the new key is fetched: {}", l.location);
}

#[tokio::test]
async fn return_to_cannot_leave_the_server() {
    let w = world().await;
    w.member("ada@example.com", "admin").await;
    w.idp.account("ada-1", "ada@example.com", true, "Ada").await;
    for evil in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
    ] {
        let (_, l) = w.sign_in("ada@example.com", evil).await;
        assert!(l.session_set, "{evil}");
        assert_eq!(l.location, "/dashboard/", "{evil} was followed");
    }
}

#[tokio::test]
async fn sso_required_refuses_the_password_but_not_single_sign_on() {
    let w = world().await;
    let tid = w.member("ada@example.com", "owner").await;
    let owner = WebSessionExt::login_ok(&w.app, "ada@example.com").await;
    // Viewers may read the setting but not change it; owners may.
    let r = w
        .app
        .web(
            &owner,
            "GET",
            &format!("/api/v1/tenants/{tid}/sso"),
            None,
            false,
        )
        .await;
    assert_eq!(r.expect(200), json!({"sso_required": false}));
    let r = w
        .app
        .web(
            &owner,
            "PUT",
            &format!("/api/v1/tenants/{tid}/sso"),
            Some(json!({"sso_required": "yes"})),
            true,
        )
        .await;
    r.expect_error(422, "validation_error");
    let r = w
        .app
        .web(
            &owner,
            "PUT",
            &format!("/api/v1/tenants/{tid}/sso"),
            Some(json!({"sso_required": true})),
            true,
        )
        .await;
    assert_eq!(r.expect(200), json!({"sso_required": true}));
    let audit = w.app.audit_entries(&tid).await;
    assert!(audit
        .iter()
        .any(|e| e["action"] == "tenant.update" && e["after"]["sso_required"] == true));

    // The right password is refused with its own code; a wrong one still looks wrong.
    w.app
        .login("ada@example.com", "member-password-1")
        .await
        .expect_error(403, "sso_required");
    w.app
        .login("ada@example.com", "wrong-password-0")
        .await
        .expect_error(401, "invalid_credentials");
    w.idp.account("ada-1", "ada@example.com", true, "Ada").await;
    let (_, l) = w.sign_in("ada@example.com", "/dashboard/").await;
    assert!(l.session_set, "SSO still signs in");
}

/// Signing in with the member password of `invite_and_accept`.
struct WebSessionExt;

impl WebSessionExt {
    async fn login_ok(app: &TestApp, email: &str) -> crate::support::web::WebSession {
        let r = app.login(email, "member-password-1").await;
        assert_eq!(r.status, 200, "{}", r.body);
        crate::support::web::WebSession::from_reply(r)
    }
}

#[tokio::test]
async fn a_viewer_cannot_require_sso() {
    let w = world().await;
    let tid = w.member("vic@example.com", "viewer").await;
    let viewer = WebSessionExt::login_ok(&w.app, "vic@example.com").await;
    let r = w
        .app
        .web(
            &viewer,
            "PUT",
            &format!("/api/v1/tenants/{tid}/sso"),
            Some(json!({"sso_required": true})),
            true,
        )
        .await;
    r.expect_error(403, "forbidden");
}

#[tokio::test]
async fn with_sign_up_open_an_unknown_verified_email_gets_an_account_and_a_tenant() {
    let w = world_with(|c| c.identity.signup_open = true).await;
    w.idp
        .account("new-1", "newcomer@example.com", true, "New Comer")
        .await;
    let (browser, l) = w.sign_in("newcomer@example.com", "/dashboard/").await;
    assert!(l.session_set, "{}", l.location);
    let (_, me) = browser.me(&w.app.base).await;
    assert_eq!(me["user"]["memberships"][0]["role"], "owner");
    assert_eq!(
        me["user"]["memberships"][0]["tenant_name"],
        "New Comer's organisation"
    );
}
