//! The [`MemberStore`] role; each backend implements it in its own `members` module.

use super::prelude::*;

/// Tenant membership: invitations and the members they make, with the rule that a tenant
/// always keeps an owner.
#[async_trait]
pub trait MemberStore: Send + Sync {
    /// Creates an invitation, audits it and queues its mail, in one transaction; any live
    /// invitation of the tenant to the same address is replaced (its link stops working).
    async fn create_invitation(
        &self,
        inv: NewInvitation,
        mail: NewMail,
        actor: &Actor,
    ) -> StoreResult<Invitation>;
    /// The invitation with this token hash (not consumed).
    async fn invitation(&self, token_hash: &str) -> StoreResult<OneTime<Invitation>>;
    /// Uses an invitation: creates the account when the e-mail is new, adds (or changes)
    /// the membership and audits it. `Conflict(ConflictField::Email)` when the account's existence
    /// changed since the caller looked.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        account: InviteeAccount,
    ) -> StoreResult<OneTime<User>>;
    /// A tenant's members, by user id.
    async fn list_members(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<Member>>;
    /// One member of a tenant.
    async fn get_member(&self, tenant_id: Uuid, user_id: Uuid) -> StoreResult<Option<Member>>;
    /// Changes a member's role; `Conflict(ConflictField::Owner)` when it would leave no owner.
    async fn update_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        role: MemberRole,
        actor: &Actor,
    ) -> StoreResult<Option<Member>>;
    /// Removes a member; `Conflict(ConflictField::Owner)` when it would leave no owner.
    async fn remove_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Member>>;
    /// A page of a tenant's invitations, newest first, optionally only those in `state`.
    async fn list_invitations(
        &self,
        tenant_id: Uuid,
        state: Option<InvitationState>,
        page: PageRequest,
    ) -> StoreResult<Page<InvitationRecord>>;
    /// One invitation of a tenant.
    async fn get_invitation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<InvitationRecord>>;
    /// The invitation a link's token hash belongs to, in whatever state (for the public
    /// lookup that tells the invitee before they fill the form).
    async fn lookup_invitation(&self, token_hash: &str) -> StoreResult<Option<InvitationRecord>>;
    /// Revokes a live invitation (its link stops working) and audits `invitation.revoke`;
    /// `None` when there is no such invitation or it is no longer live.
    async fn revoke_invitation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<InvitationRecord>>;
}
