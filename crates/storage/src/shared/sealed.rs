//! The master-key rotation's walk over every sealed column, written once: the backends
//! differ only in how a row is named inside the transaction (SQLite's `rowid`,
//! PostgreSQL's `ctid`, both stable while the transaction holds the rows).

use sqlx::any::AnyQueryResult;
use sqlx::{Database, Decode, Encode, Executor, IntoArguments, Type};

use crate::roles::{Reseal, ResealReport};
use crate::sql::{all, exec};
use crate::{StoreError, StoreResult};

/// A column that holds a value sealed with the master key.
#[derive(Clone, Copy, Debug)]
pub struct SealedColumn {
    /// The table.
    pub table: &'static str,
    /// The column.
    pub column: &'static str,
}

/// Every sealed column. A migration that adds one adds it here, and the conformance check
/// `sealed_secrets_are_all_resealed` fails until it does.
pub const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        table: "signing_keys",
        column: "private_sealed",
    },
    SealedColumn {
        table: "licenses",
        column: "key_sealed",
    },
    SealedColumn {
        table: "mail_outbox",
        column: "body_sealed",
    },
    SealedColumn {
        table: "webhook_endpoints",
        column: "secret_sealed",
    },
    SealedColumn {
        table: "sso_flows",
        column: "verifier_sealed",
    },
    SealedColumn {
        table: "user_totp",
        column: "secret_sealed",
    },
];

/// How a backend names a row for the length of a transaction.
#[derive(Clone, Copy, Debug)]
pub struct RowLocator {
    /// The expression selected as the row's name, as text (`CAST(rowid AS TEXT)`).
    pub select: &'static str,
    /// The condition that finds the row again from that text as `$2`.
    pub matches: &'static str,
    /// What the select needs after its `WHERE` to hold the rows (`FOR UPDATE`, or nothing
    /// where the transaction holds the whole file).
    pub lock: &'static str,
}

/// Re-seals every sealed value on `conn`, which the caller has inside a transaction it
/// commits only when this returns `Ok`.
pub async fn reseal_all<DB>(
    conn: &mut DB::Connection,
    row: RowLocator,
    reseal: &Reseal<'_>,
) -> StoreResult<ResealReport>
where
    DB: Database,
    for<'e> &'e mut DB::Connection: Executor<'e, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    DB::QueryResult: Into<AnyQueryResult>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let mut report = ResealReport::default();
    for c in SEALED_COLUMNS {
        let select = format!(
            "SELECT {loc}, {col} FROM {table} WHERE {col} <> '' {lock}",
            loc = row.select,
            col = c.column,
            table = c.table,
            lock = row.lock,
        );
        let update = format!(
            "UPDATE {table} SET {col} = $1 WHERE {matches}",
            table = c.table,
            col = c.column,
            matches = row.matches,
        );
        let (mut resealed, mut unchanged) = (0, 0);
        for r in all(&mut *conn, &select, ()).await? {
            let name: String = sqlx::Row::try_get(&r, 0usize).map_err(crate::sql::driver_error)?;
            let value: String = sqlx::Row::try_get(&r, 1usize).map_err(crate::sql::driver_error)?;
            let new = reseal(&value)
                .map_err(|e| StoreError::Internal(format!("{}.{}: {e:#}", c.table, c.column)))?;
            match new {
                Some(new) => {
                    exec(&mut *conn, &update, (new, name)).await?;
                    resealed += 1;
                }
                None => unchanged += 1,
            }
        }
        report
            .columns
            .push((c.table, c.column, resealed, unchanged));
    }
    Ok(report)
}
