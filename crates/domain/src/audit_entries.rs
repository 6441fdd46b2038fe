//! One constructor per audited action. Every backend records a change through these, in
//! the transaction of the change, so an entry reads the same whichever database wrote it
//! and what a change's before and after hold is decided once.

use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    Actor, ApiToken, AuditAction, Invitation, License, Member, MemberRole, NewAuditEntry, Session,
    SessionStatus, Tenant, User,
};

fn value(v: &impl Serialize) -> Option<Value> {
    serde_json::to_value(v).ok()
}

fn member_snapshot(m: &Member) -> Value {
    json!({"user_id": m.id, "email": m.email, "role": m.role.as_str()})
}

impl NewAuditEntry {
    fn new(
        tenant_id: Uuid,
        actor: &Actor,
        action: AuditAction,
        resource_id: Uuid,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Self {
        Self {
            tenant_id,
            actor: actor.clone(),
            action,
            resource_id,
            before,
            after,
        }
    }

    /// `tenant.create`, in the new tenant's own log.
    pub fn tenant_created(actor: &Actor, tenant: &Tenant) -> Self {
        let after = value(tenant);
        Self::new(
            tenant.id,
            actor,
            AuditAction::TenantCreate,
            tenant.id,
            None,
            after,
        )
    }

    /// `token.create` of a tenant's token (superadmin tokens have no tenant log).
    pub fn token_created(actor: &Actor, tenant_id: Uuid, token: &ApiToken) -> Self {
        let after = value(token);
        Self::new(
            tenant_id,
            actor,
            AuditAction::TokenCreate,
            token.id,
            None,
            after,
        )
    }

    /// `token.revoke`.
    pub fn token_revoked(
        actor: &Actor,
        tenant_id: Uuid,
        before: &ApiToken,
        after: &ApiToken,
    ) -> Self {
        let (b, a) = (value(before), value(after));
        Self::new(tenant_id, actor, AuditAction::TokenRevoke, after.id, b, a)
    }

    /// `license.create`.
    pub fn license_created(actor: &Actor, license: &License) -> Self {
        let after = Some(license.audit_snapshot());
        let (t, id) = (license.tenant_id, license.id);
        Self::new(t, actor, AuditAction::LicenseCreate, id, None, after)
    }

    /// `license.update` (also suspension and resumption).
    pub fn license_updated(actor: &Actor, before: &License, after: &License) -> Self {
        let (b, a) = (Some(before.audit_snapshot()), Some(after.audit_snapshot()));
        Self::new(
            after.tenant_id,
            actor,
            AuditAction::LicenseUpdate,
            after.id,
            b,
            a,
        )
    }

    /// `session.force_release`: an admin took the seat back.
    pub fn session_force_released(actor: &Actor, before: &Session, after: &Session) -> Self {
        let (b, a) = (Some(before.audit_snapshot()), Some(after.audit_snapshot()));
        let action = AuditAction::SessionForceRelease;
        Self::new(after.tenant_id, actor, action, after.id, b, a)
    }

    /// The reaper's record of a session it just marked expired: `expired` is the session
    /// as stored after marking; the before side is the same session while still active.
    pub fn session_expired(expired: &Session) -> Self {
        let mut before = expired.clone();
        before.status = SessionStatus::Active;
        before.end_reason = None;
        before.ended_at = None;
        let (b, a) = (
            Some(before.audit_snapshot()),
            Some(expired.audit_snapshot()),
        );
        let (t, id) = (expired.tenant_id, expired.id);
        Self::new(t, &Actor::reaper(), AuditAction::SessionExpire, id, b, a)
    }

    /// `invitation.create`.
    pub fn invitation_created(actor: &Actor, inv: &Invitation) -> Self {
        let after = value(inv);
        Self::new(
            inv.tenant_id,
            actor,
            AuditAction::InvitationCreate,
            inv.id,
            None,
            after,
        )
    }

    /// `member.add`: `user` accepted `inv`; `before` is the role they held in the tenant
    /// already, if any (an invitation can change a member's role).
    pub fn member_added(user: &User, inv: &Invitation, before: Option<MemberRole>) -> Self {
        let b =
            before.map(|r| json!({"user_id": user.id, "email": user.email, "role": r.as_str()}));
        let a = json!({"user_id": user.id, "email": user.email, "role": inv.role.as_str(),
            "invitation_id": inv.id});
        let actor = Actor::user(user);
        Self::new(
            inv.tenant_id,
            &actor,
            AuditAction::MemberAdd,
            user.id,
            b,
            Some(a),
        )
    }

    /// `member.update`: a role change.
    pub fn member_updated(actor: &Actor, tenant_id: Uuid, before: &Member, after: &Member) -> Self {
        let (b, a) = (Some(member_snapshot(before)), Some(member_snapshot(after)));
        Self::new(tenant_id, actor, AuditAction::MemberUpdate, after.id, b, a)
    }

    /// `member.remove`.
    pub fn member_removed(actor: &Actor, tenant_id: Uuid, before: &Member) -> Self {
        let b = Some(member_snapshot(before));
        Self::new(
            tenant_id,
            actor,
            AuditAction::MemberRemove,
            before.id,
            b,
            None,
        )
    }
}
