//! Tenant membership on PostgreSQL: invitations (created, looked up, accepted) and
//! members (listed, re-roled, removed), each change audited in the same transaction.
//! Owner rows are locked before the last-owner check, so two demotions cannot race a
//! tenant into having none.

use crate::accounts::{insert_user, MEMBER_SELECT};
use crate::invitations;

use crate::prelude::*;

#[async_trait]
impl MemberStore for PgStore {
    async fn create_invitation(
        &self,
        inv: NewInvitation,
        mail: NewMail,
        actor: &Actor,
    ) -> StoreResult<Invitation> {
        let mut tx = self.tenant_tx(inv.tenant_id).await?;
        let out = create_invitation(&mut tx, inv, mail, actor).await?;
        done(tx, out).await
    }

    async fn invitation(&self, token_hash: &str) -> StoreResult<OneTime<Invitation>> {
        // Looked up by token before its tenant is known.
        let mut tx = self.system_tx().await?;
        let out = invitation_by_token(&mut tx, token_hash).await?;
        done(tx, out).await
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        account: InviteeAccount,
    ) -> StoreResult<OneTime<User>> {
        // The invitation's tenant is known only from its token; queries filter by it.
        let mut tx = self.system_tx().await?;
        let out = accept_invitation(&mut tx, token_hash, account).await?;
        done(tx, out).await
    }

    async fn list_members(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<Member>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = list_members(&mut tx, tenant_id, page).await?;
        done(tx, out).await
    }

    async fn get_member(&self, tenant_id: Uuid, user_id: Uuid) -> StoreResult<Option<Member>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = get_member(&mut *tx, tenant_id, user_id).await?;
        done(tx, out).await
    }

    async fn update_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        role: MemberRole,
        actor: &Actor,
    ) -> StoreResult<Option<Member>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = update_member(&mut tx, tenant_id, user_id, role, actor).await?;
        done(tx, out).await
    }

    async fn remove_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Member>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = remove_member(&mut tx, tenant_id, user_id, actor).await?;
        done(tx, out).await
    }

    async fn list_invitations(
        &self,
        tenant_id: Uuid,
        state: Option<InvitationState>,
        page: PageRequest,
    ) -> StoreResult<Page<InvitationRecord>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = invitations::list_invitations(&mut tx, tenant_id, state, page).await?;
        done(tx, out).await
    }

    async fn get_invitation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<InvitationRecord>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = invitations::get_invitation(&mut tx, tenant_id, id).await?;
        done(tx, out).await
    }

    async fn lookup_invitation(&self, token_hash: &str) -> StoreResult<Option<InvitationRecord>> {
        // Looked up by token before its tenant is known.
        let mut tx = self.system_tx().await?;
        let out = invitations::lookup_invitation(&mut tx, token_hash, false).await?;
        done(tx, out).await
    }

    async fn revoke_invitation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<InvitationRecord>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = invitations::revoke_invitation(&mut tx, tenant_id, id, actor).await?;
        done(tx, out).await
    }
}

pub(crate) async fn create_invitation(
    conn: &mut PgConnection,
    inv: NewInvitation,
    mail: NewMail,
    actor: &Actor,
) -> StoreResult<Invitation> {
    let now = db_now(conn).await?;
    invitations::lock_address(conn, inv.tenant_id, &inv.email).await?;
    let row = one(
        &mut *conn,
        "INSERT INTO invitations (id, tenant_id, email, role, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        (
            Uuid::now_v7(),
            inv.tenant_id,
            &inv.email,
            inv.role.as_str(),
            &inv.token_hash,
            now,
            now + inv.ttl,
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

async fn lookup(
    conn: &mut PgConnection,
    token_hash: &str,
    lock: bool,
) -> StoreResult<OneTime<Invitation>> {
    let Some(rec) = invitations::lookup_invitation(conn, token_hash, lock).await? else {
        return Ok(OneTime::Unknown);
    };
    Ok(match rec.state {
        InvitationState::Pending => OneTime::Usable(rec.invitation),
        _ => OneTime::Spent,
    })
}

pub(crate) async fn invitation_by_token(
    conn: &mut PgConnection,
    token_hash: &str,
) -> StoreResult<OneTime<Invitation>> {
    lookup(conn, token_hash, false).await
}

pub(crate) async fn accept_invitation(
    conn: &mut PgConnection,
    token_hash: &str,
    account: InviteeAccount,
) -> StoreResult<OneTime<User>> {
    let inv = match lookup(conn, token_hash, true).await? {
        OneTime::Usable(inv) => inv,
        OneTime::Spent => return Ok(OneTime::Spent),
        OneTime::Unknown => return Ok(OneTime::Unknown),
    };
    let now = db_now(conn).await?;
    let existing = opt(
        &mut *conn,
        "SELECT * FROM users WHERE email = $1",
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
    conn: &mut PgConnection,
    inv: &Invitation,
    u: &User,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    exec(
        &mut *conn,
        "UPDATE invitations SET accepted_at = $1, accepted_by = $2 WHERE id = $3",
        (now, u.id, inv.id),
    )
    .await?;
    let before: Option<String> = opt_scalar(
        &mut *conn,
        "SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE",
        (inv.tenant_id, u.id),
    )
    .await?;
    exec(
        &mut *conn,
        "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = excluded.role",
        (inv.tenant_id, u.id, inv.role.as_str(), now),
    )
    .await?;
    let entry = NewAuditEntry::member_added(u, inv, before.as_deref().and_then(MemberRole::parse));
    insert_audit(conn, &entry, now).await?;
    Ok(())
}

pub(crate) async fn list_members(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    page: PageRequest,
) -> StoreResult<Page<Member>> {
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.tenant_id = $1 AND ($2::uuid IS NULL OR u.id > $2) \
         ORDER BY u.id LIMIT $3"
    );
    let rows = all(
        &mut *conn,
        &sql,
        (tenant_id, page.after, i64::from(page.limit) + 1),
    )
    .await?;
    decode::page(rows.iter().map(Cols), page, decode::member, |m| m.id)
}

pub(crate) async fn get_member(
    conn: impl PgExecutor<'_>,
    tenant_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Member>> {
    let sql = format!("{MEMBER_SELECT} WHERE m.tenant_id = $1 AND m.user_id = $2");
    let row = opt(conn, &sql, (tenant_id, user_id)).await?;
    row.as_ref().map(|r| decode::member(&Cols(r))).transpose()
}

/// Locks the tenant's owner rows and the member's, then reads the member.
async fn locked_member(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Member>> {
    exec(
        &mut *conn,
        "SELECT 1 FROM memberships WHERE tenant_id = $1 AND (role = 'owner' OR user_id = $2) \
         ORDER BY user_id FOR UPDATE",
        (tenant_id, user_id),
    )
    .await?;
    get_member(&mut *conn, tenant_id, user_id).await
}

/// Refuses a change that would take the tenant's last owner away.
async fn keep_an_owner(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    current: &Member,
    new_role: Option<MemberRole>,
) -> StoreResult<()> {
    if !takes_an_owner_away(current.role, new_role) {
        return Ok(());
    }
    let owners: i64 = scalar(
        conn,
        "SELECT count(*) FROM memberships WHERE tenant_id = $1 AND role = 'owner'",
        (tenant_id,),
    )
    .await?;
    if !keeps_an_owner(current.role, new_role, owners) {
        return Err(StoreError::Conflict(ConflictField::Owner));
    }
    Ok(())
}

pub(crate) async fn update_member(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    user_id: Uuid,
    role: MemberRole,
    actor: &Actor,
) -> StoreResult<Option<Member>> {
    let Some(current) = locked_member(conn, tenant_id, user_id).await? else {
        return Ok(None);
    };
    if current.role == role {
        return Ok(Some(current));
    }
    keep_an_owner(conn, tenant_id, &current, Some(role)).await?;
    exec(
        &mut *conn,
        "UPDATE memberships SET role = $1 WHERE tenant_id = $2 AND user_id = $3",
        (role.as_str(), tenant_id, user_id),
    )
    .await?;
    let after = Member {
        role,
        ..current.clone()
    };
    let entry = NewAuditEntry::member_updated(actor, tenant_id, &current, &after);
    let now = db_now(conn).await?;
    insert_audit(conn, &entry, now).await?;
    Ok(Some(after))
}

pub(crate) async fn remove_member(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    user_id: Uuid,
    actor: &Actor,
) -> StoreResult<Option<Member>> {
    let Some(current) = locked_member(conn, tenant_id, user_id).await? else {
        return Ok(None);
    };
    keep_an_owner(conn, tenant_id, &current, None).await?;
    exec(
        &mut *conn,
        "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2",
        (tenant_id, user_id),
    )
    .await?;
    let entry = NewAuditEntry::member_removed(actor, tenant_id, &current);
    let now = db_now(conn).await?;
    insert_audit(conn, &entry, now).await?;
    Ok(Some(current))
}
