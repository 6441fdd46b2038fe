//! The shipped monitoring (`deploy/monitoring/`): every metric the alert rules and the
//! Grafana dashboard query is one the server exports at `/metrics`, after a little seat
//! traffic and a reaper pass (a renamed metric fails this, not a night on call).

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;

use crate::support::helpers::*;

/// A file of `deploy/monitoring/`, read when the test runs (the server's build, and its
/// container image, never embed it).
fn shipped(name: &str) -> String {
    let path = format!(
        "{}/../../deploy/monitoring/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Metric names in PromQL text: every selector here names its job (`name{job=…}`), so a
/// metric is the identifier right before a `{` (labels come before `=`, functions before
/// `(`). `up` is Prometheus's own.
fn metrics_in(promql: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in promql.match_indices('{') {
        let name: String = promql[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !name.is_empty() && name != "up" {
            out.insert(name);
        }
    }
    out
}

/// The expressions of the rules file (`expr:` lines and their indented continuations).
fn rule_expressions(yaml: &str) -> String {
    let mut out = String::new();
    let mut in_expr = false;
    for line in yaml.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("expr:") {
            in_expr = true;
            out.push_str(rest);
        } else if in_expr && line.starts_with("          ") {
            out.push_str(t);
        } else {
            in_expr = false;
        }
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn alert_rules_and_the_dashboard_use_only_exported_metrics() {
    let app = spawn_app_with(|c| c.reaper_interval = Duration::from_millis(200)).await;
    let (_, license) = app.license_with(json!({"seats_total": 1})).await;
    let key = license["license_key"]
        .as_str()
        .expect("license_key")
        .to_owned();
    assert_eq!(app.acquire(&key, "hw-1").await.status, 201);
    assert_eq!(app.acquire(&key, "hw-2").await.status, 409);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = app.call("GET", "/metrics", None, None).await;
    assert_eq!(r.status, 200);
    let exported: BTreeSet<String> = r
        .text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap_or_default().to_owned())
        .collect();
    let dashboard: serde_json::Value =
        serde_json::from_str(&shipped("grafana-dashboard.json")).expect("dashboard JSON");
    let dash_exprs: String = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .map(|t| t["expr"].as_str().unwrap_or_default().to_owned() + "\n")
        .collect();
    for (what, text) in [
        ("alerts.yml", rule_expressions(&shipped("alerts.yml"))),
        ("grafana-dashboard.json", dash_exprs),
    ] {
        let used = metrics_in(&text);
        assert!(used.len() >= 8, "{what} queries only {used:?}");
        for m in &used {
            assert!(
                exported.contains(m),
                "{what} uses {m}, which /metrics does not export: {exported:?}"
            );
        }
    }
}
