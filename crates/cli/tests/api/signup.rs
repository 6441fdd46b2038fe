//! Self-service sign-up: a verification mail through the outbox, the link that makes the
//! account and a tenant its person owns, the same answer for an address that has an
//! account (which is told so by mail), the per-address limit, and sign-up off by default.

use serde_json::json;

use crate::support::helpers::*;
use crate::support::web::SmtpServer;

async fn open_app() -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(url);
        c.identity.signup_open = true;
    })
    .await;
    (app, smtp)
}

fn body(email: &str) -> serde_json::Value {
    json!({"email": email, "name": "Pat Doe", "password": "pats-password-1",
        "organisation": "Pat's Tools"})
}

#[tokio::test]
async fn a_verified_sign_up_makes_an_owner_of_a_new_tenant_once() {
    let (app, smtp) = open_app().await;
    let status = app
        .call("GET", "/api/v1/auth/status", None, None)
        .await
        .expect(200);
    assert_eq!(status["signup"], "open");
    let r = app
        .call(
            "POST",
            "/api/v1/auth/signup",
            None,
            Some(body("Pat@Example.com")),
        )
        .await;
    assert_eq!(r.expect(202), json!({"queued": true}));
    let mail = smtp.mail_to("pat@example.com", 10).await;
    assert!(
        mail.text().contains("/dashboard/verify-signup?token="),
        "{}",
        mail.text()
    );
    // Nothing exists before the link is used.
    app.login("pat@example.com", "pats-password-1")
        .await
        .expect_error(401, "invalid_credentials");
    let token = mail.token();
    let r = app
        .call(
            "POST",
            "/api/v1/auth/signup/verify",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r
        .header("set-cookie")
        .is_some_and(|c| c.starts_with("coditect_session=")));
    let m = &r.body["user"]["memberships"][0];
    assert_eq!(m["role"], "owner");
    assert_eq!(m["tenant_name"], "Pat's Tools");
    assert!(m["tenant_slug"]
        .as_str()
        .unwrap()
        .starts_with("pat-s-tools-"));
    app.call(
        "POST",
        "/api/v1/auth/signup/verify",
        None,
        Some(json!({"token": token})),
    )
    .await
    .expect_error(410, "token_expired");
    app.call(
        "POST",
        "/api/v1/auth/signup/verify",
        None,
        Some(json!({"token": "unknown-token-0123456789"})),
    )
    .await
    .expect_error(404, "not_found");
    let r = app.login("pat@example.com", "pats-password-1").await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn an_address_with_an_account_gets_the_same_answer_and_a_mail_saying_so() {
    let (app, smtp) = open_app().await;
    app.setup_staff().await;
    let r = app
        .call(
            "POST",
            "/api/v1/auth/signup",
            None,
            Some(body("staff@example.com")),
        )
        .await;
    assert_eq!(r.expect(202), json!({"queued": true}));
    let mail = smtp.mail_to("staff@example.com", 10).await;
    assert!(mail.text().contains("already has an"), "{}", mail.text());
    assert!(!mail.text().contains("token="), "no sign-up link");
}

#[tokio::test]
async fn sign_up_requests_are_limited_per_address_and_bad_input_is_422() {
    let (app, smtp) = open_app().await;
    for _ in 0..5 {
        let r = app
            .call(
                "POST",
                "/api/v1/auth/signup",
                None,
                Some(body("lim@example.com")),
            )
            .await;
        assert_eq!(r.status, 202);
    }
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let to_lim = smtp
        .mails
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains("lim@example.com")))
        .count();
    assert_eq!(to_lim, 3, "three mails per address an hour");
    let r = app
        .call(
            "POST",
            "/api/v1/auth/signup",
            None,
            Some(json!({"email": "not-an-email", "name": "", "password": "short", "organisation": 7})),
        )
        .await;
    r.expect_error(422, "validation_error");
    let fields = &r.body["error"]["details"]["fields"];
    for f in ["email", "name", "password", "organisation"] {
        assert!(fields[f].is_string(), "{f}: {}", r.body);
    }
}

#[tokio::test]
async fn sign_up_is_off_by_default() {
    let app = spawn_app().await;
    let status = app
        .call("GET", "/api/v1/auth/status", None, None)
        .await
        .expect(200);
    assert_eq!(status["signup"], "off");
    app.call(
        "POST",
        "/api/v1/auth/signup",
        None,
        Some(body("x@example.com")),
    )
    .await
    .expect_error(404, "not_found");
    app.call(
        "POST",
        "/api/v1/auth/signup/verify",
        None,
        Some(json!({"token": "abcdefghijklmnop"})),
    )
    .await
    .expect_error(404, "not_found");
}
