//! The dashboard's other helpers: usage history and analytics, license filters, bulk
//! suspend / resume, CSV export, and serving the single-page app.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::helpers::*;
use crate::support::web::*;

async fn analytics(app: &TestApp, tid: &str, query: &str) -> Value {
    app.admin(
        "GET",
        &format!("/api/v1/tenants/{tid}/analytics?{query}"),
        None,
    )
    .await
    .expect(200)
}

#[tokio::test]
async fn denials_and_samples_show_in_analytics() {
    let app = spawn_app().await;
    let (tid, lic) = app.license_with(json!({"seats_total": 1})).await;
    let (tid2, _) = app.license_with(json!({"seats_total": 1})).await;
    let key = lic["license_key"].as_str().unwrap();
    let lid = lic["id"].as_str().unwrap();
    app.acquire(key, "hw-1").await.expect(201);
    app.acquire(key, "hw-2")
        .await
        .expect_error(409, "no_seats_available");
    app.acquire(key, "hw-3")
        .await
        .expect_error(409, "no_seats_available");
    // The same hardware resuming is no denial.
    app.acquire(key, "hw-1").await.expect(200);

    // Samples are taken every second in tests; wait for one with the seat in use.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let a = loop {
        let a = analytics(&app, &tid, "bucket=minute").await;
        if a["peak"] == 1 {
            break a;
        }
        assert!(tokio::time::Instant::now() < deadline, "no sample: {a}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(a["bucket"], "minute");
    assert_eq!(a["denials_total"], 2);
    let series = a["series"].as_array().unwrap();
    assert!(series.len() >= 1440, "24 h of minutes: {}", series.len());
    // The range ends now: only its newest bucket is still running, and says so.
    let partial: Vec<bool> = series.iter().map(|p| p["partial"] == true).collect();
    assert_eq!(
        partial.iter().filter(|p| **p).count(),
        1,
        "one partial bucket"
    );
    assert!(
        partial[partial.len() - 1],
        "the newest bucket is the partial one"
    );
    let last_with_denials: i64 = series.iter().map(|p| p["denials"].as_i64().unwrap()).sum();
    assert_eq!(last_with_denials, 2);
    assert!(series.iter().any(|p| p["seats_used_peak"] == 1));
    // Over the last 20 s the seat was in use for a good part of the time: a visible
    // average, never above the peak. (Over 24 h it rounds to 0.00.)
    let from = (chrono::Utc::now() - chrono::Duration::seconds(20))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let recent = analytics(&app, &tid, &format!("bucket=minute&from={from}")).await;
    let avg = recent["average"].as_f64().unwrap();
    assert!(avg > 0.0 && avg <= 1.0, "{recent}");

    // Per license, and another tenant sees none of it.
    let per = analytics(&app, &tid, &format!("license_id={lid}&bucket=hour")).await;
    assert_eq!(per["denials_total"], 2);
    assert_eq!(per["peak"], 1);
    let other = analytics(&app, &tid2, "bucket=day").await;
    assert_eq!(other["denials_total"], 0);
    assert_eq!(other["peak"], 0);
    app.admin(
        "GET",
        &format!("/api/v1/tenants/{tid2}/analytics?license_id={lid}"),
        None,
    )
    .await
    .expect_error(404, "license_not_found");

    // Bad parameters.
    for q in [
        "bucket=week",
        "from=yesterday",
        "license_id=nope",
        "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
    ] {
        app.admin("GET", &format!("/api/v1/tenants/{tid}/analytics?{q}"), None)
            .await
            .expect_error(422, "validation_error");
    }
    app.admin(
        "GET",
        &format!("/api/v1/tenants/{tid}/analytics?bucket=minute&from=2020-01-01T00:00:00Z"),
        None,
    )
    .await
    .expect_error(422, "validation_error");

    // The staff view across tenants.
    let all = app
        .admin("GET", "/api/v1/analytics/tenants", None)
        .await
        .expect(200);
    let mine = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant_id"] == tid.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["denials_total"], 2);
    assert_eq!(mine["peak"], 1);
    assert_eq!(mine["licenses"], 1);
    assert_eq!(mine["live_sessions"], 1);
}

#[tokio::test]
async fn license_filters_bulk_suspend_and_csv() {
    let app = spawn_app().await;
    let (tid, a) = app
        .license_with(json!({"seats_total": 1, "name": "Alpha Studio"}))
        .await;
    let b = app
        .create_license(
            &tid,
            json!({"seats_total": 2, "name": "=HYPERLINK(\"x\")",
            "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    let c = app
        .create_license(
            &tid,
            json!({"seats_total": 3, "name": "Gamma, Inc.",
            "expires_at": "2001-01-01T00:00:00Z", "heartbeat_ttl_seconds": 90,
            "entitlements": ["export", "render"], "metadata": {"plan": "pro"}}),
        )
        .await;
    let (_, foreign) = app.license_with(json!({"seats_total": 1})).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let list = |q: String| {
        let app = &app;
        let tid = tid.clone();
        async move {
            let page = app
                .admin("GET", &format!("/api/v1/tenants/{tid}/licenses?{q}"), None)
                .await
                .expect(200);
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("q=alpha".into()).await, vec![id(&a)]);
    let hint = a["key_hint"].as_str().unwrap().to_lowercase();
    assert!(list(format!("q={hint}")).await.contains(&id(&a)));
    assert_eq!(list("state=expired".into()).await, vec![id(&c)]);
    assert_eq!(
        list("expires_before=2100-01-01T00:00:00Z".into()).await,
        vec![id(&b), id(&c)]
    );
    assert_eq!(
        list("q=%25".into()).await,
        Vec::<String>::new(),
        "% is literal"
    );
    app.admin(
        "GET",
        &format!("/api/v1/tenants/{tid}/licenses?state=gone"),
        None,
    )
    .await
    .expect_error(422, "validation_error");

    let bulk = |body: Value| {
        let app = &app;
        let tid = tid.clone();
        async move {
            app.admin(
                "POST",
                &format!("/api/v1/tenants/{tid}/licenses/bulk"),
                Some(body),
            )
            .await
        }
    };
    let r = bulk(json!({"ids": [id(&a), id(&b), id(&foreign)], "is_active": false}))
        .await
        .expect(200);
    assert_eq!(r["updated"], 2, "the other tenant's license is ignored");
    assert_eq!(
        bulk(json!({"ids": [id(&a)], "is_active": false}))
            .await
            .expect(200)["updated"],
        0
    );
    let mut suspended = list("state=suspended".into()).await;
    suspended.sort();
    let mut want = vec![id(&a), id(&b)];
    want.sort();
    assert_eq!(suspended, want);
    let fk = foreign["license_key"].as_str().unwrap();
    app.acquire(fk, "hw").await.expect(201);
    app.acquire(a["license_key"].as_str().unwrap(), "hw")
        .await
        .expect_error(403, "license_suspended");
    let audit = app
        .admin("GET", &format!("/api/v1/tenants/{tid}/audit"), None)
        .await
        .expect(200);
    let updates: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "license.update")
        .collect();
    assert_eq!(updates.len(), 2);
    assert!(updates
        .iter()
        .all(|e| e["after"]["is_active"] == false && e["before"]["is_active"] == true));
    bulk(json!({"ids": [], "is_active": true}))
        .await
        .expect_error(422, "validation_error");
    bulk(json!({"ids": ["nope"], "is_active": true}))
        .await
        .expect_error(422, "validation_error");
    bulk(json!({"ids": [id(&a)]}))
        .await
        .expect_error(422, "validation_error");
    assert_eq!(
        bulk(json!({"ids": [id(&a), id(&b)], "is_active": true}))
            .await
            .expect(200)["updated"],
        2
    );

    // CSV export: every license, never the key, formula-safe.
    let res = app
        .http
        .get(app.url(&format!("/api/v1/tenants/{tid}/licenses.csv")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    // Named after the tenant's slug, not its id.
    let tenant = app
        .admin("GET", &format!("/api/v1/tenants/{tid}"), None)
        .await
        .expect(200);
    let slug = tenant["slug"].as_str().unwrap();
    assert_eq!(
        res.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"licenses-{slug}.csv\"")
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,name,key_hint,seats_total,seats_used,expires_at,is_active,created_at,\
         state,heartbeat_ttl_seconds,max_borrow_hours,entitlements,metadata"
    );
    assert_eq!(lines.len(), 4);
    // State now, TTL, borrow limit, entitlements (`;`) and metadata (JSON) of each license.
    let gamma = lines.iter().find(|l| l.starts_with(&id(&c))).unwrap();
    assert!(
        gamma.ends_with(",expired,90,0,export;render,\"{\"\"plan\"\":\"\"pro\"\"}\""),
        "{gamma}"
    );
    assert!(lines[1].contains(",valid,"), "{}", lines[1]);
    assert!(lines[1].starts_with(&format!("{},Alpha Studio,", id(&a))));
    assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{text}");
    assert!(text.contains("\"Gamma, Inc.\""));
    for l in [&a, &b, &c] {
        assert!(!text.contains(l["license_key"].as_str().unwrap()));
    }
    app.http
        .get(app.url(&format!("/api/v1/tenants/{tid}/licenses.csv")))
        .send()
        .await
        .map(|r| assert_eq!(r.status(), 401))
        .unwrap();
}

#[tokio::test]
async fn the_dashboard_is_served_with_spa_fallback() {
    let app = spawn_app().await;
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/", "/dashboard"] {
        let r = no_redirect.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 307, "{path}");
        assert_eq!(r.headers()["location"], "/dashboard/");
    }
    for path in [
        "/dashboard/",
        "/dashboard/licenses/123",
        "/dashboard/index.html",
    ] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(r.text().await.unwrap().contains("<html"));
    }
    let r = app
        .call("GET", "/dashboard/assets/missing-123.js", None, None)
        .await;
    r.expect_error(404, "not_found");
    let r = app.call("GET", "/no/such/route", None, None).await;
    r.expect_error(404, "not_found");
    let doc = app
        .call("GET", "/api/openapi.json", None, None)
        .await
        .expect(200);
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/setup",
        "/api/v1/invitations/accept",
        "/api/v1/tenants/{tenant_id}/analytics",
        "/api/v1/tenants/{tenant_id}/licenses/bulk",
        "/api/v1/tenants/{tenant_id}/licenses.csv",
        "/api/v1/analytics/tenants",
        "/api/v1/users",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing from OpenAPI");
    }
    assert!(doc["components"]["securitySchemes"]["cookie"].is_object());
}

#[tokio::test]
async fn a_cookie_session_works_on_every_admin_endpoint() {
    let (app, smtp) = app_with_mail().await;
    let staff = app.setup_staff().await;
    let t = app
        .web(
            &staff,
            "POST",
            "/api/v1/tenants",
            Some(json!({"name": "C", "slug": "cookie-co"})),
            true,
        )
        .await
        .expect(201);
    let tid = t["id"].as_str().unwrap();
    let owner = app
        .invite_and_accept(&smtp, &staff, tid, "o@cookie.example.com", "owner")
        .await;
    let l = app
        .web(
            &owner,
            "POST",
            &format!("/api/v1/tenants/{tid}/licenses"),
            Some(json!({"seats_total": 1})),
            true,
        )
        .await
        .expect(201);
    let s = app
        .acquire(l["license_key"].as_str().unwrap(), "hw")
        .await
        .expect(201);
    let sid = s["session_id"].as_str().unwrap();
    let released = app
        .web(
            &owner,
            "DELETE",
            &format!("/api/v1/tenants/{tid}/sessions/{sid}"),
            None,
            true,
        )
        .await
        .expect(200);
    assert_eq!(released["end_reason"], "forced");
    let tok = app
        .web(
            &owner,
            "POST",
            &format!("/api/v1/tenants/{tid}/tokens"),
            Some(json!({"name": "ci", "role": "read_only"})),
            true,
        )
        .await
        .expect(201);
    assert!(tok["token"].is_string());
    let audit = app
        .web(
            &owner,
            "GET",
            &format!("/api/v1/tenants/{tid}/audit"),
            None,
            false,
        )
        .await
        .expect(200);
    let forced = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "session.force_release")
        .unwrap();
    assert_eq!(forced["actor"]["type"], "user");
    assert_eq!(forced["actor"]["name"], "o@cookie.example.com");
}
