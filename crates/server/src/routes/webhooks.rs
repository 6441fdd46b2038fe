//! Outgoing webhooks: a tenant's admins register endpoints for their tenant's events,
//! superadmins register staff-wide ones for every tenant's. The secret is shown once, on
//! registration; the delivery log shows every attempt, and a delivery can be sent again.

use axum::extract::{FromRequestParts, State};
use axum::http::{request::Parts, StatusCode};
use axum::Json;
use coditect_domain::webhooks::{is_event_type, EVENT_TYPES};
use coditect_domain::{NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WebhookPatch};
use coditect_storage::WebhookScope;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::crypto::secrets::new_secret;
use crate::http::extract::{ApiJson, JsonInput, ListQuery, PathIds, Superadmin, TenantWrite};
use crate::http::fields::Fields;
use crate::http::{ApiError, ApiResult};
use crate::openapi::schema;
use crate::outgoing::address::{check_destination, parse_url};
use crate::state::AppState;
use crate::views::ErrorBody;
use crate::views_webhooks::{DeliveryPage, WebhookPage};

/// The longest webhook description, in characters.
pub(crate) const MAX_DESCRIPTION: usize = 500;

/// Whose webhooks the path names, and the caller's right to manage them: a tenant's
/// admins under `/tenants/{tenant_id}/webhooks`, superadmins under `/webhooks`.
pub struct WebhookAccess {
    scope: WebhookScope,
    ids: PathIds,
}

impl FromRequestParts<AppState> for WebhookAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let scope = if parts.uri.path().starts_with("/api/v1/tenants/") {
            WebhookScope::Tenant(
                TenantWrite::from_request_parts(parts, state)
                    .await?
                    .tenant_id,
            )
        } else {
            Superadmin::from_request_parts(parts, state).await?;
            WebhookScope::Staff
        };
        let ids = PathIds::from_request_parts(parts, state).await?;
        Ok(Self { scope, ids })
    }
}

impl WebhookAccess {
    fn webhook_id(&self) -> ApiResult<uuid::Uuid> {
        self.ids.uuid("webhook_id").ok_or_else(ApiError::not_found)
    }
}

/// Body of a registration.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WebhookCreateBody {
    /// `https://…` (or `http://` to loopback with `CODITECT_WEBHOOKS_ALLOW_HTTP=true`);
    /// a host resolving to a private, link-local or loopback address is refused (422).
    url: schema::WebhookUrl,
    events: schema::WebhookEvents,
    description: Option<schema::WebhookDescription>,
}

/// Body of a change: any subset.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WebhookPatchBody {
    #[schema(nullable = false)]
    url: Option<schema::WebhookUrl>,
    /// Replaced whole.
    #[schema(nullable = false)]
    events: Option<schema::WebhookEvents>,
    /// Null clears it.
    description: Option<schema::WebhookDescription>,
    #[schema(nullable = false)]
    enabled: Option<bool>,
}

/// A registered endpoint with its signing secret: the only answer that shows it.
#[derive(Serialize, ToSchema)]
pub struct WebhookCreated {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// Verifies `coditect-signature` (HMAC-SHA256 of `"<t>.<body>"`, Stripe's scheme).
    pub secret: String,
}

fn events(f: &mut Fields, required: bool) -> Option<Option<Vec<String>>> {
    let list = f.string_list("events", EVENT_TYPES.len(), 64)?;
    match &list {
        None if required => {
            f.fail("events", "is required");
            return None;
        }
        Some(l) if l.is_empty() || l.iter().any(|e| !is_event_type(e)) => {
            f.fail(
                "events",
                format!("must be one or more of {}", EVENT_TYPES.join(", ")),
            );
            return None;
        }
        Some(l) if (1..l.len()).any(|i| l[..i].contains(&l[i])) => {
            f.fail("events", "must not repeat an event");
            return None;
        }
        _ => {}
    }
    Some(list)
}

fn description(f: &mut Fields) -> Option<Option<Option<String>>> {
    if !f.has("description") {
        return Some(None);
    }
    f.optional("description", true, |s| {
        if s.chars().count() > MAX_DESCRIPTION || s.chars().any(char::is_control) {
            Err(format!(
                "must be at most {MAX_DESCRIPTION} characters, without control characters"
            ))
        } else {
            Ok(s.to_owned())
        }
    })
    .map(Some)
}

/// A parsed registration or change (the URL's form checked, not yet its addresses).
pub struct WebhookInput(WebhookPatch);

fn parse(obj: &Map<String, Value>, create: bool) -> ApiResult<WebhookInput> {
    let mut f = Fields::new(obj);
    let url = if create {
        f.required("url", |s| Ok(s.to_owned())).map(Some)
    } else {
        f.optional("url", false, |s| Ok(s.to_owned()))
    };
    let events = events(&mut f, create);
    let description = description(&mut f);
    let enabled = if create {
        Some(None)
    } else {
        f.bool("enabled")
    };
    f.finish(|| {
        Some(WebhookInput(WebhookPatch {
            url: url?,
            events: events?,
            description: description?,
            enabled: enabled?,
        }))
    })
}

/// A registration body.
pub struct WebhookCreateInput(WebhookPatch);
impl JsonInput for WebhookCreateInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        parse(obj, true).map(|WebhookInput(p)| Self(p))
    }
}
impl JsonInput for WebhookInput {
    fn parse(obj: &Map<String, Value>) -> ApiResult<Self> {
        parse(obj, false)
    }
}

/// The URL checked as the contract says: its form, then where its host resolves.
async fn allowed_url(state: &AppState, raw: &str) -> ApiResult<String> {
    let allow_http = state.config.webhooks.allow_http;
    let url = parse_url(raw, allow_http).map_err(|m| ApiError::field("url", &m))?;
    check_destination(&url, allow_http)
        .await
        .map_err(|m| ApiError::field("url", &format!("is refused: {m}")))?;
    Ok(url.to_string())
}

/// Registers an endpoint (tenant: its events; staff: every tenant's).
pub async fn create(
    State(state): State<AppState>,
    access: WebhookAccess,
    ApiJson(WebhookCreateInput(p)): ApiJson<WebhookCreateInput>,
) -> ApiResult<(StatusCode, Json<WebhookCreated>)> {
    let url = allowed_url(&state, p.url.as_deref().unwrap_or_default()).await?;
    let secret = format!("whsec_{}", new_secret());
    let sealed = state.sealer.seal(&secret).map_err(ApiError::internal)?;
    let endpoint = state
        .store
        .create_webhook(NewWebhookEndpoint {
            tenant_id: access.scope.tenant_id(),
            url,
            description: p.description.flatten(),
            events: p.events.unwrap_or_default(),
            secret_sealed: sealed,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated { endpoint, secret }),
    ))
}

/// The scope's endpoints, oldest first.
pub async fn list(
    State(state): State<AppState>,
    access: WebhookAccess,
    q: ListQuery,
) -> ApiResult<Json<WebhookPage>> {
    let page = state.store.list_webhooks(access.scope, q.page).await?;
    Ok(Json(WebhookPage::new(page)))
}

/// One endpoint.
pub async fn get_one(
    State(state): State<AppState>,
    access: WebhookAccess,
) -> ApiResult<Json<WebhookEndpoint>> {
    let id = access.webhook_id()?;
    let e = state.store.get_webhook(access.scope, id).await?;
    Ok(Json(e.ok_or_else(ApiError::not_found)?))
}

/// Changes an endpoint's URL (checked again), events, description or whether it is on.
pub async fn update(
    State(state): State<AppState>,
    access: WebhookAccess,
    ApiJson(WebhookInput(mut p)): ApiJson<WebhookInput>,
) -> ApiResult<Json<WebhookEndpoint>> {
    let id = access.webhook_id()?;
    if let Some(raw) = p.url.take() {
        p.url = Some(allowed_url(&state, &raw).await?);
    }
    let e = state.store.update_webhook(access.scope, id, &p).await?;
    Ok(Json(e.ok_or_else(ApiError::not_found)?))
}

/// Removes an endpoint and its delivery log.
pub async fn remove(State(state): State<AppState>, access: WebhookAccess) -> ApiResult<StatusCode> {
    let id = access.webhook_id()?;
    if state.store.delete_webhook(access.scope, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

/// An endpoint's deliveries, newest first.
pub async fn deliveries(
    State(state): State<AppState>,
    access: WebhookAccess,
    q: ListQuery,
) -> ApiResult<Json<DeliveryPage>> {
    let id = access.webhook_id()?;
    let page = state
        .store
        .list_deliveries(access.scope, id, q.page)
        .await?;
    Ok(Json(DeliveryPage::new(
        page.ok_or_else(ApiError::not_found)?,
    )))
}

/// Sends a delivery again, whatever its status (a receiver that lost it, a failed one).
pub async fn redeliver(
    State(state): State<AppState>,
    access: WebhookAccess,
) -> ApiResult<Json<WebhookDelivery>> {
    let id = access.webhook_id()?;
    let delivery = access
        .ids
        .uuid("delivery_id")
        .ok_or_else(ApiError::not_found)?;
    let d = state.store.redeliver(access.scope, id, delivery).await?;
    Ok(Json(d.ok_or_else(ApiError::not_found)?))
}

/// The OpenAPI operations, one per path and method: the same handlers serve the
/// tenant's paths and the staff-wide ones.
#[allow(missing_docs, dead_code)]
pub mod doc {
    use super::*;
    use crate::openapi::schema::PageParams;

    /// One operation per line: its path ids, the query parameters of a paged listing
    /// (`+ PageParams`), a body (`body = T`), and the success answer (`=> 200 T`, or
    /// `=> 204` for one without a body).
    macro_rules! documented {
        ($($name:ident: $method:ident $path:literal [$($param:literal),*] $(+ $paged:ident)? $(body = $body:ty)? => $status:literal $($resp:ty)?;)*) => {$(
            #[utoipa::path($method, path = $path, tag = "webhooks", $(request_body = $body,)?
                params($(($param = uuid::Uuid, Path),)* $($paged)?),
                security(("bearer" = []), ("cookie" = [])),
                responses((status = $status, description = "Success" $(, body = $resp)?), (status = 403, body = ErrorBody),
                    (status = 404, body = ErrorBody), (status = 422, description = "validation_error, or a refused URL", body = ErrorBody)))]
            pub fn $name() {}
        )*};
    }

    documented! {
        create_tenant: post "/api/v1/tenants/{tenant_id}/webhooks" ["tenant_id"] body = WebhookCreateBody => 201 WebhookCreated;
        list_tenant: get "/api/v1/tenants/{tenant_id}/webhooks" ["tenant_id"] + PageParams => 200 WebhookPage;
        get_tenant: get "/api/v1/tenants/{tenant_id}/webhooks/{webhook_id}" ["tenant_id", "webhook_id"] => 200 WebhookEndpoint;
        update_tenant: patch "/api/v1/tenants/{tenant_id}/webhooks/{webhook_id}" ["tenant_id", "webhook_id"] body = WebhookPatchBody => 200 WebhookEndpoint;
        delete_tenant: delete "/api/v1/tenants/{tenant_id}/webhooks/{webhook_id}" ["tenant_id", "webhook_id"] => 204;
        deliveries_tenant: get "/api/v1/tenants/{tenant_id}/webhooks/{webhook_id}/deliveries" ["tenant_id", "webhook_id"] + PageParams => 200 DeliveryPage;
        redeliver_tenant: post "/api/v1/tenants/{tenant_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver" ["tenant_id", "webhook_id", "delivery_id"] => 200 WebhookDelivery;
        create_staff: post "/api/v1/webhooks" [] body = WebhookCreateBody => 201 WebhookCreated;
        list_staff: get "/api/v1/webhooks" [] + PageParams => 200 WebhookPage;
        get_staff: get "/api/v1/webhooks/{webhook_id}" ["webhook_id"] => 200 WebhookEndpoint;
        update_staff: patch "/api/v1/webhooks/{webhook_id}" ["webhook_id"] body = WebhookPatchBody => 200 WebhookEndpoint;
        delete_staff: delete "/api/v1/webhooks/{webhook_id}" ["webhook_id"] => 204;
        deliveries_staff: get "/api/v1/webhooks/{webhook_id}/deliveries" ["webhook_id"] + PageParams => 200 DeliveryPage;
        redeliver_staff: post "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver" ["webhook_id", "delivery_id"] => 200 WebhookDelivery;
    }
}
