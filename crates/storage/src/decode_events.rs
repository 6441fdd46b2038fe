//! Rows of the outgoing-event tables into records (part of [`crate::decode`]).

use coditect_domain::{
    DeliveryStatus, DueDelivery, WebhookDelivery, WebhookEndpoint, WebhookEvent,
};

use super::{json, parsed, Columns};
use crate::StoreResult;
use crate::{DueMeterReport, ExpiredLicense, MeteredLicense, NewMeterReport, PendingEvent};

/// A `webhook_endpoints` row (its sealed secret stays behind).
pub fn webhook_endpoint<R: Columns>(r: &R) -> StoreResult<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: r.uuid("id")?,
        tenant_id: r.opt_uuid("tenant_id")?,
        url: r.text("url")?,
        description: r.opt_text("description")?,
        events: json(r, "events")?,
        enabled: r.flag("enabled")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// A `webhook_deliveries` row joined with its event's `event_type`.
pub fn webhook_delivery<R: Columns>(r: &R) -> StoreResult<WebhookDelivery> {
    let status = parsed(r, "status", DeliveryStatus::parse)?;
    Ok(WebhookDelivery {
        id: r.uuid("id")?,
        event_id: r.uuid("event_id")?,
        event: r.text("event_type")?,
        status,
        attempts: r.int("attempts")?,
        last_status_code: r.opt_int("last_status_code")?,
        last_error: r.opt_text("last_error")?,
        next_attempt_at: match status {
            DeliveryStatus::Pending => Some(r.time("next_attempt_at")?),
            _ => None,
        },
        created_at: r.time("created_at")?,
        delivered_at: r.opt_time("delivered_at")?,
    })
}

/// A claimed delivery with its endpoint's URL and secret and its event
/// (`event_created_at`, `event_tenant_id`, `event_type`, `data`).
pub fn due_delivery<R: Columns>(r: &R) -> StoreResult<DueDelivery> {
    Ok(DueDelivery {
        id: r.uuid("id")?,
        attempts: r.int("attempts")?,
        created_at: r.time("created_at")?,
        url: r.text("url")?,
        secret_sealed: r.text("secret_sealed")?,
        event: WebhookEvent {
            id: r.uuid("event_id")?,
            event_type: r.text("event_type")?,
            created_at: r.time("event_created_at")?,
            tenant_id: r.uuid("tenant_id")?,
            data: json(r, "data")?,
        },
    })
}

/// An event not fanned out yet (`id`, `tenant_id`, `type`).
pub fn pending_event<R: Columns>(r: &R) -> StoreResult<PendingEvent> {
    Ok(PendingEvent {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        event_type: r.text("type")?,
    })
}

/// A license past its expiry (`license_id`, `tenant_id`, `expires_at`).
pub fn expired_license<R: Columns>(r: &R) -> StoreResult<ExpiredLicense> {
    Ok(ExpiredLicense {
        license_id: r.uuid("license_id")?,
        tenant_id: r.uuid("tenant_id")?,
        expires_at: r.time("expires_at")?,
    })
}

/// A metered license (`license_id`, `tenant_id`, `customer_id`).
pub fn metered_license<R: Columns>(r: &R) -> StoreResult<MeteredLicense> {
    Ok(MeteredLicense {
        license_id: r.uuid("license_id")?,
        tenant_id: r.uuid("tenant_id")?,
        customer_id: r.text("customer_id")?,
    })
}

/// A claimed `meter_reports` row.
pub fn due_meter_report<R: Columns>(r: &R) -> StoreResult<DueMeterReport> {
    Ok(DueMeterReport {
        report: NewMeterReport {
            license_id: r.uuid("license_id")?,
            tenant_id: r.uuid("tenant_id")?,
            hour_start: r.time("hour_start")?,
            customer_id: r.text("customer_id")?,
            value_hundredths: r.int("value_hundredths")?,
        },
        attempts: r.int("attempts")?,
        created_at: r.time("created_at")?,
    })
}
