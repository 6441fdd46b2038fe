//! The hostile-input table: every POST and PATCH endpoint gets malformed JSON, non-objects,
//! wrong types, nulls, out-of-range and huge numbers, over-long strings, control
//! characters, invalid UTF-8, deep nesting and oversized bodies (tables in
//! `hostile_cases`). Every answer must be a 4xx in the error shape (never a 5xx), and no
//! seat, license, token or tenant may change.

use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;
use crate::support::hostile_cases::*;

/// Sends every generic and specific case to one target and checks each answer.
async fn run_table(app: &TestApp, target: &Target) -> usize {
    let mut sent = 0;
    let cases = generic_cases()
        .into_iter()
        .chain(target.cases.iter().cloned());
    for case in cases {
        let r = app
            .raw(
                target.method,
                &target.path,
                target.token.as_deref(),
                case.content_type,
                case.body,
            )
            .await;
        let what = format!("{} / {}", target.name, case.label);
        assert!(
            r.status.is_client_error(),
            "{what}: {} {}",
            r.status,
            r.text
        );
        assert_eq!(r.status.as_u16(), case.status, "{what}: {}", r.text);
        let code = r.code().to_owned();
        r.expect_error(case.status, &code);
        if case.status == 422 {
            let fields = r.body["error"]["details"]["fields"].as_object();
            assert!(
                fields.is_some_and(|f| !f.is_empty()),
                "{what}: 422 without details.fields: {}",
                r.text
            );
        }
        sent += 1;
    }
    sent
}

/// What must not change: every listing a hostile request could have touched.
async fn snapshot(app: &TestApp, t: &TenantFixture, lid: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        "/api/v1/tenants".to_owned(),
        format!("/api/v1/tenants/{}/tokens", t.id),
        format!("/api/v1/tenants/{}/licenses", t.id),
        format!("/api/v1/tenants/{}/licenses/{lid}/sessions", t.id),
        format!("/api/v1/tenants/{}/audit", t.id),
    ] {
        out.push(Value::Array(
            app.collect_pages(&path, ADMIN_TOKEN, 200).await,
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_answer_4xx_in_the_error_shape_and_change_nothing() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let lic = app
        .create_license(&t.id, json!({"seats_total": 2, "name": "target"}))
        .await;
    let (key, lid) = key_and_id(&lic);
    let seat = app.take_seat(&key, "holder").await;
    let sid = seat["session_id"].as_str().unwrap().to_owned();
    let before = snapshot(&app, &t, &lid).await;

    let mut targets = client_targets(&key, &sid);
    targets.extend(admin_targets(&t, &lid));
    // Targets run side by side (each one's cases in order) to keep the table quick.
    let counts = futures::future::join_all(targets.iter().map(|t| run_table(&app, t))).await;
    let sent: usize = counts.iter().sum();
    assert!(sent > 550, "the table is as large as intended ({sent})");

    assert_eq!(app.seats_used(&t.id, &lid).await, 1, "seats_used unchanged");
    assert_eq!(snapshot(&app, &t, &lid).await, before, "nothing changed");
    // The held seat still works.
    app.heartbeat(&key, &sid).await.expect(200);
}
