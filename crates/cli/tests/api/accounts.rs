//! People and sign-in: setup once, sign-in with throttling, cookie flags, CSRF, roles,
//! tenant isolation for users, invitations and password reset by mail.

use serde_json::json;

use crate::support::helpers::*;
use crate::support::web::*;

#[tokio::test]
async fn setup_happens_once_and_needs_the_bootstrap_token() {
    let app = spawn_app().await;
    let st = app
        .call("GET", "/api/v1/auth/status", None, None)
        .await
        .expect(200);
    assert_eq!(st["setup_required"], true);
    let bad = app
        .call(
            "POST",
            "/api/v1/auth/setup",
            None,
            Some(
                json!({"bootstrap_token": "wrong", "email": "a@example.com", "name": "A",
                "password": "long-enough-1"}),
            ),
        )
        .await;
    bad.expect_error(401, "unauthorized");
    let short = app
        .call(
            "POST",
            "/api/v1/auth/setup",
            None,
            Some(
                json!({"bootstrap_token": ADMIN_TOKEN, "email": "a@example.com", "name": "A",
                "password": "short"}),
            ),
        )
        .await;
    short.expect_error(422, "validation_error");
    assert!(short.body["error"]["details"]["fields"]["password"].is_string());

    let staff = app.setup_staff().await;
    assert_eq!(
        staff.user["email"], "staff@example.com",
        "e-mail is lower-cased"
    );
    assert_eq!(staff.user["is_staff"], true);
    let again = app
        .call(
            "POST",
            "/api/v1/auth/setup",
            None,
            Some(
                json!({"bootstrap_token": ADMIN_TOKEN, "email": "b@example.com", "name": "B",
                "password": "long-enough-1"}),
            ),
        )
        .await;
    again.expect_error(409, "conflict");
    let st = app
        .call("GET", "/api/v1/auth/status", None, None)
        .await
        .expect(200);
    assert_eq!(st["setup_required"], false);
    let me = app
        .web(&staff, "GET", "/api/v1/auth/me", None, false)
        .await
        .expect(200);
    assert_eq!(me["csrf_token"], staff.csrf.as_str());
    assert_eq!(me["user"]["is_staff"], true);
    // A staff user acts as a superadmin.
    app.web(&staff, "GET", "/api/v1/tenants", None, false)
        .await
        .expect(200);
}

#[tokio::test]
async fn sign_in_is_throttled_per_email_with_retry_after() {
    let app = spawn_app().await;
    app.setup_staff().await;
    let ok = app.login("STAFF@example.com", "staff-password-1").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body["csrf_token"].is_string());
    let wrong = app.login("staff@example.com", "not-the-password").await;
    wrong.expect_error(401, "invalid_credentials");
    let unknown = app.login("nobody@example.com", "not-the-password").await;
    unknown.expect_error(401, "invalid_credentials");
    assert_eq!(
        wrong.body["error"]["message"],
        unknown.body["error"]["message"]
    );
    for _ in 0..4 {
        app.login("staff@example.com", "not-the-password")
            .await
            .expect_error(401, "invalid_credentials");
    }
    // Five failures for this e-mail: even the right password waits now.
    for password in ["not-the-password", "staff-password-1"] {
        let limited = app.login("staff@example.com", password).await;
        limited.expect_error(429, "rate_limited");
        let retry: u64 = limited.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&retry), "Retry-After {retry}");
    }
    // The limit is per e-mail: another account from the same client is not locked yet.
    app.login("other@example.com", "whatever-password")
        .await
        .expect_error(401, "invalid_credentials");
}

#[tokio::test]
async fn sign_in_is_throttled_per_client() {
    let app = spawn_app().await;
    app.setup_staff().await;
    // 20 failures from one client spread over many e-mails lock the client out.
    for i in 0..20 {
        app.login(&format!("u{i}@example.com"), "wrong-password")
            .await
            .expect_error(401, "invalid_credentials");
    }
    let r = app.login("staff@example.com", "staff-password-1").await;
    r.expect_error(429, "rate_limited");
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn session_cookie_flags() {
    let app = spawn_app().await;
    let r = app
        .call(
            "POST",
            "/api/v1/auth/setup",
            None,
            Some(
                json!({"bootstrap_token": ADMIN_TOKEN, "email": "s@example.com", "name": "S",
                "password": "staff-password-1"}),
            ),
        )
        .await;
    let set = r.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.starts_with("coditect_session="), "{set}");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(set.contains("Path=/"), "{set}");
    assert!(!set.contains("Secure"), "plain HTTP: no Secure flag: {set}");
    let tls = app
        .send(
            app.http
                .post(app.url("/api/v1/auth/login"))
                .header("x-forwarded-proto", "https")
                .json(&json!({"email": "s@example.com", "password": "staff-password-1"})),
        )
        .await;
    assert_eq!(tls.status, 200);
    let set = tls.headers["set-cookie"].to_str().unwrap();
    assert!(set.contains("; Secure"), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    // The cookie holds a secret; the database only its hash, so it never equals a stored value.
    let s = WebSession::from_reply(tls);
    let out = app.web(&s, "POST", "/api/v1/auth/logout", None, true).await;
    assert_eq!(out.status, 200);
    assert!(out.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    app.web(&s, "GET", "/api/v1/auth/me", None, false)
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn cookie_changes_need_the_csrf_token() {
    let app = spawn_app().await;
    let staff = app.setup_staff().await;
    let body = json!({"name": "Acme", "slug": "acme"});
    let refused = app
        .web(&staff, "POST", "/api/v1/tenants", Some(body.clone()), false)
        .await;
    refused.expect_error(403, "csrf_failed");
    let forged = WebSession {
        csrf: "0".repeat(64),
        ..staff.clone()
    };
    app.web(&forged, "POST", "/api/v1/tenants", Some(body.clone()), true)
        .await
        .expect_error(403, "csrf_failed");
    let t = app
        .web(&staff, "POST", "/api/v1/tenants", Some(body), true)
        .await
        .expect(201);
    // Reads need no token; bearer requests need none either.
    app.web(&staff, "GET", "/api/v1/tenants", None, false)
        .await
        .expect(200);
    let tid = t["id"].as_str().unwrap();
    app.admin(
        "POST",
        &format!("/api/v1/tenants/{tid}/licenses"),
        Some(json!({"seats_total": 1})),
    )
    .await
    .expect(201);
    // The audit names the user.
    let audit = app
        .web(
            &staff,
            "GET",
            &format!("/api/v1/tenants/{tid}/audit"),
            None,
            false,
        )
        .await
        .expect(200);
    let create = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "tenant.create")
        .unwrap();
    assert_eq!(create["actor"]["type"], "user");
    assert_eq!(create["actor"]["name"], "staff@example.com");
}

#[tokio::test]
async fn roles_and_tenant_isolation_for_users() {
    let (app, smtp) = app_with_mail().await;
    let staff = app.setup_staff().await;
    let (ta, la) = app
        .license_with(json!({"seats_total": 2, "name": "A1"}))
        .await;
    let (tb, lb) = app
        .license_with(json!({"seats_total": 2, "name": "B1"}))
        .await;
    let owner = app
        .invite_and_accept(&smtp, &staff, &ta, "owner@a.example.com", "owner")
        .await;
    let viewer = app
        .invite_and_accept(&smtp, &owner, &ta, "viewer@a.example.com", "viewer")
        .await;
    assert_eq!(viewer.user["memberships"][0]["role"], "viewer");
    assert_eq!(viewer.user["memberships"][0]["tenant_id"], ta.as_str());
    let la_path = format!(
        "/api/v1/tenants/{ta}/licenses/{}",
        la["id"].as_str().unwrap()
    );

    // A viewer reads without the key and cannot edit.
    let seen = app
        .web(&viewer, "GET", &la_path, None, false)
        .await
        .expect(200);
    assert!(seen["license_key"].is_null());
    app.web(
        &viewer,
        "PATCH",
        &la_path,
        Some(json!({"seats_total": 5})),
        true,
    )
    .await
    .expect_error(403, "forbidden");
    // An owner edits and sees the key.
    let edited = app
        .web(
            &owner,
            "PATCH",
            &la_path,
            Some(json!({"seats_total": 5})),
            true,
        )
        .await
        .expect(200);
    assert_eq!(edited["seats_total"], 5);
    assert!(edited["license_key"].is_string());

    // Tenant B does not exist for A's people: 404, before any role check.
    let lb_path = format!(
        "/api/v1/tenants/{tb}/licenses/{}",
        lb["id"].as_str().unwrap()
    );
    for s in [&owner, &viewer] {
        app.web(s, "GET", &lb_path, None, false)
            .await
            .expect_error(404, "not_found");
        app.web(s, "PATCH", &lb_path, Some(json!({"seats_total": 9})), true)
            .await
            .expect_error(404, "not_found");
        app.web(
            s,
            "GET",
            &format!("/api/v1/tenants/{tb}/analytics"),
            None,
            false,
        )
        .await
        .expect_error(404, "not_found");
        app.web(s, "GET", "/api/v1/tenants", None, false)
            .await
            .expect_error(403, "forbidden");
        app.web(s, "GET", "/api/v1/users", None, false)
            .await
            .expect_error(403, "forbidden");
    }

    // Members of A, and the last-owner rule.
    let members = app
        .web(
            &viewer,
            "GET",
            &format!("/api/v1/tenants/{ta}/users"),
            None,
            false,
        )
        .await
        .expect(200);
    assert_eq!(members["items"].as_array().unwrap().len(), 2);
    let owner_id = owner.user["id"].as_str().unwrap();
    app.web(
        &owner,
        "PATCH",
        &format!("/api/v1/tenants/{ta}/users/{owner_id}"),
        Some(json!({"role": "viewer"})),
        true,
    )
    .await
    .expect_error(409, "conflict");
    let viewer_id = viewer.user["id"].as_str().unwrap();
    let promoted = app
        .web(
            &owner,
            "PATCH",
            &format!("/api/v1/tenants/{ta}/users/{viewer_id}"),
            Some(json!({"role": "admin"})),
            true,
        )
        .await
        .expect(200);
    assert_eq!(promoted["role"], "admin");
    // An admin member may not touch owners.
    app.web(
        &viewer,
        "DELETE",
        &format!("/api/v1/tenants/{ta}/users/{owner_id}"),
        None,
        true,
    )
    .await
    .expect_error(403, "forbidden");
    let removed = app
        .web(
            &owner,
            "DELETE",
            &format!("/api/v1/tenants/{ta}/users/{viewer_id}"),
            None,
            true,
        )
        .await
        .expect(200);
    assert_eq!(removed["id"], viewer_id);
    app.web(&viewer, "GET", &la_path, None, false)
        .await
        .expect_error(404, "not_found");
    let audit = app
        .admin("GET", &format!("/api/v1/tenants/{ta}/audit"), None)
        .await
        .expect(200);
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "invitation.create",
        "member.add",
        "member.update",
        "member.remove",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let users = app
        .web(&staff, "GET", "/api/v1/users", None, false)
        .await
        .expect(200);
    assert_eq!(users["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn invitation_mail_arrives_and_works_once() {
    let (app, smtp) = app_with_mail().await;
    let staff = app.setup_staff().await;
    let t = app.create_tenant("mailco").await;
    let tid = t["id"].as_str().unwrap();
    let inv = app
        .web(
            &staff,
            "POST",
            &format!("/api/v1/tenants/{tid}/invitations"),
            Some(json!({"email": "New@Mail.example.com", "role": "admin"})),
            true,
        )
        .await
        .expect(201);
    assert_eq!(inv["email"], "new@mail.example.com");
    assert_eq!(inv["role"], "admin");
    let mail = smtp.mail_to("new@mail.example.com", 10).await;
    assert!(mail.data.contains("mailco"), "{}", mail.data);
    assert!(mail.data.contains("/dashboard/accept-invitation?token="));
    let token = mail.token();
    assert_eq!(token.len(), 43);
    let accept =
        |password: &str| json!({"token": token, "name": "New Person", "password": password});
    app.call(
        "POST",
        "/api/v1/invitations/accept",
        None,
        Some(accept("short")),
    )
    .await
    .expect_error(422, "validation_error");
    let ok = app
        .call(
            "POST",
            "/api/v1/invitations/accept",
            None,
            Some(accept("new-password-1")),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let s = WebSession::from_reply(ok);
    assert_eq!(s.user["memberships"][0]["role"], "admin");
    app.call(
        "POST",
        "/api/v1/invitations/accept",
        None,
        Some(accept("new-password-1")),
    )
    .await
    .expect_error(410, "token_expired");
    app.call(
        "POST",
        "/api/v1/invitations/accept",
        None,
        Some(json!({"token": "x".repeat(43), "name": "N", "password": "new-password-1"})),
    )
    .await
    .expect_error(404, "not_found");
    assert_eq!(
        app.login("new@mail.example.com", "new-password-1")
            .await
            .status,
        200
    );
    // An existing account joins a second tenant with its own password, not a new one.
    let t2 = app.create_tenant("second").await;
    let t2id = t2["id"].as_str().unwrap();
    app.web(
        &staff,
        "POST",
        &format!("/api/v1/tenants/{t2id}/invitations"),
        Some(json!({"email": "new@mail.example.com", "role": "viewer"})),
        true,
    )
    .await
    .expect(201);
    smtp.wait_for(2, 10).await;
    let token2 = smtp.mail_to("new@mail.example.com", 10).await.token();
    assert_ne!(token2, token);
    app.call(
        "POST",
        "/api/v1/invitations/accept",
        None,
        Some(json!({"token": token2, "password": "wrong-password-1"})),
    )
    .await
    .expect_error(401, "invalid_credentials");
    let joined = app
        .call(
            "POST",
            "/api/v1/invitations/accept",
            None,
            Some(json!({"token": token2, "password": "new-password-1"})),
        )
        .await
        .expect(200);
    assert_eq!(joined["user"]["memberships"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn password_reset_by_mail() {
    let (app, smtp) = app_with_mail().await;
    let staff = app.setup_staff().await;
    for email in ["staff@example.com", "nobody@example.com"] {
        app.call(
            "POST",
            "/api/v1/auth/password-reset",
            None,
            Some(json!({"email": email})),
        )
        .await
        .expect(202);
    }
    let mail = smtp.mail_to("staff@example.com", 10).await;
    assert!(mail.data.contains("/dashboard/reset-password?token="));
    let token = mail.token();
    // No mail for an address without an account.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.mails.lock().unwrap().len(), 1);

    let confirm = |password: &str| json!({"token": token, "password": password});
    app.call(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        None,
        Some(confirm("short")),
    )
    .await
    .expect_error(422, "validation_error");
    let ok = app
        .call(
            "POST",
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(confirm("brand-new-password")),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    WebSession::from_reply(ok);
    // The old session ended with the reset; the old password no longer works.
    app.web(&staff, "GET", "/api/v1/auth/me", None, false)
        .await
        .expect_error(401, "unauthorized");
    app.login("staff@example.com", "staff-password-1")
        .await
        .expect_error(401, "invalid_credentials");
    assert_eq!(
        app.login("staff@example.com", "brand-new-password")
            .await
            .status,
        200
    );
    app.call(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        None,
        Some(confirm("another-password-1")),
    )
    .await
    .expect_error(410, "token_expired");
    app.call(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        None,
        Some(json!({"token": "y".repeat(43), "password": "another-password-1"})),
    )
    .await
    .expect_error(404, "not_found");
}

#[tokio::test]
async fn mail_queued_while_the_smtp_server_is_down_is_delivered_later() {
    // A port nobody listens on yet.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = spawn_app_with(move |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let staff = app.setup_staff().await;
    let t = app.create_tenant("outage").await;
    let tid = t["id"].as_str().unwrap();
    app.web(
        &staff,
        "POST",
        &format!("/api/v1/tenants/{tid}/invitations"),
        Some(json!({"email": "late@example.com", "role": "viewer"})),
        true,
    )
    .await
    .expect(201);
    let store = app.server.as_ref().unwrap().state.store.clone();
    // Wait until delivery failed at least twice: the mail is still queued.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let c = store.outbox_counts().await.unwrap();
        assert_eq!(c.sent, 0);
        if c.pending == 1 && c.pending_attempts >= 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed attempt: {c:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The mail server comes up on that port: the mail arrives, once, and is usable.
    let smtp = SmtpServer::start(port).await;
    let mail = smtp.mail_to("late@example.com", 10).await;
    // The SMTP server has the mail before the outbox records the success: wait for that.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let c = loop {
        let c = store.outbox_counts().await.unwrap();
        if c.pending == 0 || tokio::time::Instant::now() >= deadline {
            break c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!((c.pending, c.sent, c.failed), (0, 1, 0));
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(smtp.mails.lock().unwrap().len(), 1, "sent exactly once");
    app.call(
        "POST",
        "/api/v1/invitations/accept",
        None,
        Some(json!({"token": mail.token(), "name": "Late", "password": "late-password-1"})),
    )
    .await
    .expect(200);
}
