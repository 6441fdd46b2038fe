//! Row-level security scopes. Every PostgreSQL transaction of the server declares whose
//! rows it may see, and the database enforces it beneath the application's own tenant
//! filters (migrations 0004 and 0005): a query that forgets its `tenant_id` filter still cannot
//! touch another tenant's rows.
//!
//! There are three ways in, and every store method uses exactly one:
//! - [`PgStore::tenant_tx`]: the tenant is known (admin paths name it): only its rows.
//! - [`PgStore::key_tx`]: client paths know only a license key; the tenant-agnostic
//!   `license_keys` table names its tenant, and the transaction is scoped to that tenant.
//!   An unknown key scopes the transaction to no tenant: it sees nothing.
//! - [`PgStore::system_tx`]: deliberately cross-tenant work (authentication by token
//!   hash or dashboard cookie, invitation and password-reset tokens, the reaper, the usage
//!   sampler and retention, the mail outbox, superadmin and staff listings and analytics,
//!   metrics gauges); its queries carry explicit `tenant_id` filters wherever a tenant is
//!   meant.
//!
//! Each scope is set with `SET LOCAL` in the same round trip as `BEGIN`, so it costs no
//! extra round trip and ends with the transaction. Code added later that reads
//! tenant-owned tables must go through one of these; a bare pool query sees no rows.

use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::{err, PgStore};
use coditect_storage::StoreResult;

/// A transaction with its row-level security scope set.
pub(crate) type Tx = Transaction<'static, Postgres>;

/// The isolation level every seat transaction relies on (see the crate doc): each
/// statement sees what committed before it started, whatever the server's default is.
const BEGIN: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";

/// A key hash is inlined into SQL only if it is made of these characters (the server's
/// are 64 hex digits); anything else cannot name a license.
fn is_plain_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `BEGIN`, then the scope of the key's tenant, in one round trip.
fn key_scope_sql(key_hash: &str) -> String {
    let hash = if is_plain_token(key_hash) {
        key_hash
    } else {
        ""
    };
    format!(
        "{BEGIN}; SELECT set_config('app.tenant_id', coalesce((SELECT tenant_id::text \
         FROM license_keys WHERE key_hash = '{hash}'), ''), true)"
    )
}

impl PgStore {
    /// A transaction that sees only `tenant_id`'s rows.
    pub(crate) async fn tenant_tx(&self, tenant_id: Uuid) -> StoreResult<Tx> {
        // A UUID's text form is hex digits and dashes, safe to inline.
        let sql = format!("{BEGIN}; SET LOCAL app.tenant_id = '{tenant_id}'");
        self.pool.begin_with(sql).await.map_err(err)
    }

    /// A transaction scoped to the tenant that owns the license with this key hash (the
    /// lookup and the scope are one statement, sent with `BEGIN`). Queries in it find the
    /// license with `tenant_id = coditect_tenant() AND key_hash = $1`; for an unknown key
    /// the scope is empty and they find nothing.
    pub(crate) async fn key_tx(&self, key_hash: &str) -> StoreResult<Tx> {
        self.pool
            .begin_with(key_scope_sql(key_hash))
            .await
            .map_err(err)
    }

    /// A transaction that sees every tenant's rows: only for work that is cross-tenant by
    /// nature.
    pub(crate) async fn system_tx(&self) -> StoreResult<Tx> {
        let sql = format!("{BEGIN}; SET LOCAL app.scope = 'system'");
        self.pool.begin_with(sql).await.map_err(err)
    }

    /// A transaction on tables without tenant rows (signing keys).
    pub(crate) async fn global_tx(&self) -> StoreResult<Tx> {
        self.pool.begin_with(BEGIN).await.map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::is_plain_token;

    #[test]
    fn only_plain_tokens_are_inlined() {
        assert!(is_plain_token(
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        ));
        assert!(is_plain_token("hash-a"));
        assert!(!is_plain_token(""));
        assert!(!is_plain_token("x' OR '1'='1"));
        assert!(!is_plain_token(&"a".repeat(129)));
    }
}
