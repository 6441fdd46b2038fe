//! `GET …/denials` (issue 15 point 4): who was refused a seat, newest first, per tenant or
//! license, paged, and nothing of another tenant's.

use serde_json::json;

use crate::support::helpers::*;

#[tokio::test]
async fn denials_name_the_refused_machine_and_email_newest_first() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let l = app
        .create_license(&t.id, json!({"seats_total": 1, "name": "Render seat"}))
        .await;
    let key = l["license_key"].as_str().unwrap();
    app.acquire(key, "hw-holder").await.expect(201);
    for (hw, email) in [("hw-late-1", Some("ana@acme.test")), ("hw-late-2", None)] {
        let mut body = json!({"license_key": key, "hardware_id": hw});
        if let Some(e) = email {
            body["user_email"] = json!(e);
        }
        app.client("/api/v1/licenses/acquire", body)
            .await
            .expect_error(409, "no_seats_available");
    }
    let path = format!("/api/v1/tenants/{}/denials", t.id);
    let all = app
        .call("GET", &path, Some(&t.reader), None)
        .await
        .expect(200);
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{all}");
    assert_eq!(items[0]["hardware_id"], "hw-late-2");
    assert_eq!(items[0]["user_email"], serde_json::Value::Null);
    assert_eq!(items[1]["hardware_id"], "hw-late-1");
    assert_eq!(items[1]["user_email"], "ana@acme.test");
    assert_eq!(items[1]["license_name"], "Render seat");
    assert_eq!(items[1]["license_id"], l["id"]);
    let first = app
        .call("GET", &format!("{path}?limit=1"), Some(&t.reader), None)
        .await
        .expect(200);
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = app
        .call(
            "GET",
            &format!("{path}?limit=1&cursor={cursor}"),
            Some(&t.reader),
            None,
        )
        .await
        .expect(200);
    assert_eq!(second["items"][0]["hardware_id"], "hw-late-1");
    assert!(second["next_cursor"].is_null());
    let lid = l["id"].as_str().unwrap();
    let one = app
        .call(
            "GET",
            &format!("{path}?license_id={lid}"),
            Some(&t.reader),
            None,
        )
        .await
        .expect(200);
    assert_eq!(one["items"].as_array().unwrap().len(), 2);
    app.call(
        "GET",
        &format!("{path}?license_id=nope"),
        Some(&t.reader),
        None,
    )
    .await
    .expect_error(422, "validation_error");
    let other = app.tenant_fixture().await;
    app.call(
        "GET",
        &format!("/api/v1/tenants/{}/denials?license_id={lid}", other.id),
        Some(&other.admin),
        None,
    )
    .await
    .expect_error(404, "license_not_found");
    let theirs = app
        .call(
            "GET",
            &format!("/api/v1/tenants/{}/denials", other.id),
            Some(&other.admin),
            None,
        )
        .await
        .expect(200);
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
}
