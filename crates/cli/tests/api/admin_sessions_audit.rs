//! Sessions as admins see them, forced release, and the audit log: every action, its actor,
//! and that no key or secret ever reaches it.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;

#[tokio::test]
async fn forced_release_frees_the_seat_and_is_repeatable() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let other = app.tenant_fixture().await;
    let l = app.create_license(&t.id, json!({"seats_total": 1})).await;
    let (key, lid) = key_and_id(&l);
    let s = app.take_seat(&key, "hw").await;
    let sid = s["session_id"].as_str().unwrap();
    let path = format!("/api/v1/tenants/{}/sessions/{sid}", t.id);

    app.call("DELETE", &path, Some(&t.reader), None)
        .await
        .expect_error(403, "forbidden");
    // Another tenant's path or token: not found, and the seat stays taken.
    app.call(
        "DELETE",
        &format!("/api/v1/tenants/{}/sessions/{sid}", other.id),
        Some(&other.admin),
        None,
    )
    .await
    .expect_error(404, "session_not_found");
    app.call("DELETE", &path, Some(&other.admin), None)
        .await
        .expect_error(404, "not_found");
    for id in [random_uuid(), "nope".into()] {
        app.call(
            "DELETE",
            &format!("/api/v1/tenants/{}/sessions/{id}", t.id),
            Some(&t.admin),
            None,
        )
        .await
        .expect_error(404, "session_not_found");
    }
    assert_eq!(app.seats_used(&t.id, &lid).await, 1);

    let released = app
        .call("DELETE", &path, Some(&t.admin), None)
        .await
        .expect(200);
    assert_session_shape(&released);
    assert_keys(&released, SESSION_FIELDS);
    assert_eq!(released["id"], sid);
    assert_eq!(released["status"], "released");
    assert_eq!(released["end_reason"], "forced");
    assert_time(&released["ended_at"], "ended_at");
    assert_eq!(app.seats_used(&t.id, &lid).await, 0, "the seat is free");
    app.take_seat(&key, "next").await;

    let again = app
        .call("DELETE", &path, Some(&t.admin), None)
        .await
        .expect(200);
    assert_eq!(
        again, released,
        "repeated, the session comes back unchanged"
    );
    let forced: Vec<_> = app
        .audit_entries(&t.id)
        .await
        .into_iter()
        .filter(|e| e["action"] == "session.force_release")
        .collect();
    assert_eq!(forced.len(), 1, "a repeated release is not audited again");

    // The client learns why.
    let r = app.heartbeat(&key, sid).await;
    r.expect_error(410, "session_released");
    assert_eq!(r.body["error"]["details"]["reason"], "forced");
    let rel = app.release(&key, sid).await.expect(200);
    assert_eq!(rel["released"], false);
}

#[tokio::test]
async fn session_listing_filters_by_status() {
    let app = spawn_app_with(|c| c.reaper_interval = Duration::from_secs(3600)).await;
    let (tid, l) = app
        .license_with(json!({"seats_total": 10, "heartbeat_ttl_seconds": 1}))
        .await;
    let (key, lid) = key_and_id(&l);
    let expiring = app.take_seat(&key, "will-expire").await;
    let received = std::time::Instant::now();
    app.patch_license(&tid, &lid, json!({"heartbeat_ttl_seconds": 600}))
        .await;
    let live = app.take_seat(&key, "live").await;
    let rel = app.take_seat(&key, "released").await;
    app.release(&key, rel["session_id"].as_str().unwrap())
        .await
        .expect(200);
    let forced = app.take_seat(&key, "forced").await;
    app.admin(
        "DELETE",
        &format!(
            "/api/v1/tenants/{tid}/sessions/{}",
            forced["session_id"].as_str().unwrap()
        ),
        None,
    )
    .await
    .expect(200);
    sleep_until_expired(&expiring, received).await;

    let base = format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions");
    let ids = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = app.collect_pages(&base, ADMIN_TOKEN, 50).await;
    assert_eq!(all.len(), 4);
    all.iter().for_each(assert_session_shape);
    let sid = |v: &Value| v["session_id"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&all),
        [sid(&expiring), sid(&live), sid(&rel), sid(&forced)],
        "oldest first"
    );
    // Not reaped yet (the reaper waits an hour), but reported expired everywhere.
    assert_eq!(all[0]["status"], "expired");
    assert_eq!(all[0]["end_reason"], "expired");
    assert_eq!(all[0]["ended_at"], all[0]["expires_at"]);
    assert_eq!(all[2]["end_reason"], "released");
    assert_eq!(all[3]["end_reason"], "forced");

    let active = app
        .collect_pages(&format!("{base}?status=active"), ADMIN_TOKEN, 50)
        .await;
    assert_eq!(ids(&active), [sid(&live)]);
    let released = app
        .collect_pages(&format!("{base}?status=released"), ADMIN_TOKEN, 1)
        .await;
    assert_eq!(ids(&released), [sid(&rel), sid(&forced)]);
    let expired = app
        .collect_pages(&format!("{base}?status=expired"), ADMIN_TOKEN, 50)
        .await;
    assert_eq!(ids(&expired), [sid(&expiring)]);
    let r = app.admin("GET", &format!("{base}?status=dead"), None).await;
    r.expect_error(422, "validation_error");
    assert!(r.body["error"]["details"]["fields"]["status"].is_string());
}

#[tokio::test]
async fn every_admin_write_and_reaped_session_is_audited_without_secrets() {
    let app = spawn_app().await; // reaper every 300 ms
    let t = app.tenant_fixture().await;
    let tok = app
        .create_token_as(&t.admin, &t.id, "to-revoke", "read_only")
        .await;
    let tok_secret = tok["token"].as_str().unwrap().to_owned();
    let tok_id = tok["id"].as_str().unwrap().to_owned();
    app.call(
        "DELETE",
        &format!("/api/v1/tenants/{}/tokens/{tok_id}", t.id),
        Some(&t.admin),
        None,
    )
    .await
    .expect(200);
    let l = app
        .call(
            "POST",
            &format!("/api/v1/tenants/{}/licenses", t.id),
            Some(&t.admin),
            Some(json!({"seats_total": 2, "heartbeat_ttl_seconds": 1})),
        )
        .await
        .expect(201);
    let (key, lid) = key_and_id(&l);
    app.call(
        "PATCH",
        &format!("/api/v1/tenants/{}/licenses/{lid}", t.id),
        Some(&t.admin),
        Some(json!({"seats_total": 3, "metadata": {"k": "v"}})),
    )
    .await
    .expect(200);
    let s1 = app.take_seat(&key, "forced").await;
    let s1id = s1["session_id"].as_str().unwrap().to_owned();
    app.admin(
        "DELETE",
        &format!("/api/v1/tenants/{}/sessions/{s1id}", t.id),
        None,
    )
    .await
    .expect(200);
    let s2 = app.take_seat(&key, "expires").await;
    let s2id = s2["session_id"].as_str().unwrap().to_owned();

    let mut entries = Vec::new();
    for _ in 0..50 {
        entries = app.audit_entries(&t.id).await;
        if entries.iter().any(|e| e["action"] == "session.expire") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "session.expire",
            "session.force_release",
            "license.update",
            "license.create",
            "token.revoke",
            "token.create",
            "token.create",
            "token.create",
            "tenant.create",
        ],
        "newest first"
    );
    for e in &entries {
        assert_keys(e, AUDIT_FIELDS);
        assert_uuid(&e["id"], "id");
        assert_time(&e["at"], "at");
        assert_uuid(&e["resource_id"], "resource_id");
        assert_keys(&e["actor"], &["type", "id", "name"]);
        let action = e["action"].as_str().unwrap();
        let resource = action.split('.').next().unwrap();
        assert_eq!(e["resource"], resource, "{e}");
        if action.ends_with(".create") {
            assert_eq!(e["before"], Value::Null, "before is null on create: {e}");
        } else {
            assert!(e["before"].is_object(), "{e}");
        }
        assert!(e["after"].is_object(), "{e}");
    }
    let at: Vec<_> = entries
        .iter()
        .map(|e| assert_time(&e["at"], "at"))
        .collect();
    assert!(at.windows(2).all(|w| w[0] >= w[1]), "newest first by time");

    let by = |action: &str| entries.iter().find(|e| e["action"] == action).unwrap();
    // Actors: the bootstrap superadmin, a tenant token (id and name), the reaper.
    let tenant_create = by("tenant.create");
    assert_eq!(tenant_create["actor"]["type"], "superadmin");
    assert_eq!(tenant_create["resource_id"], t.id.as_str());
    let revoke = by("token.revoke");
    assert_eq!(revoke["actor"]["type"], "token");
    assert_eq!(revoke["actor"]["id"], t.admin_id.as_str());
    assert_eq!(revoke["actor"]["name"], "ci-admin");
    assert_eq!(revoke["resource_id"], tok_id.as_str());
    assert_eq!(by("license.create")["actor"]["id"], t.admin_id.as_str());
    assert_eq!(by("license.create")["resource_id"], lid.as_str());
    let update = by("license.update");
    assert_eq!(update["before"]["seats_total"], 2);
    assert_eq!(update["after"]["seats_total"], 3);
    assert_eq!(update["after"]["metadata"], json!({"k": "v"}));
    let forced = by("session.force_release");
    assert_eq!(forced["actor"]["type"], "superadmin");
    assert_eq!(forced["resource_id"], s1id.as_str());
    let expire = by("session.expire");
    assert_eq!(expire["actor"]["type"], "system");
    assert_eq!(expire["actor"]["id"], Value::Null);
    assert_eq!(expire["resource_id"], s2id.as_str());

    // No license key and no token secret, anywhere in the log.
    let text = serde_json::to_string(&entries).unwrap();
    for secret in [
        key.as_str(),
        key.to_lowercase().as_str(),
        tok_secret.as_str(),
        t.admin.as_str(),
        t.reader.as_str(),
        ADMIN_TOKEN,
    ] {
        assert!(!text.contains(secret), "the audit log leaks a secret");
    }
    // Audit is per tenant: another tenant's log has only its own entries.
    let other = app.tenant_fixture().await;
    let theirs = app.audit_entries(&other.id).await;
    assert!(theirs
        .iter()
        .all(|e| e["resource_id"] != t.id.as_str() && e["resource_id"] != lid.as_str()));
    app.call(
        "GET",
        &format!("/api/v1/tenants/{}/audit", t.id),
        Some(&other.admin),
        None,
    )
    .await
    .expect_error(404, "not_found");
    // read_only may read the log.
    app.call(
        "GET",
        &format!("/api/v1/tenants/{}/audit", t.id),
        Some(&t.reader),
        None,
    )
    .await
    .expect(200);
}
