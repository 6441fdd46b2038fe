//! Products: staff define what is sold once; Stripe prices and trials make licenses from
//! them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coditect_domain::input::{
    Name, Slug, DEFAULT_HEARTBEAT_TTL, ENTITLEMENTS_MAX, ENTITLEMENT_CHARS_MAX, HEARTBEAT_TTL_RANGE,
};
use coditect_domain::{NewProduct, Product, ProductPatch, PRODUCT_RANGES};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::http::extract::{ApiJson, JsonInput, ListQuery, PathIds, Principal, Superadmin};
use crate::http::fields::Fields;
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema::{self as doc, PageParams};
use crate::state::AppState;
use crate::views::ErrorBody;
use crate::views_billing::ProductPage;

/// The most Stripe prices one product may sell under.
pub(crate) const MAX_PRICES: usize = 100;
/// The longest Stripe price id, in characters.
pub(crate) const MAX_PRICE_LEN: usize = 255;

/// Body of a product creation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProductCreateBody {
    /// Unique (409 `conflict`, `details.field` = `slug`).
    slug: doc::Slug,
    name: doc::Name,
    /// Default 1.
    #[schema(nullable = false)]
    seats_per_unit: Option<doc::SeatsPerUnit>,
    /// Default 360.
    #[schema(nullable = false)]
    heartbeat_ttl_seconds: Option<doc::HeartbeatTtl>,
    #[schema(nullable = false)]
    entitlements: Option<doc::Entitlements>,
    /// Default 0 (no self-service trials).
    #[schema(nullable = false)]
    trial_days: Option<doc::TrialDays>,
    /// Default 1.
    #[schema(nullable = false)]
    trial_seats: Option<doc::TrialSeats>,
    /// Default 7.
    #[schema(nullable = false)]
    grace_days: Option<doc::GraceDays>,
    /// Each sells at most one product (409 `conflict`, `details.field` =
    /// `stripe_price_ids`).
    #[schema(nullable = false)]
    stripe_price_ids: Option<doc::StripePriceIds>,
    /// Default false.
    #[schema(nullable = false)]
    metered: Option<bool>,
}

/// Body of a product patch: any subset of the creation fields. Changing a product
/// changes no existing license.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProductPatchBody {
    #[schema(nullable = false)]
    slug: Option<doc::Slug>,
    #[schema(nullable = false)]
    name: Option<doc::Name>,
    #[schema(nullable = false)]
    seats_per_unit: Option<doc::SeatsPerUnit>,
    #[schema(nullable = false)]
    heartbeat_ttl_seconds: Option<doc::HeartbeatTtl>,
    /// Replaced whole.
    #[schema(nullable = false)]
    entitlements: Option<doc::Entitlements>,
    #[schema(nullable = false)]
    trial_days: Option<doc::TrialDays>,
    #[schema(nullable = false)]
    trial_seats: Option<doc::TrialSeats>,
    #[schema(nullable = false)]
    grace_days: Option<doc::GraceDays>,
    /// Replaced whole.
    #[schema(nullable = false)]
    stripe_price_ids: Option<doc::StripePriceIds>,
    #[schema(nullable = false)]
    metered: Option<bool>,
}

fn price_ids(f: &mut Fields) -> Option<Option<Vec<String>>> {
    let ids = f.string_list("stripe_price_ids", MAX_PRICES, MAX_PRICE_LEN)?;
    if let Some(ids) = &ids {
        let mut seen = std::collections::HashSet::new();
        if ids
            .iter()
            .any(|p| p.contains(char::is_whitespace) || !seen.insert(p))
        {
            f.fail(
                "stripe_price_ids",
                "must be distinct Stripe price ids without spaces",
            );
            return None;
        }
    }
    Some(ids)
}

fn parse_fields(f: &mut Fields, create: bool) -> Option<ProductPatch> {
    let slug = if create {
        f.required("slug", Slug::parse).map(Some)
    } else {
        f.optional("slug", false, Slug::parse)
    };
    let name = if create {
        f.required("name", Name::parse).map(Some)
    } else {
        f.optional("name", false, Name::parse)
    };
    let seats_per_unit = f.int("seats_per_unit", false, PRODUCT_RANGES.seats_per_unit);
    let ttl = f.int("heartbeat_ttl_seconds", false, HEARTBEAT_TTL_RANGE);
    let entitlements = f.string_list("entitlements", ENTITLEMENTS_MAX, ENTITLEMENT_CHARS_MAX);
    let trial_days = f.int("trial_days", false, PRODUCT_RANGES.trial_days);
    let trial_seats = f.int("trial_seats", false, PRODUCT_RANGES.trial_seats);
    let grace_days = f.int("grace_days", false, PRODUCT_RANGES.grace_days);
    let prices = price_ids(f);
    let metered = f.bool("metered");
    Some(ProductPatch {
        slug: slug?.map(|s| s.as_str().to_owned()),
        name: name?.map(Name::into_inner),
        seats_per_unit: seats_per_unit?,
        heartbeat_ttl_seconds: ttl?,
        entitlements: entitlements?,
        trial_days: trial_days?,
        trial_seats: trial_seats?,
        grace_days: grace_days?,
        stripe_price_ids: prices?,
        metered: metered?,
    })
}

/// A parsed product creation.
pub struct ProductInput(NewProduct);

impl JsonInput for ProductInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let p = parse_fields(&mut f, true);
        f.finish(|| {
            let p = p?;
            Some(ProductInput(NewProduct {
                slug: p.slug?,
                name: p.name?,
                seats_per_unit: p.seats_per_unit.unwrap_or(1),
                heartbeat_ttl_seconds: p.heartbeat_ttl_seconds.unwrap_or(DEFAULT_HEARTBEAT_TTL),
                entitlements: p.entitlements.unwrap_or_default(),
                trial_days: p.trial_days.unwrap_or(0),
                trial_seats: p.trial_seats.unwrap_or(1),
                grace_days: p.grace_days.unwrap_or(7),
                stripe_price_ids: p.stripe_price_ids.unwrap_or_default(),
                metered: p.metered.unwrap_or(false),
            }))
        })
    }
}

impl JsonInput for ProductPatch {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        let mut f = Fields::new(obj);
        let p = parse_fields(&mut f, false);
        f.finish(|| p)
    }
}

fn product_not_found() -> ApiError {
    ApiError::new(coditect_domain::ErrorCode::ProductNotFound)
}

/// Creates a product.
#[utoipa::path(post, path = "/api/v1/products", tag = "billing", request_body = ProductCreateBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Product), (status = 403, body = ErrorBody),
        (status = 409, description = "slug or a price id taken", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_product(
    State(state): State<AppState>,
    _: Superadmin,
    ApiJson(ProductInput(p)): ApiJson<ProductInput>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    let created = state.store.create_product(p).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Lists products, oldest first.
#[utoipa::path(get, path = "/api/v1/products", tag = "billing", security(("bearer" = []), ("cookie" = [])),
    params(PageParams),
    responses((status = 200, body = ProductPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_products(
    State(state): State<AppState>,
    _: Principal,
    q: ListQuery,
) -> ApiResult<Json<ProductPage>> {
    let page = state.store.list_products(q.page).await?;
    Ok(Json(ProductPage::new(page)))
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{product_id}", tag = "billing",
    security(("bearer" = []), ("cookie" = [])), params(("product_id" = uuid::Uuid, Path)),
    responses((status = 200, body = Product), (status = 404, description = "product_not_found", body = ErrorBody)))]
pub async fn get_product(
    State(state): State<AppState>,
    _: Principal,
    ids: PathIds,
) -> ApiResult<Json<Product>> {
    let id = ids.uuid("product_id").ok_or_else(product_not_found)?;
    let p = state
        .store
        .get_product(id)
        .await?
        .ok_or_else(product_not_found)?;
    Ok(Json(p))
}

/// Changes a product; no existing license changes with it.
#[utoipa::path(patch, path = "/api/v1/products/{product_id}", tag = "billing", request_body = ProductPatchBody,
    security(("bearer" = []), ("cookie" = [])), params(("product_id" = uuid::Uuid, Path)),
    responses((status = 200, body = Product), (status = 403, body = ErrorBody),
        (status = 404, description = "product_not_found", body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_product(
    State(state): State<AppState>,
    _: Superadmin,
    ids: PathIds,
    ApiJson(patch): ApiJson<ProductPatch>,
) -> ApiResult<Json<Product>> {
    let id = ids.uuid("product_id").ok_or_else(product_not_found)?;
    let p = state
        .store
        .update_product(id, &patch)
        .await?
        .ok_or_else(product_not_found)?;
    Ok(Json(p))
}
