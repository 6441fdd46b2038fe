//! Tenants and tokens: shapes, roles, scope, revocation, and the 401/403/404/409 codes.

use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;

#[tokio::test]
async fn tenants_create_list_get_and_slug_conflict() {
    let app = spawn_app().await;
    let r = app
        .admin(
            "POST",
            "/api/v1/tenants",
            Some(json!({"name": "Acme Corp", "slug": "acme"})),
        )
        .await;
    let t = r.expect(201);
    assert_keys(&t, TENANT_FIELDS);
    assert_uuid(&t["id"], "id");
    assert_eq!(t["name"], "Acme Corp");
    assert_eq!(t["slug"], "acme");
    assert_time(&t["created_at"], "created_at");
    let tid = t["id"].as_str().unwrap();

    let dup = app
        .admin(
            "POST",
            "/api/v1/tenants",
            Some(json!({"name": "Other", "slug": "acme"})),
        )
        .await;
    dup.expect_error(409, "conflict");

    let got = app
        .admin("GET", &format!("/api/v1/tenants/{tid}"), None)
        .await
        .expect(200);
    assert_eq!(got, t);
    let page = app.admin("GET", "/api/v1/tenants", None).await.expect(200);
    assert_keys(&page, &["items", "next_cursor"]);
    assert_eq!(page["items"], json!([t]));
    assert_eq!(page["next_cursor"], Value::Null);

    app.admin("GET", &format!("/api/v1/tenants/{}", random_uuid()), None)
        .await
        .expect_error(404, "not_found");
    app.admin("GET", "/api/v1/tenants/not-a-uuid", None)
        .await
        .expect_error(404, "not_found");
    for body in [
        json!({"name": "x", "slug": "Upper"}),
        json!({"name": "x", "slug": ""}),
        json!({"name": "x", "slug": "a".repeat(64)}),
        json!({"name": "", "slug": "ok"}),
        json!({"slug": "ok"}),
        json!({"name": "x"}),
    ] {
        let r = app
            .admin("POST", "/api/v1/tenants", Some(body.clone()))
            .await;
        r.expect_error(422, "validation_error");
        assert!(r.body["error"]["details"]["fields"].is_object(), "{body}");
    }
    // 63 characters is the longest slug.
    app.admin(
        "POST",
        "/api/v1/tenants",
        Some(json!({"name": "x", "slug": "a".repeat(63)})),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn tenant_tokens_see_only_their_own_tenant_and_no_superadmin_endpoint() {
    let app = spawn_app().await;
    let a = app.tenant_fixture().await;
    let b = app.tenant_fixture().await;
    for tok in [&a.admin, &a.reader] {
        let own = app
            .call("GET", &format!("/api/v1/tenants/{}", a.id), Some(tok), None)
            .await
            .expect(200);
        assert_eq!(own["id"], a.id.as_str());
        app.call("GET", &format!("/api/v1/tenants/{}", b.id), Some(tok), None)
            .await
            .expect_error(404, "not_found");
        app.call("GET", "/api/v1/tenants", Some(tok), None)
            .await
            .expect_error(403, "forbidden");
        app.call(
            "POST",
            "/api/v1/tenants",
            Some(tok),
            Some(json!({"name": "n", "slug": unique_slug()})),
        )
        .await
        .expect_error(403, "forbidden");
        for path in ["tokens", "licenses", "audit"] {
            app.call(
                "GET",
                &format!("/api/v1/tenants/{}/{path}", b.id),
                Some(tok),
                None,
            )
            .await
            .expect_error(404, "not_found");
            app.call(
                "GET",
                &format!("/api/v1/tenants/{}/{path}", random_uuid()),
                Some(tok),
                None,
            )
            .await
            .expect_error(404, "not_found");
        }
    }
}

#[tokio::test]
async fn tokens_create_list_revoke() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let other = app.tenant_fixture().await;
    let tokens_path = format!("/api/v1/tenants/{}/tokens", t.id);

    // An admin token may mint tokens in its own tenant; the secret is shown only here.
    let created = app
        .call(
            "POST",
            &tokens_path,
            Some(&t.admin),
            Some(json!({"name": "deploy", "role": "admin"})),
        )
        .await
        .expect(201);
    assert_keys(&created, &["id", "name", "role", "created_at", "token"]);
    assert_uuid(&created["id"], "id");
    assert_eq!(created["name"], "deploy");
    assert_eq!(created["role"], "admin");
    assert_time(&created["created_at"], "created_at");
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32, "a high-entropy secret");
    let new_id = created["id"].as_str().unwrap().to_owned();

    let listed = app.collect_pages(&tokens_path, &t.reader, 50).await;
    assert_eq!(listed.len(), 3);
    let text = serde_json::to_string(&listed).unwrap();
    for s in [&secret, &t.admin, &t.reader] {
        assert!(!text.contains(s.as_str()), "a token secret is listed");
    }
    for tok in &listed {
        assert_has_keys(tok, &["id", "name", "role", "created_at"]);
        assert!(tok.get("token").is_none(), "no secret field: {tok}");
        assert!(["admin", "read_only"].contains(&tok["role"].as_str().unwrap()));
        assert_time(&tok["created_at"], "created_at");
    }
    let ids: Vec<_> = listed.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [&t.admin_id, &t.reader_id, &new_id], "oldest first");

    // The new token works, and stops working the moment it is revoked.
    app.call("GET", &tokens_path, Some(&secret), None)
        .await
        .expect(200);
    let revoked = app
        .call(
            "DELETE",
            &format!("{tokens_path}/{new_id}"),
            Some(&t.admin),
            None,
        )
        .await
        .expect(200);
    assert_eq!(revoked["id"], new_id.as_str());
    app.call("GET", &tokens_path, Some(&secret), None)
        .await
        .expect_error(401, "unauthorized");
    // Revoking again is harmless.
    app.call(
        "DELETE",
        &format!("{tokens_path}/{new_id}"),
        Some(&t.admin),
        None,
    )
    .await
    .expect(200);

    // Another tenant's token, an unknown one, a malformed id: 404 not_found.
    for id in [other.admin_id.clone(), random_uuid(), "xyz".to_owned()] {
        app.admin("DELETE", &format!("{tokens_path}/{id}"), None)
            .await
            .expect_error(404, "not_found");
    }
    app.call(
        "DELETE",
        &format!("/api/v1/tenants/{}/tokens/{}", other.id, other.admin_id),
        Some(&t.admin),
        None,
    )
    .await
    .expect_error(404, "not_found");
    // The other tenant's token still works: nothing was revoked across tenants.
    app.call(
        "GET",
        &format!("/api/v1/tenants/{}/tokens", other.id),
        Some(&other.admin),
        None,
    )
    .await
    .expect(200);

    // read_only may not write.
    app.call(
        "POST",
        &tokens_path,
        Some(&t.reader),
        Some(json!({"name": "x", "role": "read_only"})),
    )
    .await
    .expect_error(403, "forbidden");
    app.call(
        "DELETE",
        &format!("{tokens_path}/{}", t.admin_id),
        Some(&t.reader),
        None,
    )
    .await
    .expect_error(403, "forbidden");

    for body in [
        json!({"name": "x", "role": "superadmin"}),
        json!({"name": "x", "role": "owner"}),
        json!({"name": "x"}),
        json!({"role": "admin"}),
        json!({"name": "x", "role": null}),
    ] {
        app.call("POST", &tokens_path, Some(&t.admin), Some(body))
            .await
            .expect_error(422, "validation_error");
    }
}

#[tokio::test]
async fn missing_malformed_unknown_and_revoked_tokens_are_401() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let path = format!("/api/v1/tenants/{}/licenses", t.id);
    app.call("GET", &path, None, None)
        .await
        .expect_error(401, "unauthorized");
    app.call("GET", &path, Some("not-a-real-token"), None)
        .await
        .expect_error(401, "unauthorized");
    for header in [
        format!("Basic {}", t.admin),
        t.admin.clone(),
        "Bearer ".to_owned(),
        "Bearer".to_owned(),
    ] {
        let r = app
            .send(app.http.get(app.url(&path)).header("authorization", header))
            .await;
        r.expect_error(401, "unauthorized");
    }
    // The scheme is case-insensitive (RFC 9110); the token is not.
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = app
            .send(
                app.http
                    .get(app.url(&path))
                    .header("authorization", format!("{scheme} {}", t.reader)),
            )
            .await;
        r.expect(200);
    }
    let r = app
        .send(app.http.get(app.url(&path)).header(
            "authorization",
            format!("Bearer {}", t.reader.to_uppercase()),
        ))
        .await;
    r.expect_error(401, "unauthorized");
    app.call(
        "DELETE",
        &format!("/api/v1/tenants/{}/tokens/{}", t.id, t.reader_id),
        Some(&t.admin),
        None,
    )
    .await
    .expect(200);
    app.call("GET", &path, Some(&t.reader), None)
        .await
        .expect_error(401, "unauthorized");
    // A token may revoke itself, and is refused at once afterwards.
    app.call(
        "DELETE",
        &format!("/api/v1/tenants/{}/tokens/{}", t.id, t.admin_id),
        Some(&t.admin),
        None,
    )
    .await
    .expect(200);
    app.call("GET", &path, Some(&t.admin), None)
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_creates_of_one_slug_give_one_tenant_and_conflicts() {
    let app = spawn_app().await;
    let replies = futures::future::join_all((0..20).map(|i| {
        app.admin(
            "POST",
            "/api/v1/tenants",
            Some(json!({"name": format!("racer {i}"), "slug": "contested"})),
        )
    }))
    .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "exactly one tenant gets the slug");
    for r in replies.iter().filter(|r| r.status != 201) {
        r.expect_error(409, "conflict");
    }
    let all = app.collect_pages("/api/v1/tenants", ADMIN_TOKEN, 200).await;
    assert_eq!(all.len(), 1);
}
