//! Tenant membership on PostgreSQL: invitations (created, looked up, accepted) and
//! members (listed, re-roled, removed), each change audited in the same transaction.
//! Owner rows are locked before the last-owner check, so two demotions cannot race a
//! tenant into having none.

use coditect_domain::User;
use coditect_domain::{
    Actor, AuditAction, Invitation, Member, MemberRole, NewAuditEntry, OneTimeState, Page,
    PageRequest,
};
use coditect_storage::{InviteeAccount, NewInvitation, NewMail, OneTime, StoreError, StoreResult};
use serde_json::json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::accounts::{insert_user, invitation, member, user, user_actor, MEMBER_SELECT};
use crate::admin::insert_audit;
use crate::{db_now, err, outbox};

pub(crate) async fn create_invitation(
    conn: &mut PgConnection,
    inv: NewInvitation,
    mail: NewMail,
    actor: &Actor,
) -> StoreResult<Invitation> {
    let now = db_now(conn).await?;
    let row = sqlx::query(
        "INSERT INTO invitations (id, tenant_id, email, role, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(inv.tenant_id)
    .bind(&inv.email)
    .bind(inv.role.as_str())
    .bind(&inv.token_hash)
    .bind(now)
    .bind(now + inv.ttl)
    .fetch_one(&mut *conn)
    .await
    .map_err(err)?;
    let created = invitation(&row)?;
    let entry = NewAuditEntry {
        tenant_id: inv.tenant_id,
        actor: actor.clone(),
        action: AuditAction::InvitationCreate,
        resource_id: created.id,
        before: None,
        after: serde_json::to_value(&created).ok(),
    };
    insert_audit(conn, &entry, now).await?;
    outbox::enqueue(conn, &mail, now).await?;
    Ok(created)
}

async fn lookup(
    conn: &mut PgConnection,
    token_hash: &str,
    lock: bool,
) -> StoreResult<OneTime<Invitation>> {
    let sql = if lock {
        "SELECT * FROM invitations WHERE token_hash = $1 FOR UPDATE"
    } else {
        "SELECT * FROM invitations WHERE token_hash = $1"
    };
    let row = sqlx::query(sql)
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await
        .map_err(err)?;
    let Some(row) = row else {
        return Ok(OneTime::Unknown);
    };
    let inv = invitation(&row)?;
    let now = db_now(conn).await?;
    Ok(
        match coditect_domain::account::one_time_state(inv.expires_at, inv.accepted_at, now) {
            OneTimeState::Usable => OneTime::Usable(inv),
            OneTimeState::Spent => OneTime::Spent,
        },
    )
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
    let existing = sqlx::query("SELECT * FROM users WHERE email = $1")
        .bind(&inv.email)
        .fetch_optional(&mut *conn)
        .await
        .map_err(err)?;
    let u = match (existing, account.password_hash) {
        (Some(row), None) => user(&row)?,
        (None, Some(hash)) => insert_user(conn, &inv.email, &account.name, &hash, false).await?,
        _ => return Err(StoreError::Conflict("email")),
    };
    sqlx::query("UPDATE invitations SET accepted_at = $1, accepted_by = $2 WHERE id = $3")
        .bind(now)
        .bind(u.id)
        .bind(inv.id)
        .execute(&mut *conn)
        .await
        .map_err(err)?;
    let before: Option<String> = sqlx::query_scalar(
        "SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE",
    )
    .bind(inv.tenant_id)
    .bind(u.id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(err)?;
    sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = excluded.role",
    )
    .bind(inv.tenant_id)
    .bind(u.id)
    .bind(inv.role.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(err)?;
    let entry = NewAuditEntry {
        tenant_id: inv.tenant_id,
        actor: user_actor(&u),
        action: AuditAction::MemberAdd,
        resource_id: u.id,
        before: before.map(|r| json!({"user_id": u.id, "email": u.email, "role": r})),
        after: Some(
            json!({"user_id": u.id, "email": u.email, "role": inv.role.as_str(),
            "invitation_id": inv.id}),
        ),
    };
    insert_audit(conn, &entry, now).await?;
    Ok(OneTime::Usable(u))
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
    let rows = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(page.after)
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&mut *conn)
        .await
        .map_err(err)?;
    let items = rows.iter().map(member).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |m| m.id))
}

pub(crate) async fn get_member(
    conn: impl PgExecutor<'_>,
    tenant_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Member>> {
    let sql = format!("{MEMBER_SELECT} WHERE m.tenant_id = $1 AND m.user_id = $2");
    let row = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await
        .map_err(err)?;
    row.as_ref().map(member).transpose()
}

/// Locks the tenant's owner rows and the member's, then reads the member.
async fn locked_member(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Member>> {
    sqlx::query(
        "SELECT 1 FROM memberships WHERE tenant_id = $1 AND (role = 'owner' OR user_id = $2) \
         ORDER BY user_id FOR UPDATE",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await
    .map_err(err)?;
    get_member(&mut *conn, tenant_id, user_id).await
}

/// Refuses a change that would take the tenant's last owner away.
async fn keep_an_owner(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    current: &Member,
    new_role: Option<MemberRole>,
) -> StoreResult<()> {
    if current.role != MemberRole::Owner || new_role == Some(MemberRole::Owner) {
        return Ok(());
    }
    let owners: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM memberships WHERE tenant_id = $1 AND role = 'owner'",
    )
    .bind(tenant_id)
    .fetch_one(conn)
    .await
    .map_err(err)?;
    if owners <= 1 {
        return Err(StoreError::Conflict("owner"));
    }
    Ok(())
}

fn member_audit(m: &Member) -> serde_json::Value {
    json!({"user_id": m.id, "email": m.email, "role": m.role.as_str()})
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
    sqlx::query("UPDATE memberships SET role = $1 WHERE tenant_id = $2 AND user_id = $3")
        .bind(role.as_str())
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await
        .map_err(err)?;
    let after = Member {
        role,
        ..current.clone()
    };
    let entry = NewAuditEntry {
        tenant_id,
        actor: actor.clone(),
        action: AuditAction::MemberUpdate,
        resource_id: user_id,
        before: Some(member_audit(&current)),
        after: Some(member_audit(&after)),
    };
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
    sqlx::query("DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await
        .map_err(err)?;
    let entry = NewAuditEntry {
        tenant_id,
        actor: actor.clone(),
        action: AuditAction::MemberRemove,
        resource_id: user_id,
        before: Some(member_audit(&current)),
        after: None,
    };
    let now = db_now(conn).await?;
    insert_audit(conn, &entry, now).await?;
    Ok(Some(current))
}
