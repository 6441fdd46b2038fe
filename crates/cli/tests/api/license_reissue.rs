//! Key reissue (issue 15 point 5): the old key stops admitting seats at once, the seats it
//! gave go on with it until they end, the new key works, and only writers may reissue.

use serde_json::{json, Value};

use crate::support::helpers::*;

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn reissue_stops_the_old_key_for_new_seats_and_keeps_running_ones() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let l = app.create_license(&t.id, json!({"seats_total": 3})).await;
    let (old_key, lid) = (s(&l, "license_key"), s(&l, "id"));
    let running = app.acquire(&old_key, "hw-running").await.expect(201);
    let parting = app.acquire(&old_key, "hw-parting").await.expect(201);
    let path = format!("/api/v1/tenants/{}/licenses/{lid}/key", t.id);

    app.call("POST", &path, Some(&t.reader), None)
        .await
        .expect_error(403, "forbidden");
    let other = app.tenant_fixture().await;
    app.call(
        "POST",
        &format!("/api/v1/tenants/{}/licenses/{lid}/key", other.id),
        Some(&other.admin),
        None,
    )
    .await
    .expect_error(404, "license_not_found");
    assert_eq!(
        app.acquire(&old_key, "hw-still-fine").await.status.as_u16(),
        201,
        "a refused reissue changed nothing"
    );

    let reissued = app
        .call("POST", &path, Some(&t.admin), None)
        .await
        .expect(200);
    let new_key = s(&reissued, "license_key");
    assert_ne!(new_key, old_key);
    assert_eq!(s(&reissued, "key_hint"), new_key[new_key.len() - 4..]);
    assert_eq!(reissued["seats_used"], 3, "running seats keep their place");

    app.acquire(&old_key, "hw-new")
        .await
        .expect_error(404, "license_not_found");
    app.acquire(&old_key, "hw-running")
        .await
        .expect_error(404, "license_not_found");
    let hb = app
        .heartbeat(&old_key, &s(&running, "session_id"))
        .await
        .expect(200);
    assert_eq!(hb["session_id"], running["session_id"]);
    let rel = app
        .release(&old_key, &s(&parting, "session_id"))
        .await
        .expect(200);
    assert_eq!(rel["released"], true);
    let v = app
        .client("/api/v1/licenses/validate", json!({"license_key": old_key}))
        .await
        .expect(200);
    assert_eq!(v["valid"], false, "{v}");
    let fresh = app.acquire(&new_key, "hw-new").await.expect(201);
    let stolen = app.heartbeat(&old_key, &s(&fresh, "session_id")).await;
    assert_eq!(
        stolen.status.as_u16(),
        404,
        "a seat taken with the new key is never the old key's: {}",
        stolen.text
    );
    app.heartbeat(&new_key, &s(&running, "session_id"))
        .await
        .expect(200);

    let audit = app.audit_entries(&t.id).await;
    let entry = audit
        .iter()
        .find(|e| e["action"] == "license.key_reissue")
        .expect("the reissue is audited");
    assert_eq!(entry["resource_id"], lid.as_str());
    let text = entry.to_string();
    assert!(
        !text.contains(&new_key) && !text.contains(&old_key),
        "{text}"
    );
    assert_eq!(entry["after"]["key_hint"], reissued["key_hint"]);
}

/// The ids `GET …/licenses?<query>` lists.
async fn listed(app: &TestApp, tid: &str, query: &str) -> Vec<String> {
    let page = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{tid}/licenses?{query}"),
            None,
        )
        .await
        .expect(200);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| s(l, "id"))
        .collect()
}

#[tokio::test]
async fn archiving_hides_and_suspends_a_license_until_it_is_brought_back() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let kept = app.create_license(&t.id, json!({"seats_total": 1})).await;
    let old = app.create_license(&t.id, json!({"seats_total": 2})).await;
    let (key, lid) = (s(&old, "license_key"), s(&old, "id"));
    let seat = app.acquire(&key, "hw-1").await.expect(201);
    let path = format!("/api/v1/tenants/{}/licenses/{lid}", t.id);
    app.call(
        "PATCH",
        &path,
        Some(&t.reader),
        Some(json!({"archived": true})),
    )
    .await
    .expect_error(403, "forbidden");
    app.call(
        "PATCH",
        &path,
        Some(&t.admin),
        Some(json!({"archived": "yes"})),
    )
    .await
    .expect_error(422, "validation_error");
    let archived = app
        .call(
            "PATCH",
            &path,
            Some(&t.admin),
            Some(json!({"archived": true})),
        )
        .await
        .expect(200);
    assert!(archived["archived_at"].is_string(), "{archived}");
    assert_eq!(archived["is_active"], false);

    assert_eq!(listed(&app, &t.id, "").await, vec![s(&kept, "id")]);
    assert_eq!(
        listed(&app, &t.id, "archived=only").await,
        vec![lid.clone()]
    );
    assert_eq!(
        listed(&app, &t.id, "archived=include").await,
        vec![s(&kept, "id"), lid.clone()]
    );
    app.admin(
        "GET",
        &format!("/api/v1/tenants/{}/licenses?archived=maybe", t.id),
        None,
    )
    .await
    .expect_error(422, "validation_error");
    app.acquire(&key, "hw-2")
        .await
        .expect_error(403, "license_suspended");
    app.heartbeat(&key, &s(&seat, "session_id"))
        .await
        .expect_error(403, "license_suspended");
    let still = app
        .call(
            "PATCH",
            &path,
            Some(&t.admin),
            Some(json!({"is_active": true})),
        )
        .await
        .expect(200);
    assert_eq!(
        still["is_active"], false,
        "an archived license stays suspended"
    );

    let back = app
        .call(
            "PATCH",
            &path,
            Some(&t.admin),
            Some(json!({"archived": false, "is_active": true})),
        )
        .await
        .expect(200);
    assert!(back["archived_at"].is_null());
    assert_eq!(back["is_active"], true);
    app.acquire(&key, "hw-2").await.expect(201);
    let audit = app.audit_entries(&t.id).await;
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "license.update" && e["after"]["archived_at"].is_string()),
        "archiving is audited"
    );
}
