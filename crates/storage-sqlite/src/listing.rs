//! The licenses page on SQLite: filtered listing and bulk suspend / resume.

use coditect_domain::{
    Actor, LicenseFilter, LicensePatch, LicenseState, Page, PageRequest, Session, SessionStatus,
};
use coditect_storage::{LicenseWithUsage, StoreResult};
use sqlx::{SqliteConnection, SqlitePool};
use uuid::Uuid;

use crate::admin::{license_with_usage, update_license, LICENSE_SELECT};
use crate::rows;
use crate::{err, now_micros};

/// The SQL condition of a state filter; `?1` is now.
pub(crate) fn state_condition(state: Option<LicenseState>) -> &'static str {
    match state {
        None => "1",
        Some(LicenseState::Valid) => {
            "(l.is_active AND (l.expires_at IS NULL OR l.expires_at > ?1))"
        }
        Some(LicenseState::Suspended) => "NOT l.is_active",
        Some(LicenseState::Expired) => {
            "(l.is_active AND l.expires_at IS NOT NULL AND l.expires_at <= ?1)"
        }
    }
}

pub(crate) async fn list_licenses(
    pool: &SqlitePool,
    tenant_id: Uuid,
    filter: &LicenseFilter,
    page: PageRequest,
) -> StoreResult<Page<LicenseWithUsage>> {
    let now = now_micros();
    let sql = format!(
        "{LICENSE_SELECT} WHERE l.tenant_id = ?2 AND (?3 IS NULL OR l.id > ?3) \
         AND (?5 IS NULL OR lower(coalesce(l.name, '')) LIKE ?5 ESCAPE '\\' \
              OR lower(l.key_hint) LIKE ?5 ESCAPE '\\') \
         AND (?6 IS NULL OR (l.expires_at IS NOT NULL AND l.expires_at < ?6)) \
         AND {} ORDER BY l.id LIMIT ?4",
        state_condition(filter.state)
    );
    let rows = sqlx::query(&sql)
        .bind(now)
        .bind(tenant_id)
        .bind(page.after)
        .bind(i64::from(page.limit) + 1)
        .bind(filter.like_pattern())
        .bind(filter.expires_before.map(|t| t.timestamp_micros()))
        .fetch_all(pool)
        .await
        .map_err(err)?;
    let items = rows
        .iter()
        .map(|r| license_with_usage(r, now))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |l| l.license.id))
}

pub(crate) async fn set_licenses_active(
    conn: &mut SqliteConnection,
    tenant_id: Uuid,
    ids: &[Uuid],
    is_active: bool,
    actor: &Actor,
) -> StoreResult<u64> {
    let patch = LicensePatch {
        is_active: Some(is_active),
        ..LicensePatch::default()
    };
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let mut changed = 0;
    for id in ids {
        let before = crate::admin::license_by_id(&mut *conn, tenant_id, id).await?;
        if before.is_some_and(|b| b.license.is_active != is_active) {
            update_license(conn, tenant_id, id, &patch, actor).await?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// One page of a license's sessions, optionally by status.
pub(crate) async fn list_sessions(
    pool: &SqlitePool,
    tenant_id: Uuid,
    license_id: Uuid,
    status: Option<SessionStatus>,
    page: PageRequest,
) -> StoreResult<Page<Session>> {
    let now = now_micros();
    let filter = match status {
        None => "1",
        Some(SessionStatus::Active) => "(status = 'active' AND expires_at > ?1)",
        Some(SessionStatus::Released) => "status = 'released'",
        Some(SessionStatus::Expired) => {
            "(status = 'expired' OR (status = 'active' AND expires_at <= ?1))"
        }
    };
    let sql = format!(
        "SELECT * FROM sessions WHERE ?1 IS NOT NULL AND tenant_id = ?2 AND license_id = ?3 \
         AND (?4 IS NULL OR id > ?4) AND {filter} ORDER BY id LIMIT ?5"
    );
    let rows = sqlx::query(&sql)
        .bind(now)
        .bind(tenant_id)
        .bind(license_id)
        .bind(page.after)
        .bind(i64::from(page.limit) + 1)
        .fetch_all(pool)
        .await
        .map_err(err)?;
    let t = rows::time(now);
    let items = rows
        .iter()
        .map(|r| rows::session(r).map(|s| s.effective(t)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |s| s.id))
}
