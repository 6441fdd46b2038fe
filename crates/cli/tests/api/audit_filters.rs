//! The audit log's filters (actor, resource kind, one resource, action, time range) and
//! the session history's time range, over HTTP: applied before paging, so a filtered page
//! is full and its cursor goes on; bad values are `422 validation_error` naming the field.

use serde_json::{json, Value};

use crate::support::helpers::*;

/// Every entry of the tenant's audit log matching `query`, following the cursors, `limit`
/// at a time.
async fn audit_all(app: &TestApp, token: &str, tid: &str, query: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/v1/tenants/{tid}/audit?limit={limit}&{query}{cursor}");
        let page = app.call("GET", &path, Some(token), None).await.expect(200);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize);
        out.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(
                    items.len(),
                    limit as usize,
                    "a page before the last is full"
                );
                cursor = format!("&cursor={c}");
            }
            None => return out,
        }
    }
}

#[tokio::test]
async fn audit_filters_apply_before_paging() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let tid = t.id.as_str();
    let mut ids = Vec::new();
    for name in ["first", "second", "third"] {
        let l = app
            .call(
                "POST",
                &format!("/api/v1/tenants/{tid}/licenses"),
                Some(&t.admin),
                Some(json!({"name": name, "seats_total": 1})),
            )
            .await
            .expect(201);
        ids.push(l["id"].as_str().unwrap().to_owned());
    }
    app.call(
        "PATCH",
        &format!("/api/v1/tenants/{tid}/licenses/{}", ids[1]),
        Some(&t.admin),
        Some(json!({"seats_total": 4})),
    )
    .await
    .expect(200);

    let licenses = audit_all(&app, &t.admin, tid, "resource=license", 1).await;
    assert_eq!(
        licenses.len(),
        4,
        "three creates and one update: {licenses:?}"
    );
    assert!(licenses.iter().all(|e| e["resource"] == "license"));
    let one = audit_all(&app, &t.admin, tid, &format!("resource_id={}", ids[1]), 1).await;
    assert_eq!(one.len(), 2);
    assert!(one.iter().all(|e| e["resource_id"] == ids[1].as_str()));
    let updates = audit_all(&app, &t.admin, tid, "action=license.update", 2).await;
    assert_eq!(updates.len(), 1);
    // The admin token's name is "ci-admin": found by any part of it, in any case.
    let by_admin = audit_all(&app, &t.admin, tid, "actor=CI-ADM&resource=license", 2).await;
    assert_eq!(by_admin.len(), 4);
    assert!(audit_all(&app, &t.admin, tid, "actor=nobody", 2)
        .await
        .is_empty());
    let newest = updates[0]["at"].as_str().unwrap();
    let after_all = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let since = audit_all(&app, &t.admin, tid, &format!("from={}", enc(newest)), 5).await;
    assert!(since.iter().any(|e| e["action"] == "license.update"));
    assert!(since.iter().all(|e| e["at"].as_str().unwrap() >= newest));
    let before = audit_all(&app, &t.admin, tid, &format!("to={}", enc(newest)), 5).await;
    assert!(before.iter().all(|e| e["action"] != "license.update"));
    assert!(
        audit_all(&app, &t.admin, tid, &format!("from={}", enc(&after_all)), 5)
            .await
            .is_empty()
    );

    for (query, field) in [
        ("resource_id=nope", "resource_id"),
        ("resource=Lic%20ense", "resource"),
        ("action=DROP", "action"),
        ("from=yesterday", "from"),
        (
            &*format!("from={}&to={}", enc(&after_all), enc(newest)),
            "from",
        ),
    ] {
        let r = app
            .call(
                "GET",
                &format!("/api/v1/tenants/{tid}/audit?{query}"),
                Some(&t.admin),
                None,
            )
            .await;
        r.expect_error(422, "validation_error");
        assert!(
            r.body["error"]["details"]["fields"][field].is_string(),
            "{query}: {}",
            r.body
        );
    }
}

/// A time as a query value (`+` would read as a space).
fn enc(t: &str) -> String {
    t.replace('+', "%2B")
}

#[tokio::test]
async fn session_history_filters_by_the_time_its_sessions_held_a_seat() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 2})).await;
    let key = lic["license_key"].as_str().unwrap();
    let lid = lic["id"].as_str().unwrap();
    let first = app.acquire(key, "hw-first").await.expect(201);
    let sid = first["session_id"].as_str().unwrap();
    app.admin(
        "DELETE",
        &format!("/api/v1/tenants/{tid}/sessions/{sid}"),
        None,
    )
    .await
    .expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mid = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    app.acquire(key, "hw-second").await.expect(201);
    let hardware = |q: String| {
        let app = &app;
        let path = format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions?{q}");
        async move {
            let page = app.admin("GET", &path, None).await.expect(200);
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["hardware_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let at = enc(&mid.to_rfc3339());
    assert_eq!(hardware(String::new()).await, ["hw-first", "hw-second"]);
    assert_eq!(hardware(format!("from={at}")).await, ["hw-second"]);
    assert_eq!(hardware(format!("to={at}")).await, ["hw-first"]);
    assert_eq!(
        hardware(format!("to={at}&status=released")).await,
        ["hw-first"]
    );
    let r = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions?from={at}&to={at}"),
            None,
        )
        .await;
    r.expect_error(422, "validation_error");
    assert!(r.body["error"]["details"]["fields"]["from"].is_string());
}
