//! Tenant membership on SQLite: invitations (created, looked up, accepted) and members
//! (listed, re-roled, removed), each change audited in the same transaction.

use crate::accounts::{insert_user, MEMBER_SELECT};
use crate::invitations;
use crate::prelude::*;

#[async_trait]
impl MemberStore for SqliteStore {
    async fn create_invitation(
        &self,
        inv: NewInvitation,
        mail: NewMail,
        actor: &Actor,
    ) -> StoreResult<Invitation> {
        let mut tx = self.write_tx().await?;
        let out = create_invitation(&mut tx, inv, mail, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn invitation(&self, token_hash: &str) -> StoreResult<OneTime<Invitation>> {
        invitation_by_token(&self.reader, token_hash).await
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        account: InviteeAccount,
    ) -> StoreResult<OneTime<User>> {
        let mut tx = self.write_tx().await?;
        let out = accept_invitation(&mut tx, token_hash, account).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn list_members(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<Member>> {
        list_members(&self.reader, tenant_id, page).await
    }

    async fn get_member(&self, tenant_id: Uuid, user_id: Uuid) -> StoreResult<Option<Member>> {
        get_member(&self.reader, tenant_id, user_id).await
    }

    async fn update_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        role: MemberRole,
        actor: &Actor,
    ) -> StoreResult<Option<Member>> {
        let mut tx = self.write_tx().await?;
        let out = update_member(&mut tx, tenant_id, user_id, role, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn remove_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Member>> {
        let mut tx = self.write_tx().await?;
        let out = remove_member(&mut tx, tenant_id, user_id, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn list_invitations(
        &self,
        tenant_id: Uuid,
        state: Option<InvitationState>,
        page: PageRequest,
    ) -> StoreResult<Page<InvitationRecord>> {
        invitations::list_invitations(&self.reader, tenant_id, state, page).await
    }

    async fn get_invitation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<InvitationRecord>> {
        invitations::get_invitation(&self.reader, tenant_id, id).await
    }

    async fn lookup_invitation(&self, token_hash: &str) -> StoreResult<Option<InvitationRecord>> {
        invitations::lookup_invitation(&self.reader, token_hash).await
    }

    async fn revoke_invitation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<InvitationRecord>> {
        let mut tx = self.write_tx().await?;
        let out = invitations::revoke_invitation(&mut tx, tenant_id, id, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }
}

pub(crate) async fn create_invitation(
    conn: &mut SqliteConnection,
    inv: NewInvitation,
    mail: NewMail,
    actor: &Actor,
) -> StoreResult<Invitation> {
    let now = now_micros();
    let row = one(
        &mut *conn,
        "INSERT INTO invitations (id, tenant_id, email, role, token_hash, created_at, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (
            Uuid::now_v7(),
            inv.tenant_id,
            &inv.email,
            inv.role.as_str(),
            &inv.token_hash,
            now,
            now + inv.ttl.num_microseconds().unwrap_or(0),
        ),
    )
    .await?;
    let created = decode::invitation(&Cols(&row))?;
    invitations::replace_live(conn, &created, actor, now).await?;
    let entry = NewAuditEntry::invitation_created(actor, &created);
    insert_audit(conn, &entry, now).await?;
    enqueue_mail(conn, &mail, now).await?;
    Ok(created)
}

pub(crate) async fn invitation_by_token(
    conn: impl SqliteExecutor<'_>,
    token_hash: &str,
) -> StoreResult<OneTime<Invitation>> {
    let Some(rec) = invitations::lookup_invitation(conn, token_hash).await? else {
        return Ok(OneTime::Unknown);
    };
    Ok(match rec.state {
        InvitationState::Pending => OneTime::Usable(rec.invitation),
        _ => OneTime::Spent,
    })
}

pub(crate) async fn accept_invitation(
    conn: &mut SqliteConnection,
    token_hash: &str,
    account: InviteeAccount,
) -> StoreResult<OneTime<User>> {
    let inv = match invitation_by_token(&mut *conn, token_hash).await? {
        OneTime::Usable(inv) => inv,
        OneTime::Spent => return Ok(OneTime::Spent),
        OneTime::Unknown => return Ok(OneTime::Unknown),
    };
    let now = now_micros();
    let existing = opt(
        &mut *conn,
        "SELECT * FROM users WHERE email = ?",
        (&inv.email,),
    )
    .await?;
    let u = match (existing, account.password_hash) {
        (Some(row), None) => decode::user(&Cols(&row))?,
        (None, Some(hash)) => insert_user(conn, &inv.email, &account.name, &hash, false).await?,
        _ => return Err(StoreError::Conflict(ConflictField::Email)),
    };
    join_by_invitation(conn, &inv, &u, now).await?;
    Ok(OneTime::Usable(u))
}

/// Makes the user a member as the invitation says (changing the role of a member
/// already), spends the invitation and audits `member.add`.
pub(crate) async fn join_by_invitation(
    conn: &mut SqliteConnection,
    inv: &Invitation,
    u: &User,
    now: i64,
) -> StoreResult<()> {
    exec(
        &mut *conn,
        "UPDATE invitations SET accepted_at = ?, accepted_by = ? WHERE id = ?",
        (now, u.id, inv.id),
    )
    .await?;
    let before: Option<String> = opt_scalar(
        &mut *conn,
        "SELECT role FROM memberships WHERE tenant_id = ? AND user_id = ?",
        (inv.tenant_id, u.id),
    )
    .await?;
    exec(
        &mut *conn,
        "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = excluded.role",
        (inv.tenant_id, u.id, inv.role.as_str(), now),
    )
    .await?;
    let entry = NewAuditEntry::member_added(u, inv, before.as_deref().and_then(MemberRole::parse));
    insert_audit(conn, &entry, now).await?;
    Ok(())
}

pub(crate) async fn list_members(
    pool: &SqlitePool,
    tenant_id: Uuid,
    page: PageRequest,
) -> StoreResult<Page<Member>> {
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.tenant_id = ?1 AND (?2 IS NULL OR u.id > ?2) ORDER BY u.id LIMIT ?3"
    );
    let rows = all(
        pool,
        &sql,
        (tenant_id, page.after, i64::from(page.limit) + 1),
    )
    .await?;
    decode::page(rows.iter().map(Cols), page, decode::member, |m| m.id)
}

pub(crate) async fn get_member(
    conn: impl SqliteExecutor<'_>,
    tenant_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Member>> {
    let sql = format!("{MEMBER_SELECT} WHERE m.tenant_id = ? AND m.user_id = ?");
    let row = opt(conn, &sql, (tenant_id, user_id)).await?;
    row.as_ref().map(|r| decode::member(&Cols(r))).transpose()
}

/// Refuses a change that would take the tenant's last owner away.
async fn keep_an_owner(
    conn: &mut SqliteConnection,
    tenant_id: Uuid,
    current: &Member,
    new_role: Option<MemberRole>,
) -> StoreResult<()> {
    if !takes_an_owner_away(current.role, new_role) {
        return Ok(());
    }
    let owners: i64 = scalar(
        conn,
        "SELECT count(*) FROM memberships WHERE tenant_id = ? AND role = 'owner'",
        (tenant_id,),
    )
    .await?;
    if !keeps_an_owner(current.role, new_role, owners) {
        return Err(StoreError::Conflict(ConflictField::Owner));
    }
    Ok(())
}

pub(crate) async fn update_member(
    conn: &mut SqliteConnection,
    tenant_id: Uuid,
    user_id: Uuid,
    role: MemberRole,
    actor: &Actor,
) -> StoreResult<Option<Member>> {
    let Some(current) = get_member(&mut *conn, tenant_id, user_id).await? else {
        return Ok(None);
    };
    if current.role == role {
        return Ok(Some(current));
    }
    keep_an_owner(conn, tenant_id, &current, Some(role)).await?;
    exec(
        &mut *conn,
        "UPDATE memberships SET role = ? WHERE tenant_id = ? AND user_id = ?",
        (role.as_str(), tenant_id, user_id),
    )
    .await?;
    let after = Member {
        role,
        ..current.clone()
    };
    let entry = NewAuditEntry::member_updated(actor, tenant_id, &current, &after);
    insert_audit(conn, &entry, now_micros()).await?;
    Ok(Some(after))
}

pub(crate) async fn remove_member(
    conn: &mut SqliteConnection,
    tenant_id: Uuid,
    user_id: Uuid,
    actor: &Actor,
) -> StoreResult<Option<Member>> {
    let Some(current) = get_member(&mut *conn, tenant_id, user_id).await? else {
        return Ok(None);
    };
    keep_an_owner(conn, tenant_id, &current, None).await?;
    exec(
        &mut *conn,
        "DELETE FROM memberships WHERE tenant_id = ? AND user_id = ?",
        (tenant_id, user_id),
    )
    .await?;
    let entry = NewAuditEntry::member_removed(actor, tenant_id, &current);
    insert_audit(conn, &entry, now_micros()).await?;
    Ok(Some(current))
}
