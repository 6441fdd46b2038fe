//! Exact seat-hours (`GET /api/v1/tenants/{tenant_id}/usage`) on the backend under test:
//! released, forced, expired and live sessions, clipped to the window's edges and split
//! at hour edges, against sums computed here from the sessions' own times.

use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use serde_json::{json, Value};

use crate::support::fixtures::*;
use crate::support::helpers::*;

fn micros(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    (b - a).num_microseconds().unwrap().max(0)
}

/// The seat-microseconds of `[start, end)` inside `[from, to)`, per UTC hour, by a
/// direct loop over hours (independent of the server's bucketing).
fn expected_hours(
    spans: &[(DateTime<Utc>, DateTime<Utc>)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, i64, u32)> {
    let hour = chrono::Duration::hours(1);
    let mut out = Vec::new();
    let mut h = from.duration_trunc(hour).unwrap();
    while h < to {
        let (b0, b1) = (h.max(from), (h + hour).min(to));
        let pieces: Vec<i64> = spans
            .iter()
            .map(|&(s, e)| micros(s.max(b0), e.min(b1)))
            .filter(|m| *m > 0)
            .collect();
        if !pieces.is_empty() {
            out.push((b0, pieces.iter().sum(), pieces.len() as u32));
        }
        h += hour;
    }
    out
}

#[tokio::test]
async fn seat_hours_are_the_exact_sum_of_session_intervals_clipped_to_the_window() {
    let app = spawn_app_with(|c| c.reaper_interval = Duration::from_secs(3600)).await;
    let (tid, l) = app
        .license_with(json!({"seats_total": 10, "heartbeat_ttl_seconds": 1}))
        .await;
    let (key, lid) = key_and_id(&l);
    let expiring = app.take_seat(&key, "will-expire").await;
    let received = std::time::Instant::now();
    app.patch_license(&tid, &lid, json!({"heartbeat_ttl_seconds": 600}))
        .await;
    let rel = app.take_seat(&key, "released").await;
    let forced = app.take_seat(&key, "forced").await;
    let live = app.take_seat(&key, "live").await;
    app.release(&key, rel["session_id"].as_str().unwrap())
        .await
        .expect(200);
    let path = format!(
        "/api/v1/tenants/{tid}/sessions/{}",
        forced["session_id"].as_str().unwrap()
    );
    app.admin("DELETE", &path, None).await.expect(200);
    sleep_until_expired(&expiring, received).await;
    let _ = live;

    let sessions = app
        .collect_pages(
            &format!("/api/v1/tenants/{tid}/licenses/{lid}/sessions"),
            ADMIN_TOKEN,
            50,
        )
        .await;
    assert_eq!(sessions.len(), 4);
    let at = |s: &Value, k: &str| assert_time(&s[k], k);
    let starts: Vec<_> = sessions.iter().map(|s| at(s, "created_at")).collect();
    let ends: Vec<Option<DateTime<Utc>>> = sessions
        .iter()
        .map(|s| s["ended_at"].as_str().map(|_| at(s, "ended_at")))
        .collect();
    // The window starts inside the first (expired) session and ends after every end but
    // before the live session's: each edge cuts a session.
    let from = starts[0] + chrono::Duration::microseconds(1500);
    let last_end = ends.iter().flatten().max().copied().unwrap();
    let to = last_end + chrono::Duration::microseconds(250);
    assert!(to < Utc::now(), "the window ends in the past");
    let spans: Vec<_> = starts
        .iter()
        .zip(&ends)
        .map(|(&s, e)| (s, e.unwrap_or(to + chrono::Duration::hours(1))))
        .collect();

    let q = |g: &str| {
        format!(
            "/api/v1/tenants/{tid}/usage?from={}&to={}&granularity={g}",
            urlencode(from),
            urlencode(to)
        )
    };
    let body = app.admin("GET", &q("hour"), None).await.expect(200);
    assert_eq!(assert_time(&body["from"], "from"), from);
    assert_eq!(assert_time(&body["to"], "to"), to);
    let got: Vec<(DateTime<Utc>, f64, u64)> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(i["license_id"], lid.as_str());
            assert_eq!(i["denials"], 0);
            (
                assert_time(&i["start"], "start"),
                i["seat_hours"].as_f64().unwrap(),
                i["sessions"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(DateTime<Utc>, f64, u64)> = expected_hours(&spans, from, to)
        .into_iter()
        .map(|(b, m, n)| (b, m as f64 / 3_600_000_000.0, u64::from(n)))
        .collect();
    assert_eq!(got, want, "seat-hours per hour, to the microsecond");
    let peak = body["items"][0]["peak_seats"].as_u64().unwrap();
    assert!((1..=4).contains(&peak), "peak {peak}");

    // By day the same sessions make one or two rows whose hours add up to the same sum.
    let day = app.admin("GET", &q("day"), None).await.expect(200);
    let total: i64 = spans
        .iter()
        .map(|&(s, e)| micros(s.max(from), e.min(to)))
        .sum();
    let day_sum: f64 = day["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["seat_hours"].as_f64().unwrap())
        .sum();
    assert!((day_sum - total as f64 / 3_600_000_000.0).abs() < 1e-12);
}

#[tokio::test]
async fn denials_are_counted_and_csv_has_the_same_rows() {
    let app = spawn_app().await;
    let (tid, l) = app.license_with(json!({"seats_total": 1})).await;
    let (key, lid) = key_and_id(&l);
    let from = Utc::now() - chrono::Duration::minutes(1);
    app.take_seat(&key, "first").await;
    app.acquire(&key, "second")
        .await
        .expect_error(409, "no_seats_available");
    app.acquire(&key, "third")
        .await
        .expect_error(409, "no_seats_available");
    let to = Utc::now() + chrono::Duration::minutes(1);
    let path = format!(
        "/api/v1/tenants/{tid}/usage?from={}&to={}&license_id={lid}",
        urlencode(from),
        urlencode(to)
    );
    let body = app.admin("GET", &path, None).await.expect(200);
    let items = body["items"].as_array().unwrap();
    let denials: u64 = items.iter().map(|i| i["denials"].as_u64().unwrap()).sum();
    assert_eq!(denials, 2);
    assert_eq!(
        items.iter().map(|i| i["sessions"].as_u64().unwrap()).max(),
        Some(1)
    );

    let csv = app
        .send(
            reqwest::Client::new()
                .get(app.url(&path))
                .bearer_auth(ADMIN_TOKEN)
                .header("accept", "text/csv"),
        )
        .await;
    assert_eq!(csv.status.as_u16(), 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text.clone();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "license_id,product_id,start,end,seat_hours,peak_seats,sessions,denials"
    );
    assert_eq!(lines.len(), items.len() + 1);
    assert!(lines[1].starts_with(&format!("{lid},")));
    assert!(lines[1].ends_with(&format!(",{}", items[0]["denials"])));
}

#[tokio::test]
async fn bad_usage_queries_are_422_and_an_unknown_license_404() {
    let app = spawn_app().await;
    let t = app.tenant_fixture().await;
    let tid = &t.id;
    let base = format!("/api/v1/tenants/{tid}/usage");
    for (query, field) in [
        ("", "from"),
        ("?from=2026-01-01T00:00:00Z&to=yesterday", "to"),
        ("?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        (
            "?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&granularity=hour",
            "to",
        ),
        (
            "?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&granularity=week",
            "granularity",
        ),
        (
            "?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&license_id=x",
            "license_id",
        ),
    ] {
        let r = app.admin("GET", &format!("{base}{query}"), None).await;
        r.expect_error(422, "validation_error");
        assert!(
            r.body["error"]["details"]["fields"][field].is_string(),
            "{query}: {}",
            r.body
        );
    }
    let unknown = format!(
        "{base}?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&license_id={}",
        random_uuid()
    );
    app.admin("GET", &unknown, None)
        .await
        .expect_error(404, "license_not_found");
}

fn urlencode(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        .replace('+', "%2B")
}
