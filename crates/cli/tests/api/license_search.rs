//! The licenses list's one search box (issue 15 point 3): what a support person pastes — the
//! full key in any case (looked up by its hash), a hardware id, a user e-mail, a metadata
//! value — finds the license, and nothing of another tenant's.

use serde_json::{json, Value};

use crate::support::helpers::*;

/// The ids the tenant's license list answers for `?q=<q>` (URL-encoded here).
async fn search(app: &TestApp, tid: &str, q: &str) -> Vec<String> {
    let q: String = url_escape(q);
    let page = app
        .admin(
            "GET",
            &format!("/api/v1/tenants/{tid}/licenses?q={q}"),
            None,
        )
        .await
        .expect(200);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn search_finds_a_license_by_full_key_hardware_id_email_and_metadata() {
    let app = spawn_app().await;
    let (tid, keyed) = app
        .license_with(json!({"seats_total": 2, "name": "Keyed"}))
        .await;
    let seated = app
        .create_license(&tid, json!({"seats_total": 2, "name": "Seated"}))
        .await;
    let meta = app
        .create_license(
            &tid,
            json!({"seats_total": 2, "name": "Meta", "metadata": {"crm": "ACME-CRM-0042"}}),
        )
        .await;
    let (other_tid, theirs) = app.license_with(json!({"seats_total": 2})).await;
    let key = keyed["license_key"].as_str().unwrap();
    let seat_key = seated["license_key"].as_str().unwrap();
    let r = app
        .client(
            "/api/v1/licenses/acquire",
            json!({"license_key": seat_key, "hardware_id": "WS-4411-b7", "user_email": "Ana@Acme.test"}),
        )
        .await
        .expect(201);
    app.release(seat_key, r["session_id"].as_str().unwrap())
        .await
        .expect(200);
    app.acquire(theirs["license_key"].as_str().unwrap(), "WS-theirs")
        .await
        .expect(201);

    assert_eq!(search(&app, &tid, key).await, vec![id(&keyed)]);
    assert_eq!(
        search(&app, &tid, &key.to_lowercase()).await,
        vec![id(&keyed)],
        "a key typed in lower case is the same key"
    );
    assert_eq!(
        search(&app, &tid, &key[..key.len() - 1]).await,
        Vec::<String>::new(),
        "part of a key is not the key"
    );
    assert_eq!(
        search(&app, &tid, "WS-4411-b7").await,
        vec![id(&seated)],
        "an ended session's hardware id still finds its license"
    );
    assert_eq!(search(&app, &tid, "ana@acme.test").await, vec![id(&seated)]);
    assert_eq!(search(&app, &tid, "crm-0042").await, vec![id(&meta)]);
    assert_eq!(search(&app, &tid, "WS-theirs").await, Vec::<String>::new());
    assert_eq!(
        search(&app, &other_tid, key).await,
        Vec::<String>::new(),
        "a key of another tenant finds nothing here"
    );
}
