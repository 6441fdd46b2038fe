//! Pagination of every listing: default and bounds of `limit`, invalid cursors, and that
//! following `next_cursor` returns every item exactly once in the contract's order.

use std::collections::HashSet;

use futures::future::join_all;
use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[track_caller]
fn assert_each_once(items: &[Value], expected: &[String]) {
    let got = ids(items);
    let unique: HashSet<_> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "an item came twice");
    assert_eq!(got, expected, "every item once, in order");
}

#[tokio::test]
async fn licenses_page_by_default_fifty_and_walk_every_item_once() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let path = format!("/api/v1/tenants/{}/licenses", t.id);
    let mut created = Vec::new();
    for i in 0..53 {
        let l = app
            .create_license(&t.id, json!({"seats_total": 1, "name": format!("l{i}")}))
            .await;
        created.push(l["id"].as_str().unwrap().to_owned());
    }
    let first = app
        .call("GET", &path, Some(&t.reader), None)
        .await
        .expect(200);
    assert_eq!(
        first["items"].as_array().unwrap().len(),
        50,
        "default limit"
    );
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = app
        .call(
            "GET",
            &format!("{path}?cursor={cursor}"),
            Some(&t.reader),
            None,
        )
        .await
        .expect(200);
    assert_eq!(second["items"].as_array().unwrap().len(), 3);
    assert_eq!(second["next_cursor"], Value::Null);

    for limit in [1, 7, 50, 53, 200] {
        let all = app.collect_pages(&path, &t.reader, limit).await;
        assert_each_once(&all, &created);
    }
    // Exactly a page's worth: the last page says so with a null cursor (or one empty page).
    let all = app.collect_pages(&path, &t.admin, 53).await;
    assert_eq!(all.len(), 53);

    // Items added while walking are not lost and nothing repeats.
    let page = app
        .call("GET", &format!("{path}?limit=10"), Some(&t.admin), None)
        .await
        .expect(200);
    let late = app.create_license(&t.id, json!({"seats_total": 1})).await;
    let c = page["next_cursor"].as_str().unwrap();
    let rest = app
        .collect_pages(&format!("{path}?cursor={c}"), &t.admin, 200)
        .await;
    let mut seen = ids(page["items"].as_array().unwrap());
    seen.extend(ids(&rest));
    created.push(late["id"].as_str().unwrap().to_owned());
    assert_eq!(seen, created);
}

#[tokio::test]
async fn invalid_limits_and_cursors_are_422() {
    let app = spawn_app().await;
    let (tid, l) = app.license_with(json!({"seats_total": 1})).await;
    let lid = l["id"].as_str().unwrap();
    let listings = [
        "/api/v1/tenants".to_owned(),
        format!("/api/v1/tenants/{tid}/tokens"),
        format!("/api/v1/tenants/{tid}/licenses"),
        format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions"),
        format!("/api/v1/tenants/{tid}/audit"),
    ];
    for path in &listings {
        for limit in ["0", "201", "-1", "abc", "1.5", "", "99999999999999999999"] {
            let r = app
                .admin("GET", &format!("{path}?limit={limit}"), None)
                .await;
            r.expect_error(422, "validation_error");
            assert!(
                r.body["error"]["details"]["fields"]["limit"].is_string(),
                "{path}?limit={limit}: {}",
                r.body
            );
        }
        for cursor in ["garbage", "!!!", "AAAA", &"A".repeat(300)] {
            let r = app
                .admin("GET", &format!("{path}?cursor={cursor}"), None)
                .await;
            r.expect_error(422, "validation_error");
            assert!(r.body["error"]["details"]["fields"]["cursor"].is_string());
        }
        for limit in ["1", "200"] {
            app.admin("GET", &format!("{path}?limit={limit}"), None)
                .await
                .expect(200);
        }
    }
}

#[tokio::test]
async fn tokens_tenants_sessions_and_audit_walk_every_item_once() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    // Tokens, oldest first.
    let mut tokens = vec![t.admin_id.clone(), t.reader_id.clone()];
    for i in 0..9 {
        let tok = app
            .create_token_as(&t.admin, &t.id, &format!("tok-{i}"), "read_only")
            .await;
        tokens.push(tok["id"].as_str().unwrap().to_owned());
    }
    let path = format!("/api/v1/tenants/{}/tokens", t.id);
    for limit in [1, 4, 11] {
        assert_each_once(&app.collect_pages(&path, &t.reader, limit).await, &tokens);
    }

    // Tenants, oldest first (superadmin).
    let mut tenants = vec![t.id.clone()];
    for _ in 0..6 {
        tenants.push(
            app.create_tenant(&unique_slug()).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for limit in [1, 3, 200] {
        let all = app
            .collect_pages("/api/v1/tenants", ADMIN_TOKEN, limit)
            .await;
        assert_each_once(&all, &tenants);
        all.iter().for_each(|x| assert_keys(x, TENANT_FIELDS));
    }

    // Sessions, oldest first, with and without a status filter.
    let l = app.create_license(&t.id, json!({"seats_total": 50})).await;
    let (key, lid) = key_and_id(&l);
    let mut sessions = Vec::new();
    for i in 0..12 {
        let s = app.take_seat(&key, &format!("hw-{i:02}")).await;
        sessions.push(s["session_id"].as_str().unwrap().to_owned());
    }
    let released: Vec<String> = sessions.iter().step_by(3).cloned().collect();
    join_all(released.iter().map(|s| app.release(&key, s))).await;
    let spath = format!("/api/v1/tenants/{}/licenses/{lid}/sessions", t.id);
    for limit in [1, 5, 12] {
        assert_each_once(
            &app.collect_pages(&spath, &t.reader, limit).await,
            &sessions,
        );
        let rel = app
            .collect_pages(&format!("{spath}?status=released"), &t.reader, limit)
            .await;
        assert_each_once(&rel, &released);
        let live: Vec<String> = sessions
            .iter()
            .filter(|s| !released.contains(s))
            .cloned()
            .collect();
        let act = app
            .collect_pages(&format!("{spath}?status=active"), &t.reader, limit)
            .await;
        assert_each_once(&act, &live);
    }

    // Audit, newest first: ids are exactly the one-page listing, paged.
    let full = app
        .call(
            "GET",
            &format!("/api/v1/tenants/{}/audit?limit=200", t.id),
            Some(&t.reader),
            None,
        )
        .await
        .expect(200);
    let expected = ids(full["items"].as_array().unwrap());
    assert_eq!(expected.len(), 1 + 2 + 9 + 1, "tenant, tokens, license");
    assert_eq!(full["items"][0]["action"], "license.create", "newest first");
    assert_eq!(full["items"][expected.len() - 1]["action"], "tenant.create");
    for limit in [1, 2, 5] {
        let apath = format!("/api/v1/tenants/{}/audit", t.id);
        assert_each_once(
            &app.collect_pages(&apath, &t.reader, limit).await,
            &expected,
        );
    }
}
