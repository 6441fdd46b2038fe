//! Regression tests of the security review's findings (issue 16): each fails on the code
//! the review found and passes after its fix.

use serde_json::json;

use crate::helpers::*;
use crate::web::*;

/// Finding 1: an admin member's token carried the rights of an admin token, which
/// bypassed the owner rule; and it kept working after the member was demoted or removed.
#[tokio::test]
async fn a_members_token_never_does_more_than_the_member() {
    let (app, smtp) = app_with_mail().await;
    let staff = app.setup_staff().await;
    let (ta, license) = app.license_with(json!({"seats_total": 2})).await;
    let owner = app
        .invite_and_accept(&smtp, &staff, &ta, "owner@t.example.com", "owner")
        .await;
    let admin = app
        .invite_and_accept(&smtp, &owner, &ta, "admin@t.example.com", "admin")
        .await;
    let owner_id = owner.user["id"].as_str().unwrap().to_owned();
    let admin_id = admin.user["id"].as_str().unwrap().to_owned();

    // The admin member mints an admin token, and through it a second one.
    let minted = app
        .web(
            &admin,
            "POST",
            &format!("/api/v1/tenants/{ta}/tokens"),
            Some(json!({"name": "mine", "role": "admin"})),
            true,
        )
        .await
        .expect(201);
    let token = minted["token"].as_str().unwrap().to_owned();
    let chained = app
        .call(
            "POST",
            &format!("/api/v1/tenants/{ta}/tokens"),
            Some(&token),
            Some(json!({"name": "chained", "role": "admin"})),
        )
        .await
        .expect(201);
    let chained = chained["token"].as_str().unwrap().to_owned();

    // Neither token may make its maker an owner, remove the owner, or invite an owner.
    for t in [&token, &chained] {
        app.call(
            "PATCH",
            &format!("/api/v1/tenants/{ta}/users/{admin_id}"),
            Some(t),
            Some(json!({"role": "owner"})),
        )
        .await
        .expect_error(403, "forbidden");
        app.call(
            "DELETE",
            &format!("/api/v1/tenants/{ta}/users/{owner_id}"),
            Some(t),
            None,
        )
        .await
        .expect_error(403, "forbidden");
        app.call(
            "POST",
            &format!("/api/v1/tenants/{ta}/invitations"),
            Some(t),
            Some(json!({"email": "x@t.example.com", "role": "owner"})),
        )
        .await
        .expect_error(403, "forbidden");
    }
    let members = app
        .admin("GET", &format!("/api/v1/tenants/{ta}/users"), None)
        .await
        .expect(200);
    let roles: Vec<(String, String)> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(roles.contains(&(owner_id.clone(), "owner".into())));
    assert!(roles.contains(&(admin_id.clone(), "admin".into())));

    // The tokens are listed with the member they act for, so they can be revoked.
    let listed = app
        .admin("GET", &format!("/api/v1/tenants/{ta}/tokens"), None)
        .await
        .expect(200);
    let by_admin = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["created_by_user_id"] == admin_id.as_str())
        .count();
    assert_eq!(by_admin, 2, "{listed}");

    // Demoted to viewer: the tokens read, and write nothing.
    let lpath = format!(
        "/api/v1/tenants/{ta}/licenses/{}",
        license["id"].as_str().unwrap()
    );
    app.call(
        "PATCH",
        &lpath,
        Some(&token),
        Some(json!({"seats_total": 3})),
    )
    .await
    .expect(200);
    app.web(
        &owner,
        "PATCH",
        &format!("/api/v1/tenants/{ta}/users/{admin_id}"),
        Some(json!({"role": "viewer"})),
        true,
    )
    .await
    .expect(200);
    for t in [&token, &chained] {
        app.call("GET", &lpath, Some(t), None).await.expect(200);
        app.call("PATCH", &lpath, Some(t), Some(json!({"seats_total": 4})))
            .await
            .expect_error(403, "forbidden");
    }

    // Removed: the tokens authenticate nothing.
    app.web(
        &owner,
        "DELETE",
        &format!("/api/v1/tenants/{ta}/users/{admin_id}"),
        None,
        true,
    )
    .await
    .expect(200);
    for t in [&token, &chained] {
        app.call("GET", &lpath, Some(t), None)
            .await
            .expect_error(401, "unauthorized");
    }

    // An owner's token may still manage owners while its maker is one.
    let owner_token = app
        .web(
            &owner,
            "POST",
            &format!("/api/v1/tenants/{ta}/tokens"),
            Some(json!({"name": "owner's", "role": "admin"})),
            true,
        )
        .await
        .expect(201);
    app.call(
        "POST",
        &format!("/api/v1/tenants/{ta}/invitations"),
        Some(owner_token["token"].as_str().unwrap()),
        Some(json!({"email": "second-owner@t.example.com", "role": "owner"})),
    )
    .await
    .expect(201);
}

/// Finding 2: offline verification accepted a token of any license on the same server,
/// so tenant B's admin could hand tenant A's application a token with B's entitlements.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_verification_accepts_only_the_clients_own_license() {
    let app = spawn_app().await;
    let (_, a) = app
        .license_with(json!({"seats_total": 1, "entitlements": ["basic"]}))
        .await;
    let (_, b) = app
        .license_with(json!({"seats_total": 1, "entitlements": ["enterprise"]}))
        .await;
    let key_a = a["license_key"].as_str().unwrap();
    let key_b = b["license_key"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();

    // A's application holds a seat, so its JWKS cache is filled.
    let client_a = crate::sdk::sdk_client(&app, key_a, "same-host", dir.path());
    let lease = client_a.acquire().await.expect("A acquires");
    let own = client_a
        .verify_offline(&lease.token())
        .expect("A's own token verifies");
    assert_eq!(own.claims.lid, a["id"].as_str().unwrap());
    assert_eq!(
        own.claims.kaud,
        coditect_domain::license_audience(key_a),
        "the token names its license's key audience"
    );

    // B's token, for the same hardware id, signed by the same server keys.
    let seat_b = app.acquire(key_b, "same-host").await.expect(201);
    let token_b = seat_b["token"].as_str().unwrap();
    match client_a.verify_offline(token_b) {
        Err(coditect_license_client::Error::InvalidToken(m)) => {
            assert!(m.contains("another license"), "{m}")
        }
        other => panic!("A's client accepted B's token: {other:?}"),
    }
    // The same through the CLI.
    let cache = dir.path().join("jwks.json");
    let (code, _, err) = crate::cli_client::run(
        &app,
        key_a,
        &cache,
        &["verify", "--token", token_b, "--any-hardware"],
    )
    .await;
    assert_eq!(code, 1, "the CLI accepted B's token");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("another license"),
        "{err}"
    );
    // A verifier without a license checks nothing.
    let jwks = std::fs::read_to_string(&cache).unwrap();
    let unbound = coditect_license_client::Verifier::from_jwks_json(&jwks).unwrap();
    assert!(unbound.verify(&lease.token()).is_err());
    lease.release().await.unwrap();
}
