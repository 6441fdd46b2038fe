//! Analytics: seat use (average and peak) and denials over time, per tenant or per
//! license, and a staff view across tenants.

use axum::extract::State;
use axum::http::request::Parts;
use axum::Json;
use chrono::{DateTime, Utc};
use coditect_domain::usage::{build_series, expected_slots, MAX_BUCKETS};
use coditect_domain::Bucket;
use serde_json::Map;
use uuid::Uuid;

use crate::http::extract::{time_param, Superadmin, TenantRead};
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema as doc;
use crate::state::AppState;
use crate::views::ErrorBody;
use crate::views_accounts::{AnalyticsView, TenantUsageList, TenantUsageView};

/// `?license_id=&from=&to=&bucket=`, parsed.
pub struct AnalyticsQuery {
    license_id: Option<Uuid>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    bucket: Bucket,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AnalyticsQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Self> {
        let q = crate::http::extract::query_map(&parts.uri)?;
        let mut errors = Map::new();
        let license_id = match q.get("license_id").filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match Uuid::parse_str(s) {
                Ok(u) => Some(u),
                Err(_) => {
                    errors.insert("license_id".into(), "must be a UUID".into());
                    None
                }
            },
        };
        let from = time_param(&q, "from", &mut errors);
        let to = time_param(&q, "to", &mut errors);
        let bucket = match q.get("bucket").filter(|s| !s.is_empty()) {
            None => Bucket::Hour,
            Some(s) => Bucket::parse(s).unwrap_or_else(|| {
                errors.insert("bucket".into(), "must be minute, hour or day".into());
                Bucket::Hour
            }),
        };
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(Self {
            license_id,
            from,
            to,
            bucket,
        })
    }
}

/// 0000-01-01T00:00:00Z in Unix seconds.
const EARLIEST_RFC_3339: i64 = -62_167_219_200;

/// The range in force: the given bounds, by default the last 24 hours up to now. The
/// default start is never before 0000-01-01T00:00:00Z, the first time RFC 3339 can write.
fn range(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let to = to.unwrap_or(now);
    let earliest = DateTime::from_timestamp(EARLIEST_RFC_3339, 0).unwrap_or(to);
    let from = from.unwrap_or_else(|| (to - chrono::Duration::hours(24)).max(earliest));
    if from >= to {
        return Err(ApiError::field("from", "must be before to"));
    }
    Ok((from, to))
}

/// Seat use and denials of the tenant, or of one license, per bucket.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/analytics", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path),
        ("license_id" = Option<uuid::Uuid>, Query, description = "one license instead of the whole tenant"),
        ("from" = Option<doc::TimeFilter>, Query, description = "default: `to` minus 24 h; before `to`"),
        ("to" = Option<doc::TimeFilter>, Query, description = "exclusive; default: now"),
        ("bucket" = Option<doc::BucketFilter>, Query, description = "at most 5000 buckets from `from` to `to`")),
    responses((status = 200, body = AnalyticsView), (status = 404, description = "not_found or license_not_found", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn tenant_analytics(
    State(state): State<AppState>,
    access: TenantRead,
    q: AnalyticsQuery,
) -> ApiResult<Json<AnalyticsView>> {
    let now = state.store.now().await?;
    let (from, to) = range(q.from, q.to, now)?;
    let buckets = (to - q.bucket.floor(from)).num_seconds() / q.bucket.seconds() + 1;
    if buckets > MAX_BUCKETS {
        return Err(ApiError::field(
            "bucket",
            "the range holds more than 5000 buckets; use a wider bucket or a shorter range",
        ));
    }
    if let Some(id) = q.license_id {
        state
            .store
            .get_license(access.tenant_id, id)
            .await?
            .ok_or_else(ApiError::license_not_found)?;
    }
    let (usage, denials) = state
        .store
        .usage_buckets(access.tenant_id, q.license_id, from, to, q.bucket.seconds())
        .await?;
    let s = build_series(
        q.bucket,
        from,
        to,
        now,
        state.config.sample_secs(),
        &usage,
        &denials,
    );
    Ok(Json(AnalyticsView {
        bucket: s.bucket.as_str().into(),
        from: s.from,
        to: s.to,
        series: s.series.into_iter().map(Into::into).collect(),
        peak: s.peak,
        average: s.average,
        denials_total: s.denials_total,
    }))
}

/// Every tenant's peak, average, denials, licenses and live sessions (staff).
#[utoipa::path(get, path = "/api/v1/analytics/tenants", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("from" = Option<doc::TimeFilter>, Query, description = "default: `to` minus 24 h; before `to`"),
        ("to" = Option<doc::TimeFilter>, Query, description = "default: now")),
    responses((status = 200, body = TenantUsageList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn staff_analytics(
    State(state): State<AppState>,
    _: Superadmin,
    q: AnalyticsQuery,
) -> ApiResult<Json<TenantUsageList>> {
    let now = state.store.now().await?;
    let (from, to) = range(q.from, q.to, now)?;
    let rows = state.store.tenant_usage(from, to).await?;
    let expected = expected_slots(from, to, from, to, now, state.config.sample_secs());
    let items = rows
        .into_iter()
        .map(|r| {
            let slots = expected.max(r.slots);
            let average = if slots > 0 {
                (r.sum as f64 / slots as f64 * 100.0).round() / 100.0
            } else {
                0.0
            };
            TenantUsageView {
                tenant_id: r.tenant_id,
                tenant_name: r.tenant_name,
                peak: r.peak,
                average,
                denials_total: r.denials,
                licenses: r.licenses,
                live_sessions: r.live_sessions,
            }
        })
        .collect();
    Ok(Json(TenantUsageList { items }))
}
