//! Licenses: creation and its defaults, who sees the key, reads across tenants, and PATCH
//! semantics (absent unchanged, null only where allowed, whole replacement, `{}` inert).

use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;

#[tokio::test]
async fn create_license_shape_defaults_and_key() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let path = format!("/api/v1/tenants/{}/licenses", t.id);
    let l = app
        .call(
            "POST",
            &path,
            Some(&t.admin),
            Some(json!({"seats_total": 5})),
        )
        .await
        .expect(201);
    assert_license_shape(&l);
    assert_keys(&l, LICENSE_FIELDS);
    assert_eq!(l["tenant_id"], t.id.as_str());
    assert_eq!(l["name"], Value::Null);
    assert_eq!(l["seats_total"], 5);
    assert_eq!(l["seats_used"], 0);
    assert_eq!(l["expires_at"], Value::Null);
    assert_eq!(l["heartbeat_ttl_seconds"], 360);
    assert_eq!(l["entitlements"], json!([]));
    assert_eq!(l["metadata"], json!({}));
    assert_eq!(l["is_active"], true);
    assert_eq!(l["created_at"], l["updated_at"]);
    let key = l["license_key"].as_str().expect("admin sees the key");
    assert!(key.ends_with(l["key_hint"].as_str().unwrap()));
    // At least 128 random bits: 26+ symbols of a 32-letter alphabet.
    let symbols = key.chars().filter(|c| c.is_ascii_alphanumeric()).count();
    assert!(symbols >= 26, "key too short for 128 bits: {key}");

    let full = app
        .call(
            "POST",
            &path,
            Some(&t.admin),
            Some(json!({"name": "Studio", "seats_total": 1000000,
                "expires_at": "2099-01-02T03:04:05Z", "heartbeat_ttl_seconds": 604800,
                "entitlements": ["a", "b"], "metadata": {"plan": "gold", "n": [1, {"x": null}]},
                "is_active": false})),
        )
        .await
        .expect(201);
    assert_license_shape(&full);
    assert_eq!(full["name"], "Studio");
    assert_eq!(full["seats_total"], 1000000);
    assert_eq!(
        assert_time(&full["expires_at"], "expires_at").to_rfc3339(),
        "2099-01-02T03:04:05+00:00"
    );
    assert_eq!(full["heartbeat_ttl_seconds"], 604800);
    assert_eq!(full["entitlements"], json!(["a", "b"]));
    assert_eq!(
        full["metadata"],
        json!({"plan": "gold", "n": [1, {"x": null}]})
    );
    assert_eq!(full["is_active"], false);
    assert_ne!(full["license_key"], l["license_key"], "keys are unique");

    // A time with an offset is accepted and answered in UTC.
    let offset = app
        .call(
            "POST",
            &path,
            Some(&t.admin),
            Some(json!({"seats_total": 1, "expires_at": "2099-01-02T05:04:05+02:00"})),
        )
        .await
        .expect(201);
    assert_eq!(
        assert_time(&offset["expires_at"], "expires_at").to_rfc3339(),
        "2099-01-02T03:04:05+00:00"
    );
}

#[tokio::test]
async fn license_key_is_hidden_from_read_only_tokens() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let l = app
        .call(
            "POST",
            &format!("/api/v1/tenants/{}/licenses", t.id),
            Some(&t.admin),
            Some(json!({"seats_total": 1})),
        )
        .await
        .expect(201);
    let (key, lid) = key_and_id(&l);
    let one = format!("/api/v1/tenants/{}/licenses/{lid}", t.id);
    let list = format!("/api/v1/tenants/{}/licenses", t.id);

    let seen = app
        .call("GET", &one, Some(&t.reader), None)
        .await
        .expect(200);
    assert_license_shape(&seen);
    assert_eq!(seen["license_key"], Value::Null);
    assert_eq!(seen["key_hint"].as_str(), Some(&key[key.len() - 4..]));
    let page = app.collect_pages(&list, &t.reader, 10).await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["license_key"], Value::Null);
    let text = serde_json::to_string(&page).unwrap();
    assert!(!text.contains(&key), "read_only never sees the key whole");

    for tok in [t.admin.as_str(), ADMIN_TOKEN] {
        let l = app.call("GET", &one, Some(tok), None).await.expect(200);
        assert_eq!(l["license_key"], key.as_str());
        let page = app.collect_pages(&list, tok, 10).await;
        assert_eq!(page[0]["license_key"], key.as_str());
    }
    // The PATCH answer follows the same rule.
    let patched = app
        .call("PATCH", &one, Some(&t.admin), Some(json!({"name": "n"})))
        .await
        .expect(200);
    assert_eq!(patched["license_key"], key.as_str());
}

#[tokio::test]
async fn licenses_of_other_tenants_unknown_or_malformed_are_license_not_found() {
    let app = spawn_app().await;
    let a = app.tenant_fixture().await;
    let b = app.tenant_fixture().await;
    let theirs = app.create_license(&b.id, json!({"seats_total": 1})).await;
    let (_, their_id) = key_and_id(&theirs);
    for id in [their_id.as_str(), &random_uuid(), "123", "not-a-uuid"] {
        let one = format!("/api/v1/tenants/{}/licenses/{id}", a.id);
        for tok in [a.admin.as_str(), a.reader.as_str(), ADMIN_TOKEN] {
            app.call("GET", &one, Some(tok), None)
                .await
                .expect_error(404, "license_not_found");
            app.call("GET", &format!("{one}/sessions"), Some(tok), None)
                .await
                .expect_error(404, "license_not_found");
        }
        app.call(
            "PATCH",
            &one,
            Some(&a.admin),
            Some(json!({"seats_total": 9})),
        )
        .await
        .expect_error(404, "license_not_found");
    }
    // Nothing changed on the other tenant's license.
    let still = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{}/licenses/{their_id}", b.id),
            None,
        )
        .await
        .expect(200);
    assert_eq!(still["seats_total"], 1);
    // And the other tenant's path is out of scope: 404 not_found.
    app.call(
        "GET",
        &format!("/api/v1/tenants/{}/licenses/{their_id}", b.id),
        Some(&a.admin),
        None,
    )
    .await
    .expect_error(404, "not_found");
}

#[tokio::test]
async fn read_only_tokens_may_not_write_licenses() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let l = app.create_license(&t.id, json!({"seats_total": 1})).await;
    let (_, lid) = key_and_id(&l);
    app.call(
        "POST",
        &format!("/api/v1/tenants/{}/licenses", t.id),
        Some(&t.reader),
        Some(json!({"seats_total": 1})),
    )
    .await
    .expect_error(403, "forbidden");
    app.call(
        "PATCH",
        &format!("/api/v1/tenants/{}/licenses/{lid}", t.id),
        Some(&t.reader),
        Some(json!({"seats_total": 2})),
    )
    .await
    .expect_error(403, "forbidden");
    let after = app
        .admin("GET", &format!("/api/v1/tenants/{}/licenses", t.id), None)
        .await
        .expect(200);
    assert_eq!(after["items"].as_array().unwrap().len(), 1);
    assert_eq!(after["items"][0]["seats_total"], 1);
}

#[tokio::test]
async fn patch_semantics() {
    let app = spawn_app().await;
    let (tid, l) = app
        .license_with(
            json!({"name": "Orig", "seats_total": 3, "expires_at": "2099-01-01T00:00:00Z",
            "heartbeat_ttl_seconds": 60, "entitlements": ["a", "b"],
            "metadata": {"x": 1, "y": {"z": 2}}}),
        )
        .await;
    let (_, lid) = key_and_id(&l);
    let path = format!("/api/v1/tenants/{tid}/licenses/{lid}");
    let audit_len = app.audit_entries(&tid).await.len();

    // `{}` changes nothing and audits nothing.
    let same = app.patch_license(&tid, &lid, json!({})).await;
    assert_eq!(same, l, "an empty patch answers the license unchanged");
    // Unknown fields are ignored: still nothing to change.
    app.patch_license(&tid, &lid, json!({"colour": "red"}))
        .await;
    assert_eq!(app.audit_entries(&tid).await.len(), audit_len);
    let now = app.admin("GET", &path, None).await.expect(200);
    assert_eq!(now["updated_at"], l["updated_at"]);

    // One field: only it changes.
    let p = app
        .patch_license(&tid, &lid, json!({"seats_total": 7}))
        .await;
    assert_eq!(p["seats_total"], 7);
    for f in [
        "name",
        "expires_at",
        "heartbeat_ttl_seconds",
        "entitlements",
        "metadata",
        "is_active",
        "license_key",
        "key_hint",
        "created_at",
    ] {
        assert_eq!(p[f], l[f], "{f} changed");
    }
    assert!(assert_time(&p["updated_at"], "u") > assert_time(&l["updated_at"], "u0"));

    // Replaced whole, not merged.
    let p = app
        .patch_license(
            &tid,
            &lid,
            json!({"entitlements": ["c"], "metadata": {"y": {"w": 3}}}),
        )
        .await;
    assert_eq!(p["entitlements"], json!(["c"]));
    assert_eq!(p["metadata"], json!({"y": {"w": 3}}));
    let p = app
        .patch_license(&tid, &lid, json!({"entitlements": [], "metadata": {}}))
        .await;
    assert_eq!(p["entitlements"], json!([]));
    assert_eq!(p["metadata"], json!({}));

    // null clears name and expires_at only.
    let p = app
        .patch_license(&tid, &lid, json!({"name": null, "expires_at": null}))
        .await;
    assert_eq!(p["name"], Value::Null);
    assert_eq!(p["expires_at"], Value::Null);
    assert_eq!(p["seats_total"], 7);
    let before = app.admin("GET", &path, None).await.expect(200);
    for f in [
        "seats_total",
        "heartbeat_ttl_seconds",
        "entitlements",
        "metadata",
        "is_active",
    ] {
        let r = app.admin("PATCH", &path, Some(json!({ f: null }))).await;
        r.expect_error(422, "validation_error");
        assert!(
            r.body["error"]["details"]["fields"][f].is_string(),
            "{f}: {}",
            r.body
        );
    }
    // A patch with one bad field changes none of the good ones.
    app.admin(
        "PATCH",
        &path,
        Some(json!({"name": "New", "seats_total": 0})),
    )
    .await
    .expect_error(422, "validation_error");
    assert_eq!(app.admin("GET", &path, None).await.expect(200), before);

    let p = app
        .patch_license(
            &tid,
            &lid,
            json!({"name": "Again", "is_active": false, "heartbeat_ttl_seconds": 1}),
        )
        .await;
    assert_eq!(p["name"], "Again");
    assert_eq!(p["is_active"], false);
    assert_eq!(p["heartbeat_ttl_seconds"], 1);
}

#[tokio::test]
async fn license_field_validation() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let path = format!("/api/v1/tenants/{}/licenses", t.id);
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "seats_total"),
        (json!({"seats_total": 0}), "seats_total"),
        (json!({"seats_total": 1000001}), "seats_total"),
        (json!({"seats_total": -1}), "seats_total"),
        (json!({"seats_total": "5"}), "seats_total"),
        (json!({"seats_total": 5.0}), "seats_total"),
        (json!({"seats_total": 2.5}), "seats_total"),
        (json!({"seats_total": null}), "seats_total"),
        (
            json!({"seats_total": 1, "heartbeat_ttl_seconds": 0}),
            "heartbeat_ttl_seconds",
        ),
        (
            json!({"seats_total": 1, "heartbeat_ttl_seconds": 604801}),
            "heartbeat_ttl_seconds",
        ),
        (
            json!({"seats_total": 1, "expires_at": "tomorrow"}),
            "expires_at",
        ),
        (
            json!({"seats_total": 1, "expires_at": 1767225600}),
            "expires_at",
        ),
        (
            json!({"seats_total": 1, "expires_at": "2026-13-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            json!({"seats_total": 1, "entitlements": "pro"}),
            "entitlements",
        ),
        (
            json!({"seats_total": 1, "entitlements": [1]}),
            "entitlements",
        ),
        (
            json!({"seats_total": 1, "entitlements": [""]}),
            "entitlements",
        ),
        (
            json!({"seats_total": 1, "entitlements": ["a".repeat(129)]}),
            "entitlements",
        ),
        (json!({"seats_total": 1, "metadata": []}), "metadata"),
        (json!({"seats_total": 1, "metadata": "x"}), "metadata"),
        (json!({"seats_total": 1, "is_active": "true"}), "is_active"),
        (json!({"seats_total": 1, "is_active": 1}), "is_active"),
        (json!({"seats_total": 1, "name": 5}), "name"),
        (json!({"seats_total": 1, "name": ""}), "name"),
        (json!({"seats_total": 1, "name": "a".repeat(201)}), "name"),
        (json!({"seats_total": 1, "name": "tab\there"}), "name"),
    ];
    for (body, field) in cases {
        let r = app.admin("POST", &path, Some(body.clone())).await;
        r.expect_error(422, "validation_error");
        assert!(
            r.body["error"]["details"]["fields"][field].is_string(),
            "{body} should name {field}: {}",
            r.body
        );
    }
    // Several bad fields are all reported at once.
    let r = app
        .admin(
            "POST",
            &path,
            Some(json!({"seats_total": 0, "heartbeat_ttl_seconds": "x", "is_active": null})),
        )
        .await;
    let fields = r.body["error"]["details"]["fields"].as_object().unwrap();
    assert_eq!(fields.len(), 3, "{fields:?}");
    let page = app.admin("GET", &path, None).await.expect(200);
    assert_eq!(page["items"], json!([]), "no license was created");
}
