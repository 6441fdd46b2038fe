//! TOTP second factor: enrolment with a secret, sign-in with a code computed in the test
//! (RFC 6238), refusal of wrong and replayed codes, recovery codes used once, the limit on
//! wrong codes, staff who must enrol before they get a session, and turning it off.

use coditect_server::identity::totp::code_at;
use serde_json::{json, Value};

use crate::support::helpers::*;
use crate::support::web::{app_with_mail, SmtpServer, WebSession};

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

/// A member `email` with a password, signed in; the app, its mail server and the session.
async fn member(email: &str) -> (TestApp, SmtpServer, WebSession) {
    let (app, smtp) = app_with_mail().await;
    let staff = app.setup_staff().await;
    let t = app
        .create_tenant(&crate::support::fixtures::unique_slug())
        .await;
    let tid = t["id"].as_str().unwrap().to_owned();
    let s = app
        .invite_and_accept(&smtp, &staff, &tid, email, "admin")
        .await;
    (app, smtp, s)
}

/// Enrols the session's user; the secret, the recovery codes and the code that
/// confirmed the enrolment.
async fn enrol(app: &TestApp, s: &WebSession) -> (String, Vec<String>, String) {
    let r = app
        .web(s, "POST", "/api/v1/auth/totp/setup", Some(json!({})), true)
        .await;
    let setup = r.expect(200);
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/CODITECT:"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    let r = app
        .web(
            s,
            "POST",
            "/api/v1/auth/totp/confirm",
            Some(json!({"code": "000000"})),
            true,
        )
        .await;
    r.expect_error(401, "invalid_second_factor");
    let code = code_at(&secret, now()).unwrap();
    let r = app
        .web(
            s,
            "POST",
            "/api/v1/auth/totp/confirm",
            Some(json!({"code": code})),
            true,
        )
        .await;
    let body = r.expect(200);
    assert_eq!(body["user"]["totp_enabled"], true);
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes, code)
}

/// Signs in with a password and expects the second-factor challenge.
async fn challenge(app: &TestApp, email: &str, password: &str) -> String {
    let r = app.login(email, password).await;
    r.expect_error(401, "second_factor_required");
    assert!(
        r.header("set-cookie").is_none(),
        "no session before the code"
    );
    r.body["error"]["details"]["challenge"]
        .as_str()
        .expect("details.challenge")
        .to_owned()
}

async fn second_factor(app: &TestApp, body: Value) -> Reply {
    app.call("POST", "/api/v1/auth/login/second-factor", None, Some(body))
        .await
}

#[tokio::test]
async fn a_code_signs_in_once_and_wrong_or_replayed_codes_are_refused() {
    let (app, _smtp, s) = member("tess@example.com").await;
    let (secret, _, confirmed) = enrol(&app, &s).await;
    let me = app.web(&s, "GET", "/api/v1/auth/me", None, false).await;
    assert_eq!(me.expect(200)["user"]["totp_enabled"], true);

    let c = challenge(&app, "tess@example.com", "member-password-1").await;
    second_factor(&app, json!({"challenge": c, "code": "123456"}))
        .await
        .expect_error(401, "invalid_second_factor");
    // The code that confirmed the enrolment was spent by it.
    second_factor(&app, json!({"challenge": c, "code": confirmed}))
        .await
        .expect_error(401, "invalid_second_factor");
    // The next step's code is accepted (one step of drift either way).
    let next = code_at(&secret, now() + 30).unwrap();
    let r = second_factor(&app, json!({"challenge": c, "code": next})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .header("set-cookie")
        .is_some_and(|c| c.starts_with("coditect_session=")));
    assert_eq!(r.body["user"]["email"], "tess@example.com");
    // The challenge is spent, and the code is spent on a new one.
    second_factor(&app, json!({"challenge": c, "code": next}))
        .await
        .expect_error(401, "unauthorized");
    let c2 = challenge(&app, "tess@example.com", "member-password-1").await;
    second_factor(&app, json!({"challenge": c2, "code": next}))
        .await
        .expect_error(401, "invalid_second_factor");
    second_factor(
        &app,
        json!({"challenge": "not-a-challenge-0123456789", "code": next}),
    )
    .await
    .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let (app, _smtp, s) = member("rob@example.com").await;
    let (_, codes, _) = enrol(&app, &s).await;
    let c = challenge(&app, "rob@example.com", "member-password-1").await;
    let upper = codes[3].to_uppercase();
    let r = second_factor(&app, json!({"challenge": c, "recovery_code": upper})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let c = challenge(&app, "rob@example.com", "member-password-1").await;
    second_factor(&app, json!({"challenge": c, "recovery_code": codes[3]}))
        .await
        .expect_error(401, "invalid_second_factor");
    let r = second_factor(&app, json!({"challenge": c, "recovery_code": codes[4]})).await;
    assert_eq!(r.status, 200, "another code still works");
}

#[tokio::test]
async fn five_wrong_codes_are_rate_limited() {
    let (app, _smtp, s) = member("max@example.com").await;
    enrol(&app, &s).await;
    let c = challenge(&app, "max@example.com", "member-password-1").await;
    for _ in 0..5 {
        second_factor(&app, json!({"challenge": c, "code": "999999"}))
            .await
            .expect_error(401, "invalid_second_factor");
    }
    let r = second_factor(&app, json!({"challenge": c, "code": "999999"})).await;
    r.expect_error(429, "rate_limited");
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn recovery_codes_are_replaced_after_a_code() {
    let (app, _smtp, s) = member("ren@example.com").await;
    let (secret, old, _) = enrol(&app, &s).await;
    app.web(
        &s,
        "POST",
        "/api/v1/auth/totp/recovery-codes",
        Some(json!({"code": "111111"})),
        true,
    )
    .await
    .expect_error(401, "invalid_second_factor");
    let next = code_at(&secret, now() + 30).unwrap();
    let r = app
        .web(
            &s,
            "POST",
            "/api/v1/auth/totp/recovery-codes",
            Some(json!({"code": next})),
            true,
        )
        .await;
    let fresh = r.expect(200)["recovery_codes"].clone();
    assert_eq!(fresh.as_array().unwrap().len(), 10);
    let c = challenge(&app, "ren@example.com", "member-password-1").await;
    second_factor(&app, json!({"challenge": c, "recovery_code": old[0]}))
        .await
        .expect_error(401, "invalid_second_factor");
    let r = second_factor(&app, json!({"challenge": c, "recovery_code": fresh[0]})).await;
    assert_eq!(r.status, 200, "a new code works: {}", r.body);
}

#[tokio::test]
async fn totp_is_turned_off_with_a_code() {
    let (app, _smtp, s) = member("ola@example.com").await;
    let (secret, _, _) = enrol(&app, &s).await;
    // Without the CSRF token a change is refused before the code is looked at.
    app.web(
        &s,
        "DELETE",
        "/api/v1/auth/totp",
        Some(json!({"code": "000000"})),
        false,
    )
    .await
    .expect_error(403, "csrf_failed");
    let earlier = code_at(&secret, now() - 30).unwrap();
    app.web(
        &s,
        "DELETE",
        "/api/v1/auth/totp",
        Some(json!({"code": earlier})),
        true,
    )
    .await
    .expect_error(401, "invalid_second_factor");
    let next = code_at(&secret, now() + 30).unwrap();
    let r = app
        .web(
            &s,
            "DELETE",
            "/api/v1/auth/totp",
            Some(json!({"code": next})),
            true,
        )
        .await;
    assert_eq!(r.expect(200), json!({"totp_enabled": false}));
    let r = app.login("ola@example.com", "member-password-1").await;
    assert_eq!(r.status, 200, "a password alone signs in again: {}", r.body);
    assert_eq!(r.body["user"]["totp_enabled"], false);
}

#[tokio::test]
async fn staff_who_must_use_totp_enrol_before_they_get_a_session() {
    let app = spawn_app_with(|c| c.identity.staff_require_totp = true).await;
    let r = app
        .call(
            "POST",
            "/api/v1/auth/setup",
            None,
            Some(
                json!({"bootstrap_token": ADMIN_TOKEN, "email": "boss@example.com",
                "name": "Boss", "password": "staff-password-1"}),
            ),
        )
        .await;
    r.expect_error(401, "second_factor_enrolment_required");
    assert!(r.header("set-cookie").is_none());
    let c = r.body["error"]["details"]["challenge"]
        .as_str()
        .unwrap()
        .to_owned();
    // The enrolment challenge is not a sign-in.
    second_factor(&app, json!({"challenge": c, "code": "123456"}))
        .await
        .expect_error(401, "unauthorized");
    let setup = app
        .call(
            "POST",
            "/api/v1/auth/totp/setup",
            None,
            Some(json!({"challenge": c})),
        )
        .await
        .expect(200);
    let secret = setup["secret"].as_str().unwrap();
    let r = app
        .call(
            "POST",
            "/api/v1/auth/totp/confirm",
            None,
            Some(json!({"challenge": c, "code": code_at(secret, now()).unwrap()})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["recovery_codes"].as_array().unwrap().len(), 10);
    let staff = WebSession::from_reply(r);
    assert_eq!(staff.user["is_staff"], true);
    let r = app
        .web(
            &staff,
            "DELETE",
            "/api/v1/auth/totp",
            Some(json!({"code": "000000"})),
            true,
        )
        .await;
    r.expect_error(403, "forbidden");
    // From now on the password asks for a code.
    challenge(&app, "boss@example.com", "staff-password-1").await;
}
