//! A tenant's invitations on PostgreSQL beyond creating and accepting them (in `members`):
//! the list, one invitation, the lookup of a link, and revocation (audited).

use coditect_storage::shared::invitations as q;

use crate::prelude::*;

pub(crate) async fn list_invitations(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    state: Option<InvitationState>,
    page: PageRequest,
) -> StoreResult<Page<InvitationRecord>> {
    let now = db_now(conn).await?;
    let args = (tenant_id, page.after, i64::from(page.limit) + 1, now);
    let rows = all(&mut *conn, &q::list(state), args).await?;
    decode::page(
        rows.iter().map(Cols),
        page,
        |r| decode::invitation_record(r, now),
        |i| i.invitation.id,
    )
}

pub(crate) async fn get_invitation(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<InvitationRecord>> {
    let now = db_now(conn).await?;
    let row = opt(&mut *conn, q::BY_ID, (tenant_id, id)).await?;
    row.as_ref()
        .map(|r| decode::invitation_record(&Cols(r), now))
        .transpose()
}

/// The invitation of a token hash; `lock` holds its row until the transaction ends (for
/// accepting it).
pub(crate) async fn lookup_invitation(
    conn: &mut PgConnection,
    token_hash: &str,
    lock: bool,
) -> StoreResult<Option<InvitationRecord>> {
    let now = db_now(conn).await?;
    let sql = if lock {
        format!("{} FOR UPDATE", q::BY_TOKEN)
    } else {
        q::BY_TOKEN.to_owned()
    };
    let row = opt(&mut *conn, &sql, (token_hash,)).await?;
    row.as_ref()
        .map(|r| decode::invitation_record(&Cols(r), now))
        .transpose()
}

pub(crate) async fn revoke_invitation(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    actor: &Actor,
) -> StoreResult<Option<InvitationRecord>> {
    let now = db_now(conn).await?;
    let Some(row) = opt(&mut *conn, q::REVOKE, (now, tenant_id, id)).await? else {
        return Ok(None);
    };
    let rec = decode::invitation_record(&Cols(&row), now)?;
    let entry = NewAuditEntry::invitation_revoked(actor, &rec.invitation);
    insert_audit(conn, &entry, now).await?;
    Ok(Some(rec))
}

/// Takes the transaction's advisory lock on (tenant, address), so concurrent invitations
/// of one address run their insert and replacement one after the other: under READ
/// COMMITTED each would otherwise replace only the rows it sees and both stay live.
pub(crate) async fn lock_address(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    email: &str,
) -> StoreResult<()> {
    let sql = "SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || lower($2), 0))";
    exec(conn, sql, (tenant_id, email)).await.map(drop)
}

/// Replaces the live invitations of `created`'s tenant to its address: their links stop
/// working, so an address has at most one live link per tenant. Each replaced one is
/// audited as revoked by `actor`, in the same transaction.
pub(crate) async fn replace_live(
    conn: &mut PgConnection,
    created: &Invitation,
    actor: &Actor,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let args = (now, created.id, created.tenant_id, &created.email);
    let replaced = all(&mut *conn, q::REPLACE_LIVE, args).await?;
    for row in &replaced {
        let old = decode::invitation(&Cols(row))?;
        let entry = NewAuditEntry::invitation_replaced(actor, &old, created.id);
        insert_audit(&mut *conn, &entry, now).await?;
    }
    Ok(())
}
