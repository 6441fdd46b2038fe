//! Exact seat-hours (`GET /api/v1/tenants/{tenant_id}/usage`): per license and bucket,
//! computed from the sessions themselves by `coditect_domain::metering`, as JSON or, with
//! `Accept: text/csv`, as a spreadsheet-safe CSV.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{header, request::Parts, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use coditect_domain::metering::{Granularity, UsageRow, UsageWindow, WindowError};
use serde::Serialize;
use serde_json::Map;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::extract::{query_map, time_param, TenantRead};
use crate::http::{csv, ApiError, ApiResult};
use crate::openapi::schema as doc;
use crate::seat_hours::usage_rows;
use crate::state::AppState;
use crate::views::ErrorBody;

/// One license's use in one bucket.
#[derive(Serialize, ToSchema)]
pub struct UsageItem {
    /// The license.
    pub license_id: Uuid,
    /// Its product, when it has one.
    pub product_id: Option<Uuid>,
    /// Bucket start (the window's start for a first bucket cut by it).
    pub start: DateTime<Utc>,
    /// Bucket end, exclusive (the window's end for a last bucket cut by it).
    pub end: DateTime<Utc>,
    /// Hours of seat use in the bucket, summed over sessions.
    pub seat_hours: f64,
    /// Most sessions holding a seat at one instant of the bucket.
    pub peak_seats: u32,
    /// Sessions that held a seat in the bucket.
    pub sessions: u32,
    /// Acquires refused for lack of a seat in the bucket.
    pub denials: u32,
}

impl From<UsageRow> for UsageItem {
    fn from(r: UsageRow) -> Self {
        Self {
            seat_hours: r.seat_hours(),
            license_id: r.license_id,
            product_id: r.product_id,
            start: r.start,
            end: r.end,
            peak_seats: r.peak_seats,
            sessions: r.sessions,
            denials: r.denials,
        }
    }
}

/// The usage of a window: every bucket in which a license held or refused a seat.
#[derive(Serialize, ToSchema)]
pub struct UsageList {
    /// License by license (by id), bucket by bucket.
    pub items: Vec<UsageItem>,
    /// The window's start.
    pub from: DateTime<Utc>,
    /// The window's end (exclusive).
    pub to: DateTime<Utc>,
}

/// `?from=&to=&granularity=&license_id=`, parsed and checked.
pub struct UsageQuery {
    window: UsageWindow,
    license_id: Option<Uuid>,
}

/// A required RFC 3339 time parameter.
fn required_time(
    q: &HashMap<String, String>,
    name: &str,
    errors: &mut Map<String, serde_json::Value>,
) -> Option<DateTime<Utc>> {
    if q.get(name).is_none_or(|s| s.is_empty()) {
        errors.insert(name.into(), "is required (RFC 3339)".into());
    }
    time_param(q, name, errors)
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for UsageQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Self> {
        let q = query_map(&parts.uri)?;
        let mut errors = Map::new();
        let from = required_time(&q, "from", &mut errors);
        let to = required_time(&q, "to", &mut errors);
        let granularity = match q.get("granularity").filter(|s| !s.is_empty()) {
            None => Some(Granularity::Day),
            Some(s) => Granularity::parse(s).or_else(|| {
                errors.insert("granularity".into(), "must be hour, day or month".into());
                None
            }),
        };
        let license_id = q.get("license_id").filter(|s| !s.is_empty()).and_then(|s| {
            let id = Uuid::parse_str(s).ok();
            if id.is_none() {
                errors.insert("license_id".into(), "must be a UUID".into());
            }
            id
        });
        let (Some(from), Some(to), Some(granularity), true) =
            (from, to, granularity, errors.is_empty())
        else {
            return Err(ApiError::validation(errors));
        };
        let window = UsageWindow::new(from, to, granularity).map_err(|e| match e {
            WindowError::Empty => ApiError::field("to", "must be after from"),
            WindowError::TooLong => ApiError::field(
                "to",
                "the window is too long for this granularity (31 days by hour, 366 by day, 3660 by month)",
            ),
        })?;
        Ok(Self { window, license_id })
    }
}

/// Exact seat-hours per license and bucket, with peak seats, sessions and denials.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/usage", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("tenant_id" = uuid::Uuid, Path),
        ("from" = doc::Time, Query, description = "the window's start"),
        ("to" = doc::Time, Query, description = "exclusive; after `from`, and at most 31 days after it by hour, 366 by day, 3660 by month"),
        ("granularity" = Option<doc::GranularityFilter>, Query, description = "in UTC"),
        ("license_id" = Option<uuid::Uuid>, Query, description = "one license instead of the whole tenant")),
    responses((status = 200, body = UsageList,
            description = "JSON; with `Accept: text/csv`, the items as CSV: license_id,product_id,start,end,seat_hours,peak_seats,sessions,denials"),
        (status = 404, description = "not_found or license_not_found", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn tenant_usage(
    State(state): State<AppState>,
    access: TenantRead,
    q: UsageQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(id) = q.license_id {
        state
            .store
            .get_license(access.tenant_id, id)
            .await?
            .ok_or_else(ApiError::license_not_found)?;
    }
    let now = state.store.now().await?;
    let rows = usage_rows(
        state.store.as_ref(),
        access.tenant_id,
        q.license_id,
        &q.window,
        now,
        |_| true,
    )
    .await?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"));
    if wants_csv {
        return Ok(csv_rows(access.tenant_id, rows));
    }
    let items = rows.into_iter().map(UsageItem::from).collect();
    Ok(Json(UsageList {
        items,
        from: q.window.from(),
        to: q.window.to(),
    })
    .into_response())
}

/// The rows as CSV, with the JSON's columns in its order.
fn csv_rows(tenant_id: Uuid, rows: Vec<UsageRow>) -> Response {
    let mut out =
        String::from("license_id,product_id,start,end,seat_hours,peak_seats,sessions,denials\r\n");
    for r in rows {
        let product = r.product_id.map(|p| p.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\r\n",
            r.license_id,
            csv::field(&product),
            csv::time(r.start),
            csv::time(r.end),
            r.seat_hours(),
            r.peak_seats,
            r.sessions,
            r.denials
        ));
    }
    csv::download(&format!("usage-{tenant_id}.csv"), out)
}
