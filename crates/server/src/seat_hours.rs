//! Seat use turned into usage rows, page by page: what the usage endpoint answers and
//! what the Stripe meter reports, computed the one way.

use chrono::{DateTime, Utc};
use coditect_domain::metering::{license_usage, seat_end, SeatSpan, UsageRow, UsageWindow};
use coditect_storage::{SeatUseQuery, Store, StoreResult};

/// Licenses per store call.
const LICENSES_PER_PAGE: u32 = 200;

/// The rows of a tenant's licenses (or of one), over `window`, live sessions counted
/// until `now`. `keep` picks the licenses wanted (all, or the metered).
pub async fn usage_rows(
    store: &dyn Store,
    tenant_id: uuid::Uuid,
    license_id: Option<uuid::Uuid>,
    window: &UsageWindow,
    now: DateTime<Utc>,
    keep: impl Fn(uuid::Uuid) -> bool,
) -> StoreResult<Vec<UsageRow>> {
    let mut query = SeatUseQuery {
        tenant_id,
        license_id,
        from: window.from(),
        to: window.to(),
        after: None,
        limit: LICENSES_PER_PAGE,
    };
    let mut rows = Vec::new();
    loop {
        let page = store.seat_use(&query).await?;
        for l in page.iter().filter(|l| keep(l.license_id)) {
            let spans: Vec<SeatSpan> = l
                .sessions
                .iter()
                .map(|s| SeatSpan {
                    start: s.created_at,
                    end: seat_end(s.ended_at, s.expires_at, now),
                })
                .collect();
            rows.extend(license_usage(
                window,
                l.license_id,
                l.product_id,
                &spans,
                &l.denials,
            ));
        }
        match page.last() {
            Some(last) if page.len() == LICENSES_PER_PAGE as usize => {
                query.after = Some(last.license_id)
            }
            _ => return Ok(rows),
        }
    }
}
