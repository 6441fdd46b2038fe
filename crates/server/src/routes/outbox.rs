//! The staff view of the mail outbox: which mails are queued, sent or failed, and a retry
//! for one refused for good. Bodies are never shown (a queued body holds a one-time link).

use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use chrono::{DateTime, Utc};
use coditect_domain::mail::MailState;
use coditect_domain::ErrorCode;
use coditect_storage::OutboxEntry;
use serde::Serialize;
use serde_json::{json, Map};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::extract::{encode_cursor, parse_page, query_map, PathIds, Superadmin};
use crate::http::{ApiError, ApiResult};
use crate::mail;
use crate::openapi::schema::PageParams;
use crate::state::AppState;
use crate::views::ErrorBody;

/// A mail of the outbox, without its body.
#[derive(Serialize, ToSchema)]
pub struct OutboxMailView {
    /// Mail id.
    pub id: Uuid,
    /// `invitation`, `password_reset`, `signup`, `signup_exists`, `trial`, ...
    pub kind: String,
    /// Address it goes to.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// `queued`, `sent` or `failed`.
    pub state: String,
    /// Delivery attempts that failed so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due (queued mails).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the mail server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was refused for good.
    pub failed_at: Option<DateTime<Utc>>,
}

impl From<OutboxEntry> for OutboxMailView {
    fn from(e: OutboxEntry) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            recipient: e.recipient,
            subject: e.subject,
            state: e.state.as_str().into(),
            attempts: e.attempts,
            last_error: e.last_error,
            created_at: e.created_at,
            next_attempt_at: e.next_attempt_at,
            sent_at: e.sent_at,
            failed_at: e.failed_at,
        }
    }
}

/// Totals of the outbox.
#[derive(Serialize, ToSchema)]
pub struct OutboxTotals {
    /// Waiting to be sent (including ones being retried).
    pub queued: i64,
    /// Accepted by the mail server.
    pub sent: i64,
    /// Refused for good.
    pub failed: i64,
}

/// A page of the outbox, newest first, with its totals.
#[derive(Serialize, ToSchema)]
pub struct OutboxPage {
    /// Mails, newest first.
    pub items: Vec<OutboxMailView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
    /// Totals over the whole outbox.
    pub totals: OutboxTotals,
    /// Whether this server sends mail (`CODITECT_SMTP_URL` set and usable); `false`:
    /// queued mails wait until it is.
    pub mail_configured: bool,
}

/// The outbox, newest first, optionally in one state (staff and superadmin tokens).
#[utoipa::path(get, path = "/api/v1/outbox", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])),
    params(("state" = Option<crate::openapi::schema::OutboxStateFilter>, Query, description = "queued, sent or failed"), PageParams),
    responses((status = 200, body = OutboxPage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Superadmin(_): Superadmin,
    uri: Uri,
) -> ApiResult<Json<OutboxPage>> {
    let q = query_map(&uri)?;
    let mut fields = Map::new();
    let page = parse_page(&q, &mut fields);
    let filter = match q.get("state").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let st = MailState::parse(s);
            if st.is_none() {
                fields.insert("state".into(), "must be queued, sent or failed".into());
            }
            st
        }
    };
    if !fields.is_empty() {
        return Err(ApiError::validation(fields));
    }
    let page = state.store.list_mails(filter, page).await?;
    let counts = state.store.outbox_counts().await?;
    Ok(Json(OutboxPage {
        next_cursor: encode_cursor(page.next_after),
        items: page.items.into_iter().map(Into::into).collect(),
        totals: OutboxTotals {
            queued: counts.pending,
            sent: counts.sent,
            failed: counts.failed,
        },
        mail_configured: mail::configured(&state),
    }))
}

/// Puts a mail refused for good back in the queue, due now (staff and superadmin tokens).
/// `409` when the mail is not failed.
#[utoipa::path(post, path = "/api/v1/outbox/{mail_id}/retry", tag = "dashboard",
    security(("bearer" = []), ("cookie" = [])), params(("mail_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The mail, queued again", body = OutboxMailView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "conflict: the mail is not failed", body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    Superadmin(_): Superadmin,
    ids: PathIds,
) -> ApiResult<Json<OutboxMailView>> {
    let id = ids.uuid("mail_id").ok_or_else(ApiError::not_found)?;
    if let Some(m) = state.store.retry_mail(id).await? {
        state.mail_wake.notify_one();
        return Ok(Json(m.into()));
    }
    let current = state
        .store
        .get_mail(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Err(
        ApiError::with_message(ErrorCode::Conflict, "only a failed mail can be retried")
            .with_detail("field", json!("state"))
            .with_detail("state", json!(current.state.as_str())),
    )
}
