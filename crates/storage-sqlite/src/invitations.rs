//! A tenant's invitations on SQLite beyond creating and accepting them (in `members`):
//! the list, one invitation, the lookup of a link, and revocation (audited).

use coditect_storage::shared::invitations as q;

use crate::prelude::*;

pub(crate) async fn list_invitations(
    pool: &SqlitePool,
    tenant_id: Uuid,
    state: Option<InvitationState>,
    page: PageRequest,
) -> StoreResult<Page<InvitationRecord>> {
    let now = now_micros();
    let args = (tenant_id, page.after, i64::from(page.limit) + 1, now);
    let rows = all(pool, &q::list(state), args).await?;
    let at = time(now);
    decode::page(
        rows.iter().map(Cols),
        page,
        |r| decode::invitation_record(r, at),
        |i| i.invitation.id,
    )
}

pub(crate) async fn get_invitation(
    conn: impl SqliteExecutor<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<InvitationRecord>> {
    let row = opt(conn, q::BY_ID, (tenant_id, id)).await?;
    row.as_ref()
        .map(|r| decode::invitation_record(&Cols(r), time(now_micros())))
        .transpose()
}

pub(crate) async fn lookup_invitation(
    conn: impl SqliteExecutor<'_>,
    token_hash: &str,
) -> StoreResult<Option<InvitationRecord>> {
    let row = opt(conn, q::BY_TOKEN, (token_hash,)).await?;
    row.as_ref()
        .map(|r| decode::invitation_record(&Cols(r), time(now_micros())))
        .transpose()
}

pub(crate) async fn revoke_invitation(
    conn: &mut SqliteConnection,
    tenant_id: Uuid,
    id: Uuid,
    actor: &Actor,
) -> StoreResult<Option<InvitationRecord>> {
    let now = now_micros();
    let Some(row) = opt(&mut *conn, q::REVOKE, (now, tenant_id, id)).await? else {
        return Ok(None);
    };
    let rec = decode::invitation_record(&Cols(&row), time(now))?;
    let entry = NewAuditEntry::invitation_revoked(actor, &rec.invitation);
    insert_audit(conn, &entry, now).await?;
    Ok(Some(rec))
}

/// Replaces the live invitations of `created`'s tenant to its address: their links stop
/// working, so an address has at most one live link per tenant. Each replaced one is
/// audited as revoked by `actor`, in the same transaction.
pub(crate) async fn replace_live(
    conn: &mut SqliteConnection,
    created: &Invitation,
    actor: &Actor,
    now: i64,
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
