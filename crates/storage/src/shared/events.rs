//! The outgoing-event statements both backends run as they are (`$N` binds on both; times
//! and durations in the backend's own types: `timestamptz`/`interval` on PostgreSQL,
//! microseconds on SQLite, so `$now + $wait` means the same on each). Only the claims
//! differ, by PostgreSQL's `FOR UPDATE SKIP LOCKED`; their shared tail is here.

/// `$1` id, `$2` tenant or NULL, `$3` url, `$4` description, `$5` events (JSON), `$6`
/// sealed secret, `$7` now.
pub const INSERT_WEBHOOK: &str = "INSERT INTO webhook_endpoints (id, tenant_id, url, \
     description, events, secret_sealed, enabled, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, true, $7, $7) RETURNING *";

/// A scope's endpoints: `$1` tenant or NULL (staff), `$2` cursor or NULL, `$3` limit.
pub const LIST_WEBHOOKS: &str = "SELECT * FROM webhook_endpoints \
     WHERE tenant_id IS NOT DISTINCT FROM $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3";

/// One endpoint of a scope: `$1` id, `$2` tenant or NULL.
pub const GET_WEBHOOK: &str =
    "SELECT * FROM webhook_endpoints WHERE id = $1 AND tenant_id IS NOT DISTINCT FROM $2";

/// `$1` id, `$2` tenant or NULL, `$3` url or NULL, `$4` events or NULL, `$5` whether
/// the description changes, `$6` the new one, `$7` enabled or NULL, `$8` now.
pub const UPDATE_WEBHOOK: &str = "UPDATE webhook_endpoints SET url = coalesce($3, url), \
     events = coalesce($4, events), \
     description = CASE WHEN $5 THEN $6 ELSE description END, \
     enabled = coalesce($7, enabled), updated_at = $8 \
     WHERE id = $1 AND tenant_id IS NOT DISTINCT FROM $2 RETURNING *";

/// A scope's endpoint's deliveries go first: `$1` id, `$2` tenant or NULL.
pub const DELETE_WEBHOOK_DELIVERIES: &str = "DELETE FROM webhook_deliveries WHERE endpoint_id IN \
     (SELECT id FROM webhook_endpoints WHERE id = $1 AND tenant_id IS NOT DISTINCT FROM $2)";

/// Then the endpoint: `$1` id, `$2` tenant or NULL.
pub const DELETE_WEBHOOK: &str =
    "DELETE FROM webhook_endpoints WHERE id = $1 AND tenant_id IS NOT DISTINCT FROM $2";

/// An endpoint's deliveries, newest first: `$1` endpoint, `$2` cursor or NULL, `$3` limit.
pub const LIST_DELIVERIES: &str = "SELECT d.*, ev.type AS event_type FROM webhook_deliveries d \
     JOIN webhook_events ev ON ev.id = d.event_id \
     WHERE d.endpoint_id = $1 AND ($2 IS NULL OR d.id < $2) ORDER BY d.id DESC LIMIT $3";

/// One delivery: `$1` delivery, `$2` endpoint.
pub const GET_DELIVERY: &str = "SELECT d.*, ev.type AS event_type FROM webhook_deliveries d \
     JOIN webhook_events ev ON ev.id = d.event_id WHERE d.id = $1 AND d.endpoint_id = $2";

/// Makes a delivery due again: `$1` delivery, `$2` endpoint, `$3` now.
pub const REDELIVER: &str = "UPDATE webhook_deliveries SET status = 'pending', \
     next_attempt_at = $3, lease = NULL, delivered_at = NULL \
     WHERE id = $1 AND endpoint_id = $2";

/// Events not fanned out, oldest first: `$1` limit.
pub const UNDISPATCHED_EVENTS: &str = "SELECT id, tenant_id, type FROM webhook_events \
     WHERE NOT dispatched ORDER BY created_at LIMIT $1";

/// Every enabled endpoint.
pub const ENABLED_WEBHOOKS: &str = "SELECT * FROM webhook_endpoints WHERE enabled ORDER BY id";

/// `$1` id, `$2` endpoint, `$3` event, `$4` tenant, `$5` now; a second delivery of an
/// event to an endpoint is ignored.
pub const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, \
     tenant_id, status, attempts, next_attempt_at, created_at) \
     VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) ON CONFLICT (endpoint_id, event_id) DO NOTHING";

/// `$1` event.
pub const MARK_DISPATCHED: &str = "UPDATE webhook_events SET dispatched = true WHERE id = $1";

/// The pending deliveries due at `$1` to enabled endpoints, for a claim's subquery
/// (`$2` limit); PostgreSQL appends its row lock.
pub const DUE_DELIVERIES: &str = "SELECT id FROM webhook_deliveries \
     WHERE status = 'pending' AND next_attempt_at <= $1 \
     AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE enabled) \
     ORDER BY next_attempt_at LIMIT $2";

/// What a claim under `$1` took, with the endpoint and the event.
pub const CLAIMED_DELIVERIES: &str = "SELECT d.id, d.attempts, d.created_at, e.url, \
     e.secret_sealed, ev.id AS event_id, ev.type AS event_type, ev.created_at AS event_created_at, \
     ev.tenant_id, ev.data FROM webhook_deliveries d \
     JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN webhook_events ev ON ev.id = d.event_id \
     WHERE d.lease = $1 AND d.status = 'pending' ORDER BY d.next_attempt_at";

/// Records an attempt of a claim: `$1` delivery, `$2` lease, `$3` new status, `$4`
/// status code, `$5` error, `$6` now, `$7` wait.
pub const FINISH_DELIVERY: &str = "UPDATE webhook_deliveries SET status = $3, \
     attempts = attempts + 1, last_status_code = $4, last_error = $5, \
     next_attempt_at = $6 + $7, delivered_at = CASE WHEN $3 = 'delivered' THEN $6 END, \
     lease = NULL WHERE id = $1 AND lease = $2 AND status = 'pending'";

/// Pending deliveries.
pub const PENDING_DELIVERIES: &str =
    "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'";

/// Licenses whose expiry fell in `($1, $2]`.
pub const EXPIRED_LICENSES: &str = "SELECT id AS license_id, tenant_id, expires_at FROM licenses \
     WHERE expires_at > $1 AND expires_at <= $2 ORDER BY expires_at";

/// `$1` id, `$2` tenant, `$3` data, `$4` when, `$5` its once-key.
pub const INSERT_EXPIRED_EVENT: &str = "INSERT INTO webhook_events (id, tenant_id, type, data, \
     created_at, once_key) VALUES ($1, $2, 'license.expired', $3, $4, $5) \
     ON CONFLICT DO NOTHING";

/// The once-key of a license's expiry event: one per license and expiry time.
pub fn expired_once_key(e: &crate::ExpiredLicense) -> String {
    format!(
        "license.expired:{}:{}",
        e.license_id,
        e.expires_at.timestamp_micros()
    )
}

/// The data of a `license.expired` event.
pub fn expired_data(e: &crate::ExpiredLicense) -> serde_json::Value {
    serde_json::json!({"license_id": e.license_id, "expires_at": e.expires_at})
}

/// The meter cursor.
pub const METER_CURSOR: &str = "SELECT next_hour FROM meter_cursor";

/// The first cursor (`$1` the hour); a second process's is ignored.
pub const INSERT_METER_CURSOR: &str =
    "INSERT INTO meter_cursor (id, next_hour) VALUES (true, $1) ON CONFLICT DO NOTHING";

/// Moves the cursor from `$1` to `$2` only if it is still at `$1`.
pub const MOVE_METER_CURSOR: &str = "UPDATE meter_cursor SET next_hour = $2 WHERE next_hour = $1";

/// Metered licenses of Stripe customers.
pub const METERED_LICENSES: &str = "SELECT l.id AS license_id, l.tenant_id, \
     t.stripe_customer_id AS customer_id FROM licenses l \
     JOIN products p ON p.id = l.product_id JOIN tenants t ON t.id = l.tenant_id \
     WHERE p.metered AND t.stripe_customer_id IS NOT NULL ORDER BY l.tenant_id, l.id";

/// `$1` license, `$2` hour, `$3` tenant, `$4` customer, `$5` value, `$6` now.
pub const INSERT_METER_REPORT: &str = "INSERT INTO meter_reports (license_id, hour_start, \
     tenant_id, customer_id, value_hundredths, status, attempts, next_attempt_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6) ON CONFLICT (license_id, hour_start) DO NOTHING";

/// Due reports for a claim's subquery: `$1` now, `$2` limit.
pub const DUE_METER_REPORTS: &str = "SELECT license_id, hour_start FROM meter_reports \
     WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2";

/// What a claim under `$1` took.
pub const CLAIMED_METER_REPORTS: &str = "SELECT * FROM meter_reports \
     WHERE lease = $1 AND status = 'pending' ORDER BY hour_start, license_id";

/// Records an attempt: `$1` license, `$2` hour, `$3` lease, `$4` status, `$5` code, `$6`
/// error, `$7` now, `$8` wait.
pub const FINISH_METER_REPORT: &str = "UPDATE meter_reports SET status = $4, \
     attempts = attempts + 1, last_status_code = $5, last_error = $6, \
     next_attempt_at = $7 + $8, delivered_at = CASE WHEN $4 = 'delivered' THEN $7 END, \
     lease = NULL WHERE license_id = $1 AND hour_start = $2 AND lease = $3 AND status = 'pending'";

/// Reports by status, in the columns of `OutboxCounts` (`pending_attempts`: attempts
/// made so far on reports still pending).
pub const METER_REPORT_COUNTS: &str = "SELECT \
     count(*) FILTER (WHERE status = 'pending') AS pending, \
     count(*) FILTER (WHERE status = 'delivered') AS sent, \
     count(*) FILTER (WHERE status = 'failed') AS failed, \
     CAST(coalesce(sum(attempts) FILTER (WHERE status = 'pending'), 0) AS BIGINT) \
       AS pending_attempts FROM meter_reports";

/// What the history pruning deletes of the outboxes, older than `$1` (the retention):
/// answered deliveries, then events no delivery is left of, then sent or failed reports.
/// Nothing pending is ever deleted.
pub const PRUNE_OUTGOING: [&str; 3] = [
    "DELETE FROM webhook_deliveries WHERE created_at < $1 AND status <> 'pending'",
    "DELETE FROM webhook_events WHERE created_at < $1 AND dispatched \
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)",
    "DELETE FROM meter_reports WHERE created_at < $1 AND status <> 'pending'",
];

// The arguments of the statements above, built once: a backend passes its own time and
// duration values (`now`, `wait`) and binds the tuple.

/// Arguments of [`INSERT_WEBHOOK`].
#[allow(clippy::type_complexity)]
pub fn insert_webhook_args<T, J>(
    e: &coditect_domain::NewWebhookEndpoint,
    events: J,
    now: T,
) -> (
    uuid::Uuid,
    Option<uuid::Uuid>,
    &str,
    Option<&str>,
    J,
    &str,
    T,
) {
    let description = e.description.as_deref();
    (
        uuid::Uuid::now_v7(),
        e.tenant_id,
        &e.url,
        description,
        events,
        &e.secret_sealed,
        now,
    )
}

/// Arguments of [`UPDATE_WEBHOOK`].
#[allow(clippy::type_complexity)]
pub fn update_webhook_args<T, J>(
    id: uuid::Uuid,
    scope: crate::WebhookScope,
    p: &coditect_domain::WebhookPatch,
    events: Option<J>,
    now: T,
) -> (
    uuid::Uuid,
    Option<uuid::Uuid>,
    Option<&str>,
    Option<J>,
    bool,
    Option<&str>,
    Option<bool>,
    T,
) {
    let description = p.description.as_ref().and_then(|d| d.as_deref());
    let args = (
        id,
        scope.tenant_id(),
        p.url.as_deref(),
        events,
        p.description.is_some(),
    );
    (
        args.0,
        args.1,
        args.2,
        args.3,
        args.4,
        description,
        p.enabled,
        now,
    )
}

/// Arguments of [`INSERT_DELIVERY`].
pub fn insert_delivery_args<T>(
    d: &crate::NewDelivery,
    now: T,
) -> (uuid::Uuid, uuid::Uuid, uuid::Uuid, uuid::Uuid, T) {
    (
        uuid::Uuid::now_v7(),
        d.endpoint_id,
        d.event_id,
        d.tenant_id,
        now,
    )
}

/// Arguments of [`FINISH_DELIVERY`].
#[allow(clippy::type_complexity)]
pub fn finish_delivery_args<T, D>(
    id: uuid::Uuid,
    lease: uuid::Uuid,
    a: &crate::Attempt,
    now: T,
    wait: D,
) -> (
    uuid::Uuid,
    uuid::Uuid,
    &'static str,
    Option<i64>,
    Option<&str>,
    T,
    D,
) {
    (id, lease, a.status(), a.status_code(), a.error(), now, wait)
}

/// Arguments of [`INSERT_EXPIRED_EVENT`].
pub fn expired_event_args<T, J>(
    e: &crate::ExpiredLicense,
    data: impl FnOnce(serde_json::Value) -> J,
    at: T,
) -> (uuid::Uuid, uuid::Uuid, J, T, String) {
    (
        uuid::Uuid::now_v7(),
        e.tenant_id,
        data(expired_data(e)),
        at,
        expired_once_key(e),
    )
}

/// Arguments of [`INSERT_METER_REPORT`].
pub fn insert_meter_report_args<T>(
    r: &crate::NewMeterReport,
    hour: T,
    now: T,
) -> (uuid::Uuid, T, uuid::Uuid, &str, i64, T) {
    (
        r.license_id,
        hour,
        r.tenant_id,
        &r.customer_id,
        r.value_hundredths,
        now,
    )
}

/// Arguments of [`FINISH_METER_REPORT`].
#[allow(clippy::type_complexity)]
pub fn finish_meter_report_args<T, D>(
    license_id: uuid::Uuid,
    hour: T,
    lease: uuid::Uuid,
    a: &crate::Attempt,
    now: T,
    wait: D,
) -> (
    uuid::Uuid,
    T,
    uuid::Uuid,
    &'static str,
    Option<i64>,
    Option<&str>,
    T,
    D,
) {
    (
        license_id,
        hour,
        lease,
        a.status(),
        a.status_code(),
        a.error(),
        now,
        wait,
    )
}

/// The claim of due deliveries under `$3` for `$4`, with the backend's row lock (`FOR
/// UPDATE SKIP LOCKED` on PostgreSQL, nothing on SQLite's one writer).
pub fn claim_deliveries_sql(lock: &str) -> String {
    format!(
        "UPDATE webhook_deliveries SET lease = $3, next_attempt_at = $1 + $4 \
         WHERE id IN ({DUE_DELIVERIES} {lock})"
    )
}

/// The claim of due meter reports, likewise.
pub fn claim_meter_reports_sql(lock: &str) -> String {
    format!(
        "UPDATE meter_reports SET lease = $3, next_attempt_at = $1 + $4 \
         WHERE (license_id, hour_start) IN ({DUE_METER_REPORTS} {lock})"
    )
}
