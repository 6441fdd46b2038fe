//! The licenses page on PostgreSQL: filtered listing and bulk suspend / resume.

use coditect_domain::{Actor, LicenseFilter, LicensePatch, LicenseState, Page, PageRequest};
use coditect_storage::{LicenseWithUsage, StoreResult};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::admin::{license_with_usage, update_license, LICENSE_SELECT};
use crate::err;

/// The SQL condition of a state filter, against the select's `t.db_now`.
fn state_condition(state: Option<LicenseState>) -> &'static str {
    match state {
        None => "TRUE",
        Some(LicenseState::Valid) => {
            "(l.is_active AND (l.expires_at IS NULL OR l.expires_at > t.db_now))"
        }
        Some(LicenseState::Suspended) => "NOT l.is_active",
        Some(LicenseState::Expired) => {
            "(l.is_active AND l.expires_at IS NOT NULL AND l.expires_at <= t.db_now)"
        }
    }
}

/// A tenant's licenses matching a filter, in id order: runs in the tenant's transaction.
pub(crate) async fn list_licenses(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    filter: &LicenseFilter,
    page: PageRequest,
) -> StoreResult<Page<LicenseWithUsage>> {
    let sql = format!(
        "{LICENSE_SELECT} WHERE l.tenant_id = $1 AND ($2::uuid IS NULL OR l.id > $2) \
         AND ($4::text IS NULL OR lower(coalesce(l.name, '')) LIKE $4 ESCAPE '\\' \
              OR lower(l.key_hint) LIKE $4 ESCAPE '\\') \
         AND ($5::timestamptz IS NULL OR (l.expires_at IS NOT NULL AND l.expires_at < $5)) \
         AND {} ORDER BY l.id LIMIT $3",
        state_condition(filter.state)
    );
    let rows = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(page.after)
        .bind(i64::from(page.limit) + 1)
        .bind(filter.like_pattern())
        .bind(filter.expires_before)
        .fetch_all(conn)
        .await
        .map_err(err)?;
    let items = rows
        .iter()
        .map(license_with_usage)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |l| l.license.id))
}

/// Updates each license under its row lock, in id order so two bulk changes cannot
/// deadlock each other.
pub(crate) async fn set_licenses_active(
    conn: &mut PgConnection,
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
        sqlx::query("SELECT 1 FROM licenses WHERE tenant_id = $2 AND id = $1 FOR UPDATE")
            .bind(id)
            .bind(tenant_id)
            .execute(&mut *conn)
            .await
            .map_err(err)?;
        let before = crate::admin::license_by_id(&mut *conn, tenant_id, id).await?;
        if before.is_some_and(|b| b.license.is_active != is_active) {
            update_license(conn, tenant_id, id, &patch, actor).await?;
            changed += 1;
        }
    }
    Ok(changed)
}
