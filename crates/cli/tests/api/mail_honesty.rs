//! Issue 15 point 1: whether the server sends mail (`/auth/status`), and the invitation
//! lifecycle (list, resend, revoke, replacement of a live invitation, the public lookup of
//! a link) with its permissions and error shapes. The staff outbox is in `mail_outbox`.

use serde_json::{json, Value};

use crate::support::helpers::*;
use crate::support::web::*;

/// The token of an `accept_url` (`…/accept-invitation?token=…`).
pub(crate) fn token_of(issued: &Value) -> String {
    let url = issued["accept_url"].as_str().expect("accept_url");
    url.split("token=")
        .nth(1)
        .expect("token in the link")
        .to_owned()
}

pub(crate) async fn invite(
    app: &TestApp,
    s: &WebSession,
    tid: &str,
    email: &str,
    role: &str,
) -> Reply {
    let body = json!({"email": email, "role": role});
    let path = format!("/api/v1/tenants/{tid}/invitations");
    app.web(s, "POST", &path, Some(body), true).await
}

async fn lookup(app: &TestApp, token: &str) -> Reply {
    let body = json!({"token": token});
    app.call("POST", "/api/v1/invitations/lookup", None, Some(body))
        .await
}

pub(crate) async fn accept(app: &TestApp, token: &str) -> Reply {
    let body = json!({"token": token, "name": "Invitee", "password": "invitee-password-1"});
    app.call("POST", "/api/v1/invitations/accept", None, Some(body))
        .await
}

fn states(list: &Value) -> Vec<(String, String)> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let email = i["email"].as_str().unwrap().to_owned();
            (email, i["state"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn status_says_whether_mail_is_configured() {
    let app = spawn_app().await;
    let st = app
        .call("GET", "/api/v1/auth/status", None, None)
        .await
        .expect(200);
    assert_eq!(st["mail"], json!({"configured": false}));
    let (with_mail, _smtp) = app_with_mail().await;
    let st = with_mail
        .call("GET", "/api/v1/auth/status", None, None)
        .await
        .expect(200);
    assert_eq!(st["mail"], json!({"configured": true}));
}

#[tokio::test]
async fn inviting_again_replaces_and_resend_and_revoke_stop_old_links() {
    let app = spawn_app().await;
    let staff = app.setup_staff().await;
    let t = app.create_tenant("lifeco").await;
    let tid = t["id"].as_str().unwrap();
    let first = invite(&app, &staff, tid, "Ann@Example.com", "viewer")
        .await
        .expect(201);
    assert_eq!(first["mail_configured"], false, "no SMTP: queued, not sent");
    assert!(first["accept_url"]
        .as_str()
        .unwrap()
        .contains("/dashboard/accept-invitation?token="));
    let second = invite(&app, &staff, tid, "ann@example.com", "admin")
        .await
        .expect(201);
    let list_path = format!("/api/v1/tenants/{tid}/invitations");
    let list = app
        .web(&staff, "GET", &list_path, None, false)
        .await
        .expect(200);
    let ann = "ann@example.com".to_owned();
    assert_eq!(
        states(&list),
        vec![
            (ann.clone(), "pending".into()),
            (ann.clone(), "replaced".into())
        ],
        "one live invitation per address, newest first"
    );
    // The replaced link is refused, and the lookup says why; the new one says what it is for.
    accept(&app, &token_of(&first))
        .await
        .expect_error(410, "token_expired");
    let old = lookup(&app, &token_of(&first)).await.expect(200);
    assert_eq!(old["state"], "replaced");
    let live = lookup(&app, &token_of(&second)).await.expect(200);
    assert_eq!(
        live,
        json!({"tenant_name": "lifeco", "role": "admin", "email": ann, "state": "pending"}),
        "the lookup tells no more than tenant name, role, e-mail and state"
    );
    // Resend: a new link; the previous one stops working.
    let sid = second["id"].as_str().unwrap();
    let resent = app
        .web(
            &staff,
            "POST",
            &format!("{list_path}/{sid}/resend"),
            None,
            true,
        )
        .await
        .expect(201);
    assert_ne!(token_of(&resent), token_of(&second));
    assert_eq!(
        lookup(&app, &token_of(&second)).await.expect(200)["state"],
        "replaced"
    );
    let again = app
        .web(
            &staff,
            "POST",
            &format!("{list_path}/{sid}/resend"),
            None,
            true,
        )
        .await;
    again.expect_error(409, "conflict");
    assert_eq!(again.body["error"]["details"]["state"], "replaced");
    // Revoke: the link stops at once, audited; a second revoke is a conflict.
    let rid = resent["id"].as_str().unwrap();
    let revoked = app
        .web(&staff, "DELETE", &format!("{list_path}/{rid}"), None, true)
        .await
        .expect(200);
    assert_eq!(revoked["state"], "revoked");
    accept(&app, &token_of(&resent))
        .await
        .expect_error(410, "token_expired");
    assert_eq!(
        lookup(&app, &token_of(&resent)).await.expect(200)["state"],
        "revoked"
    );
    app.web(&staff, "DELETE", &format!("{list_path}/{rid}"), None, true)
        .await
        .expect_error(409, "conflict");
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
    let revokes = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "invitation.revoke" && e["resource_id"] == rid)
        .count();
    assert_eq!(revokes, 1, "{audit}");
    // A revoked invitation can be sent again; the new link works once, then is accepted.
    let fresh = app
        .web(
            &staff,
            "POST",
            &format!("{list_path}/{rid}/resend"),
            None,
            true,
        )
        .await
        .expect(201);
    accept(&app, &token_of(&fresh)).await.expect(200);
    assert_eq!(
        lookup(&app, &token_of(&fresh)).await.expect(200)["state"],
        "accepted"
    );
    let fid = fresh["id"].as_str().unwrap();
    for (method, path) in [
        ("DELETE", format!("{list_path}/{fid}")),
        ("POST", format!("{list_path}/{fid}/resend")),
    ] {
        app.web(&staff, method, &path, None, true)
            .await
            .expect_error(409, "conflict");
    }
    let accepted = app
        .web(
            &staff,
            "GET",
            &format!("{list_path}?state=accepted"),
            None,
            false,
        )
        .await
        .expect(200);
    assert_eq!(states(&accepted), vec![(ann, "accepted".into())]);
}

#[tokio::test]
async fn invitation_endpoints_refuse_bad_input_and_foreign_callers() {
    let app = spawn_app().await;
    let staff = app.setup_staff().await;
    let (a, b) = (
        app.create_tenant("acorp").await,
        app.create_tenant("bcorp").await,
    );
    let (aid, bid) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    // A viewer of A, and an owner of B.
    let viewer_inv = invite(&app, &staff, aid, "viewer@a.example", "viewer")
        .await
        .expect(201);
    let viewer = WebSession::from_reply(accept(&app, &token_of(&viewer_inv)).await);
    let owner_inv = invite(&app, &staff, bid, "owner@b.example", "owner")
        .await
        .expect(201);
    let b_owner = WebSession::from_reply(accept(&app, &token_of(&owner_inv)).await);
    let pending = invite(&app, &staff, aid, "new@a.example", "admin")
        .await
        .expect(201);
    let pid = pending["id"].as_str().unwrap();
    let a_path = format!("/api/v1/tenants/{aid}/invitations");
    // The viewer reads the list but may not revoke or resend.
    let seen = app
        .web(&viewer, "GET", &a_path, None, false)
        .await
        .expect(200);
    assert_eq!(seen["items"].as_array().unwrap().len(), 2);
    app.web(&viewer, "DELETE", &format!("{a_path}/{pid}"), None, true)
        .await
        .expect_error(403, "forbidden");
    app.web(
        &viewer,
        "POST",
        &format!("{a_path}/{pid}/resend"),
        None,
        true,
    )
    .await
    .expect_error(403, "forbidden");
    // B's owner does not see tenant A at all, nor A's invitation under B.
    app.web(&b_owner, "GET", &a_path, None, false)
        .await
        .expect_error(404, "not_found");
    app.web(&b_owner, "DELETE", &format!("{a_path}/{pid}"), None, true)
        .await
        .expect_error(404, "not_found");
    let b_path = format!("/api/v1/tenants/{bid}/invitations");
    app.web(&b_owner, "DELETE", &format!("{b_path}/{pid}"), None, true)
        .await
        .expect_error(404, "not_found");
    app.web(
        &b_owner,
        "POST",
        &format!("{b_path}/{pid}/resend"),
        None,
        true,
    )
    .await
    .expect_error(404, "not_found");
    app.web(
        &staff,
        "DELETE",
        &format!("{a_path}/not-a-uuid"),
        None,
        true,
    )
    .await
    .expect_error(404, "not_found");
    // An admin member manages admin and viewer invitations, but not an owner's.
    let admin_inv = invite(&app, &staff, aid, "admin@a.example", "admin")
        .await
        .expect(201);
    let admin = WebSession::from_reply(accept(&app, &token_of(&admin_inv)).await);
    let owner_pending = invite(&app, &staff, aid, "boss@a.example", "owner")
        .await
        .expect(201);
    let oid = owner_pending["id"].as_str().unwrap();
    for (method, path) in [
        ("DELETE", format!("{a_path}/{oid}")),
        ("POST", format!("{a_path}/{oid}/resend")),
    ] {
        app.web(&admin, method, &path, None, true)
            .await
            .expect_error(403, "forbidden");
    }
    let resent = app
        .web(
            &admin,
            "POST",
            &format!("{a_path}/{pid}/resend"),
            None,
            true,
        )
        .await
        .expect(201);
    // Still pending after all that (under its newest link).
    let pending = resent;
    assert_eq!(
        lookup(&app, &token_of(&pending)).await.expect(200)["state"],
        "pending"
    );
    // Bad filters and bodies get the contract's 422; unknown tokens a 404.
    let bad = app
        .web(&staff, "GET", &format!("{a_path}?state=used"), None, false)
        .await;
    bad.expect_error(422, "validation_error");
    assert!(bad.body["error"]["details"]["fields"]["state"].is_string());
    let empty = app
        .call("POST", "/api/v1/invitations/lookup", None, Some(json!({})))
        .await;
    empty.expect_error(422, "validation_error");
    assert!(empty.body["error"]["details"]["fields"]["token"].is_string());
    lookup(&app, &"x".repeat(43))
        .await
        .expect_error(404, "not_found");
}
