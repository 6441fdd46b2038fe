//! Safer administration: sign-in throttling per (client, account) pair that someone who
//! knows the owner's e-mail cannot use to lock the owner out, the staff unlock, more
//! than one staff account (always at least one), and deactivating users.

use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;
use crate::support::web::*;

const ATTACKER: &str = "203.0.113.9";
const OWNER: &str = "198.51.100.4";

impl TestApp {
    /// A sign-in as `client` (the trusted proxy's `X-Forwarded-For`).
    async fn login_from(&self, client: &str, email: &str, password: &str) -> Reply {
        let req = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .header("x-forwarded-for", client)
            .json(&json!({"email": email, "password": password}));
        self.send(req).await
    }
}

/// A server that takes the client address from `X-Forwarded-For` sent by 127.0.0.1 (the
/// test's own address, standing in for a reverse proxy).
async fn app_behind_proxy() -> TestApp {
    spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await
}

fn user_id(s: &WebSession) -> String {
    s.user["id"].as_str().unwrap().to_owned()
}

async fn account_log(app: &TestApp, staff: &WebSession) -> Vec<Value> {
    let log = app
        .web(staff, "GET", "/api/v1/users/audit", None, false)
        .await
        .expect(200);
    log["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn wrong_passwords_from_another_address_do_not_lock_the_owner_out() {
    let app = app_behind_proxy().await;
    let staff = app.setup_staff().await;
    for _ in 0..5 {
        app.login_from(ATTACKER, "staff@example.com", "not-the-password")
            .await
            .expect_error(401, "invalid_credentials");
    }
    // The attacker's pair is throttled, even with the right password.
    for password in ["not-the-password", "staff-password-1"] {
        let r = app
            .login_from(ATTACKER, "staff@example.com", password)
            .await;
        r.expect_error(429, "rate_limited");
        assert!(r.headers.contains_key("retry-after"));
    }
    // The owner, from their own address, signs in.
    let ok = app
        .login_from(OWNER, "staff@example.com", "staff-password-1")
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    // Staff clear the throttle: the attacker's address may try again (and fails).
    let id = user_id(&staff);
    let path = format!("/api/v1/users/{id}/unlock-sign-in");
    app.web(&staff, "POST", &path, None, true).await.expect(200);
    app.login_from(ATTACKER, "staff@example.com", "not-the-password")
        .await
        .expect_error(401, "invalid_credentials");
    let log = account_log(&app, &staff).await;
    assert_eq!(log[0]["action"], "user.unlock_sign_in");
    assert_eq!(log[0]["user_id"], id.as_str());
    assert_eq!(log[0]["actor"]["name"], "staff@example.com");
    // Without the CSRF token, or for someone else, nothing is unlocked.
    app.web(&staff, "POST", &path, None, false)
        .await
        .expect_error(403, "csrf_failed");
    app.call("POST", &path, None, None)
        .await
        .expect_error(401, "unauthorized");
    app.admin("POST", "/api/v1/users/not-a-uuid/unlock-sign-in", None)
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn one_address_is_capped_across_accounts() {
    let app = app_behind_proxy().await;
    app.setup_staff().await;
    for i in 0..20 {
        app.login_from(ATTACKER, &format!("u{i}@example.com"), "wrong-password")
            .await
            .expect_error(401, "invalid_credentials");
    }
    app.login_from(ATTACKER, "staff@example.com", "staff-password-1")
        .await
        .expect_error(429, "rate_limited");
    let ok = app
        .login_from(OWNER, "staff@example.com", "staff-password-1")
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[tokio::test]
async fn staff_promote_and_demote_and_one_active_staff_stays() {
    let (app, smtp) = app_with_mail().await;
    let staff = app.setup_staff().await;
    let tid = app.create_tenant(&unique_slug()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = app
        .invite_and_accept(&smtp, &staff, &tid, "second@example.com", "viewer")
        .await;
    let mid = user_id(&member);
    app.web(&member, "GET", "/api/v1/users", None, false)
        .await
        .expect_error(403, "forbidden");
    // A member cannot promote themselves.
    app.web(
        &member,
        "POST",
        &format!("/api/v1/users/{mid}/promote"),
        None,
        true,
    )
    .await
    .expect_error(403, "forbidden");
    let promoted = app
        .web(
            &staff,
            "POST",
            &format!("/api/v1/users/{mid}/promote"),
            None,
            true,
        )
        .await
        .expect(200);
    assert_eq!(promoted["is_staff"], true);
    // Their session is staff now: the users list opens.
    app.web(&member, "GET", "/api/v1/users", None, false)
        .await
        .expect(200);
    // The first staff user steps down; the second is now the last and cannot.
    let sid = user_id(&staff);
    let down = app
        .web(
            &member,
            "POST",
            &format!("/api/v1/users/{sid}/demote"),
            None,
            true,
        )
        .await
        .expect(200);
    assert_eq!(down["is_staff"], false);
    let last = app
        .web(
            &member,
            "POST",
            &format!("/api/v1/users/{mid}/demote"),
            None,
            true,
        )
        .await;
    last.expect_error(409, "conflict");
    assert_eq!(last.body["error"]["details"]["field"], "staff");
    assert!(last.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at least one active staff account"));
    // Nor can the last staff account be deactivated.
    app.web(
        &member,
        "POST",
        &format!("/api/v1/users/{mid}/deactivate"),
        None,
        true,
    )
    .await
    .expect_error(409, "conflict");
    let log = account_log(&app, &member).await;
    let actions: Vec<_> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["user.demote", "user.promote"]);
    assert_eq!(log[0]["before"]["is_staff"], true);
    assert_eq!(log[0]["after"]["is_staff"], false);
    app.admin(
        "POST",
        &format!("/api/v1/users/{}/promote", random_uuid()),
        None,
    )
    .await
    .expect_error(404, "not_found");
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_and_cannot_sign_in_until_reactivated() {
    let (app, smtp) = app_with_mail().await;
    let staff = app.setup_staff().await;
    let tid = app.create_tenant(&unique_slug()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = app
        .invite_and_accept(&smtp, &staff, &tid, "leaver@example.com", "admin")
        .await;
    let mid = user_id(&member);
    let token = app
        .web(
            &member,
            "POST",
            &format!("/api/v1/tenants/{tid}/tokens"),
            Some(json!({"name": "ci", "role": "read_only"})),
            true,
        )
        .await
        .expect(201)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let licenses = format!("/api/v1/tenants/{tid}/licenses");
    assert_eq!(
        app.call("GET", &licenses, Some(&token), None).await.status,
        200
    );

    let off = app
        .web(
            &staff,
            "POST",
            &format!("/api/v1/users/{mid}/deactivate"),
            None,
            true,
        )
        .await
        .expect(200);
    assert!(off["deactivated_at"].is_string());
    // The open session stops at once; the token they made stops too.
    app.web(&member, "GET", "/api/v1/auth/me", None, false)
        .await
        .expect_error(401, "unauthorized");
    app.call("GET", &licenses, Some(&token), None)
        .await
        .expect_error(401, "unauthorized");
    // The right password is refused with a clear reason; a wrong one stays a plain 401.
    let r = app.login("leaver@example.com", "member-password-1").await;
    r.expect_error(403, "forbidden");
    assert_eq!(r.body["error"]["details"]["reason"], "account_deactivated");
    app.login("leaver@example.com", "wrong-password-9")
        .await
        .expect_error(401, "invalid_credentials");
    // The staff list shows it.
    let users = app
        .web(&staff, "GET", "/api/v1/users", None, false)
        .await
        .expect(200);
    let row = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == mid.as_str())
        .unwrap()
        .clone();
    assert!(row["deactivated_at"].is_string());
    assert!(
        users["items"][0]["deactivated_at"].is_null(),
        "staff is active"
    );

    let on = app
        .web(
            &staff,
            "POST",
            &format!("/api/v1/users/{mid}/reactivate"),
            None,
            true,
        )
        .await
        .expect(200);
    assert!(on["deactivated_at"].is_null());
    let back = app.login("leaver@example.com", "member-password-1").await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(
        app.call("GET", &licenses, Some(&token), None).await.status,
        200
    );
    let log = account_log(&app, &staff).await;
    let actions: Vec<_> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["user.reactivate", "user.deactivate"]);
}

/// A token made by staff carries staff authority and no membership bounds it, so it lives
/// by its maker's account: it stops while they are deactivated and once they are no
/// longer staff (a token it made too), and works again when both are undone.
#[tokio::test]
async fn a_token_made_by_staff_stops_when_its_maker_is_deactivated_or_demoted() {
    let (app, smtp) = app_with_mail().await;
    let staff = app.setup_staff().await;
    let tid = app.create_tenant(&unique_slug()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = app
        .invite_and_accept(&smtp, &staff, &tid, "second-staff@example.com", "viewer")
        .await;
    let sid = user_id(&second);
    let as_staff = |action: &'static str| {
        let (app, staff, sid) = (&app, &staff, sid.clone());
        async move {
            let path = format!("/api/v1/users/{sid}/{action}");
            app.web(staff, "POST", &path, None, true).await.expect(200);
        }
    };
    as_staff("promote").await;
    let tokens = format!("/api/v1/tenants/{tid}/tokens");
    let made = app
        .web(
            &second,
            "POST",
            &tokens,
            Some(json!({"name": "staff-ci", "role": "admin"})),
            true,
        )
        .await
        .expect(201);
    let token = made["token"].as_str().unwrap().to_owned();
    // A token made with that token lives by the same person.
    let child = app
        .call(
            "POST",
            &tokens,
            Some(&token),
            Some(json!({"name": "child", "role": "read_only"})),
        )
        .await
        .expect(201)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let licenses = format!("/api/v1/tenants/{tid}/licenses");
    let status = |t: String| {
        let (app, licenses) = (&app, licenses.clone());
        async move { app.call("GET", &licenses, Some(&t), None).await.status }
    };
    assert_eq!(status(token.clone()).await, 200);
    assert_eq!(status(child.clone()).await, 200);

    as_staff("deactivate").await;
    assert_eq!(status(token.clone()).await, 401, "deactivated maker");
    assert_eq!(status(child.clone()).await, 401, "deactivated maker");
    as_staff("reactivate").await;
    assert_eq!(status(token.clone()).await, 200, "reactivated maker");
    assert_eq!(status(child.clone()).await, 200, "reactivated maker");

    // Demoted, they are a viewer of the tenant, no longer staff: the staff-made token
    // is not turned into a viewer's token, it stops.
    as_staff("demote").await;
    assert_eq!(status(token.clone()).await, 401, "demoted maker");
    assert_eq!(status(child.clone()).await, 401, "demoted maker");
    as_staff("promote").await;
    assert_eq!(status(token).await, 200, "promoted again");
    assert_eq!(status(child).await, 200, "promoted again");
}
