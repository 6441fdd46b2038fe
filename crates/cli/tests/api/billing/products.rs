//! Products: the admin API, its validation and conflicts, and that changing a product
//! changes no license made from it.

use coditect_test_support::stripe::{self, event, Sub};
use serde_json::json;

use crate::support::billing::{billing_app, id};
use crate::support::helpers::spawn_app;

#[tokio::test]
async fn products_are_created_listed_read_and_patched() {
    let app = spawn_app().await;
    let p = app
        .admin(
            "POST",
            "/api/v1/products",
            Some(json!({"slug": "cad-pro", "name": "CAD Pro"})),
        )
        .await
        .expect(201);
    // The contract's defaults.
    assert_eq!(p["seats_per_unit"], 1);
    assert_eq!(p["heartbeat_ttl_seconds"], 360);
    assert_eq!(
        (
            p["trial_days"].as_i64(),
            p["trial_seats"].as_i64(),
            p["grace_days"].as_i64()
        ),
        (Some(0), Some(1), Some(7))
    );
    assert_eq!(p["stripe_price_ids"], json!([]));
    assert_eq!(p["metered"], false);
    let pid = p["id"].as_str().unwrap();
    let got = app
        .admin("GET", &format!("/api/v1/products/{pid}"), None)
        .await
        .expect(200);
    assert_eq!(got, p);
    let patched = app
        .admin("PATCH", &format!("/api/v1/products/{pid}"),
            Some(json!({"stripe_price_ids": ["price_b", "price_a"], "seats_per_unit": 5, "metered": true})))
        .await
        .expect(200);
    assert_eq!(patched["stripe_price_ids"], json!(["price_b", "price_a"]));
    assert_eq!(
        (
            patched["seats_per_unit"].as_i64(),
            patched["metered"].as_bool()
        ),
        (Some(5), Some(true))
    );
    assert_eq!(patched["name"], "CAD Pro");
    app.admin(
        "POST",
        "/api/v1/products",
        Some(json!({"slug": "cad-lite", "name": "CAD Lite"})),
    )
    .await
    .expect(201);
    let page = app
        .admin("GET", "/api/v1/products?limit=1", None)
        .await
        .expect(200);
    assert_eq!(page["items"][0]["slug"], "cad-pro");
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let page2 = app
        .admin(
            "GET",
            &format!("/api/v1/products?limit=1&cursor={cursor}"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(page2["items"][0]["slug"], "cad-lite");
    assert!(page2["next_cursor"].is_null());
    // A tenant token may read products but not write them.
    let t = app.tenant_fixture().await;
    app.call("GET", "/api/v1/products", Some(&t.admin), None)
        .await
        .expect(200);
    app.call(
        "POST",
        "/api/v1/products",
        Some(&t.admin),
        Some(json!({"slug": "x", "name": "x"})),
    )
    .await
    .expect_error(403, "forbidden");
    app.call(
        "PATCH",
        &format!("/api/v1/products/{pid}"),
        Some(&t.admin),
        Some(json!({"name": "x"})),
    )
    .await
    .expect_error(403, "forbidden");
}

#[tokio::test]
async fn bad_products_are_422_and_taken_values_409() {
    let app = spawn_app().await;
    let cases = [
        json!({"name": "no slug"}),
        json!({"slug": "Bad Slug", "name": "x"}),
        json!({"slug": "ok", "name": "x", "seats_per_unit": 0}),
        json!({"slug": "ok", "name": "x", "trial_days": 366}),
        json!({"slug": "ok", "name": "x", "trial_seats": 1001}),
        json!({"slug": "ok", "name": "x", "grace_days": 91}),
        json!({"slug": "ok", "name": "x", "stripe_price_ids": ["price 1"]}),
        json!({"slug": "ok", "name": "x", "stripe_price_ids": ["price_1", "price_1"]}),
        json!({"slug": "ok", "name": "x", "metered": "yes"}),
    ];
    for body in cases {
        app.admin("POST", "/api/v1/products", Some(body.clone()))
            .await
            .expect_error(422, "validation_error");
    }
    let p = app
        .admin(
            "POST",
            "/api/v1/products",
            Some(json!({"slug": "one", "name": "One", "stripe_price_ids": ["price_1"]})),
        )
        .await
        .expect(201);
    let r = app
        .admin(
            "POST",
            "/api/v1/products",
            Some(json!({"slug": "one", "name": "Again"})),
        )
        .await;
    r.expect_error(409, "conflict");
    assert_eq!(r.body["error"]["details"]["field"], "slug");
    let r = app
        .admin(
            "POST",
            "/api/v1/products",
            Some(json!({"slug": "two", "name": "Two", "stripe_price_ids": ["price_1"]})),
        )
        .await;
    r.expect_error(409, "conflict");
    assert_eq!(r.body["error"]["details"]["field"], "stripe_price_ids");
    // The refused product left nothing behind: its slug is free.
    app.admin(
        "POST",
        "/api/v1/products",
        Some(json!({"slug": "two", "name": "Two"})),
    )
    .await
    .expect(201);
    let pid = p["id"].as_str().unwrap();
    app.admin(
        "PATCH",
        &format!("/api/v1/products/{pid}"),
        Some(json!({"slug": "two"})),
    )
    .await
    .expect_error(409, "conflict");
    let unchanged = app
        .admin("GET", &format!("/api/v1/products/{pid}"), None)
        .await
        .expect(200);
    assert_eq!(unchanged, p, "a refused patch changed the product");
    app.admin(
        "GET",
        &format!("/api/v1/products/{}", uuid::Uuid::new_v4()),
        None,
    )
    .await
    .expect_error(404, "product_not_found");
    app.admin("GET", "/api/v1/products/not-a-uuid", None)
        .await
        .expect_error(404, "product_not_found");
}

#[tokio::test]
async fn changing_a_product_changes_no_existing_license() {
    let (app, _smtp) = billing_app().await;
    let p = app.product("stable", "price_stable", 2).await;
    let sub = Sub::active(&id("sub"), &id("cus"), "price_stable", 1);
    app.stripe(&event(
        &id("evt"),
        "customer.subscription.created",
        stripe::now(),
        sub.object(),
    ))
    .await;
    let before = app.license_of(&sub.customer, &sub.id).await;
    let pid = p["id"].as_str().unwrap();
    app.admin(
        "PATCH",
        &format!("/api/v1/products/{pid}"),
        Some(
            json!({"seats_per_unit": 10, "entitlements": ["other"], "heartbeat_ttl_seconds": 999}),
        ),
    )
    .await
    .expect(200);
    assert_eq!(app.license_of(&sub.customer, &sub.id).await, before);
}
