//! Stripe meter reports: queued once per license and hour behind a cursor that one
//! process at a time moves, claimed under a lease, recorded once.

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use super::fixtures::tenant;
use crate::{Attempt, NewMeterReport, OutboxCounts, Store};

fn hour(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap()
}

fn report(tenant_id: Uuid, license_id: Uuid, h: u32, value: i64) -> NewMeterReport {
    NewMeterReport {
        license_id,
        tenant_id,
        hour_start: hour(h),
        customer_id: "cus_meter".into(),
        value_hundredths: value,
    }
}

/// The cursor moves only from where it is; a report of a license's hour is queued once.
pub async fn meter_reports_are_queued_once_behind_the_cursor(store: &dyn Store) {
    let t = tenant(store).await;
    let l = Uuid::now_v7();
    assert_eq!(store.meter_cursor().await.unwrap(), None);
    assert!(store.queue_meter_reports(&[], None, hour(1)).await.unwrap());
    assert!(
        !store.queue_meter_reports(&[], None, hour(1)).await.unwrap(),
        "a second first run"
    );
    assert_eq!(store.meter_cursor().await.unwrap(), Some(hour(1)));
    let batch = [report(t.id, l, 1, 150), report(t.id, l, 2, 100)];
    assert!(store
        .queue_meter_reports(&batch, Some(hour(1)), hour(3))
        .await
        .unwrap());
    let stale = [report(t.id, l, 1, 999)];
    assert!(!store
        .queue_meter_reports(&stale, Some(hour(1)), hour(3))
        .await
        .unwrap());
    assert!(store
        .queue_meter_reports(&stale, Some(hour(3)), hour(4))
        .await
        .unwrap());
    assert_eq!(store.meter_cursor().await.unwrap(), Some(hour(4)));
    let counts = store.meter_report_counts().await.unwrap();
    assert_eq!(
        counts,
        OutboxCounts {
            pending: 2,
            sent: 0,
            failed: 0,
            pending_attempts: 0
        }
    );
    let due = store
        .claim_meter_reports(Uuid::now_v7(), 10, Duration::minutes(1))
        .await
        .unwrap();
    let values: Vec<_> = due
        .iter()
        .map(|d| (d.report.hour_start, d.report.value_hundredths))
        .collect();
    assert_eq!(
        values,
        [(hour(1), 150), (hour(2), 100)],
        "the first value of an hour stays"
    );
    assert_eq!(due[0].report.customer_id, "cus_meter");
    assert_eq!(due[0].report.tenant_id, t.id);
}

/// A claimed report is hidden from other claims, retried when due, and done once sent.
pub async fn meter_reports_are_claimed_under_a_lease(store: &dyn Store) {
    let t = tenant(store).await;
    let l = Uuid::now_v7();
    store
        .queue_meter_reports(&[report(t.id, l, 5, 42)], None, hour(6))
        .await
        .unwrap();
    let lease = Uuid::now_v7();
    let due = store
        .claim_meter_reports(lease, 10, Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert!(store
        .claim_meter_reports(Uuid::now_v7(), 10, Duration::minutes(5))
        .await
        .unwrap()
        .is_empty());
    let retry = Attempt::Retry {
        status_code: None,
        error: "connection refused".into(),
        wait: Duration::zero(),
    };
    assert!(!store
        .finish_meter_report(l, hour(5), Uuid::now_v7(), &retry)
        .await
        .unwrap());
    assert!(store
        .finish_meter_report(l, hour(5), lease, &retry)
        .await
        .unwrap());
    let lease2 = Uuid::now_v7();
    let again = store
        .claim_meter_reports(lease2, 10, Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    let ok = Attempt::Delivered { status_code: 200 };
    assert!(store
        .finish_meter_report(l, hour(5), lease2, &ok)
        .await
        .unwrap());
    assert!(!store
        .finish_meter_report(l, hour(5), lease2, &ok)
        .await
        .unwrap());
    assert!(store
        .claim_meter_reports(Uuid::now_v7(), 10, Duration::zero())
        .await
        .unwrap()
        .is_empty());
    let counts = store.meter_report_counts().await.unwrap();
    assert_eq!(
        counts,
        OutboxCounts {
            pending: 0,
            sent: 1,
            failed: 0,
            pending_attempts: 0
        }
    );
}
