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

    /// `tenant.update`: billing linked the tenant to a Stripe customer or set its billing
    /// e-mail.
    pub fn tenant_updated(actor: &Actor, before: &Tenant, after: &Tenant) -> Self {
        Self::new(
            after.id,
            actor,
            AuditAction::TenantUpdate,
            after.id,
            value(before),
            value(after),
        )
    }

    /// `token.create`, when there is a log to write it in: only a tenant's token made by
    /// someone (a superadmin token has no tenant log, and the bootstrap token has no actor).
    pub fn token_created(actor: Option<&Actor>, token: &ApiToken) -> Option<Self> {
        let (actor, tenant_id) = (actor?, token.tenant_id?);
        let after = value(token);
        let action = AuditAction::TokenCreate;
        Some(Self::new(tenant_id, actor, action, token.id, None, after))
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

    /// `license.key_reissue`: the snapshots differ in the key hint, the only trace of a key
    /// an audit log may hold.
    pub fn license_key_reissued(actor: &Actor, before: &License, after: &License) -> Self {
        let (b, a) = (Some(before.audit_snapshot()), Some(after.audit_snapshot()));
        let action = AuditAction::LicenseKeyReissue;
        Self::new(after.tenant_id, actor, action, after.id, b, a)
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

    /// `member.add`: `user` signed up and owns the tenant they made.
    pub fn owner_signed_up(user: &User, tenant_id: Uuid) -> Self {
        let a = json!({"user_id": user.id, "email": user.email, "role": "owner",
            "signed_up": true});
        let actor = Actor::user(user);
        Self::new(
            tenant_id,
            &actor,
            AuditAction::MemberAdd,
            user.id,
            None,
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

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::account::keeps_an_owner;
    use crate::Role;

    fn token(tenant_id: Option<Uuid>) -> ApiToken {
        ApiToken {
            id: Uuid::now_v7(),
            tenant_id,
            name: "ci".into(),
            role: Role::Admin,
            created_at: Utc::now(),
            revoked_at: None,
            created_by_user_id: None,
            made_by_user_id: None,
        }
    }

    #[test]
    fn only_a_tenants_token_made_by_someone_is_audited() {
        let actor = Actor::reaper();
        let tenant = Uuid::now_v7();
        let e = NewAuditEntry::token_created(Some(&actor), &token(Some(tenant))).unwrap();
        assert_eq!((e.tenant_id, e.action), (tenant, AuditAction::TokenCreate));
        assert!(NewAuditEntry::token_created(Some(&actor), &token(None)).is_none());
        assert!(NewAuditEntry::token_created(None, &token(Some(tenant))).is_none());
    }

    #[test]
    fn a_member_added_by_invitation_is_their_own_actor_and_keeps_the_old_role() {
        let user = User {
            id: Uuid::now_v7(),
            email: "a@example.com".into(),
            name: "A".into(),
            is_staff: false,
            totp_enabled: false,
            created_at: Utc::now(),
            deactivated_at: None,
        };
        let inv = Invitation {
            id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            email: user.email.clone(),
            role: MemberRole::Admin,
            created_at: Utc::now(),
            expires_at: Utc::now(),
            accepted_at: None,
        };
        let e = NewAuditEntry::member_added(&user, &inv, Some(MemberRole::Viewer));
        assert_eq!(e.actor, Actor::user(&user));
        assert_eq!(e.before.unwrap()["role"], "viewer");
        let after = e.after.unwrap();
        assert_eq!(
            (after["role"].as_str(), after["invitation_id"].as_str()),
            (Some("admin"), Some(inv.id.to_string().as_str()))
        );
        assert!(NewAuditEntry::member_added(&user, &inv, None)
            .before
            .is_none());
    }

    #[test]
    fn the_last_owner_can_be_neither_demoted_nor_removed() {
        use MemberRole::{Admin, Owner};
        assert!(!keeps_an_owner(Owner, Some(Admin), 1));
        assert!(!keeps_an_owner(Owner, None, 1));
        assert!(keeps_an_owner(Owner, Some(Admin), 2));
        assert!(keeps_an_owner(Owner, Some(Owner), 1));
        assert!(keeps_an_owner(Admin, None, 0));
    }
}
