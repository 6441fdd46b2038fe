//! Logs and metrics setup.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide Prometheus recorder, installed on first use.
pub fn prometheus() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ],
            )
            .expect("valid buckets")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may exist in an embedding process; then ours only renders.
        let _ = metrics::set_global_recorder(recorder);
        for name in ZEROED_COUNTERS {
            metrics::counter!(*name).increment(0);
        }
        handle
    })
}

/// Counters without labels that alerts and dashboards use but that count only rare
/// events: exported as 0 from the start, so a rule sees a series (not "no data") before
/// the first one.
const ZEROED_COUNTERS: &[&str] = &[
    "reaper_errors_total",
    "reaper_sessions_expired_total",
    "dashboard_sign_in_failures_total",
    "dashboard_sso_sign_ins_total",
];
