//! The [`IdentityStore`] role; each backend implements it in its own `identity` module.

use super::prelude::*;
use crate::{NewSignup, NewSsoFlow, SsoFlow, TotpRecord};
use coditect_domain::identity::ChallengePurpose;
use coditect_domain::{NewTrustedIssuer, TrustedIssuer};

/// How people and machines prove who they are beyond a password: single sign-on flows
/// and the tenants that require them, TOTP second factors with recovery codes, and the
/// issuers whose JWTs a tenant trusts.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Stores a sign-in flow sent to a provider; expired flows are pruned on the way.
    async fn create_sso_flow(&self, flow: NewSsoFlow) -> StoreResult<()>;
    /// Spends the flow with this state, if the same browser started it, it is unexpired
    /// and unspent; `None` otherwise (a second callback with the same state finds none).
    async fn spend_sso_flow(
        &self,
        state_hash: &str,
        browser_hash: &str,
    ) -> StoreResult<Option<SsoFlow>>;
    /// Turns a tenant's SSO requirement on or off, audited as `tenant.update` when it
    /// changes; `None` for an unknown tenant.
    async fn set_sso_required(
        &self,
        tenant_id: Uuid,
        required: bool,
        actor: &Actor,
    ) -> StoreResult<Option<Tenant>>;
    /// Accepts every usable invitation for this e-mail, creating its user without a
    /// password (single sign-on vouched for the address), in one transaction; `None`
    /// when there is none. `Conflict(Email)` if the address has a user already.
    async fn accept_invitations_by_email(
        &self,
        email: &str,
        name: &str,
    ) -> StoreResult<Option<User>>;

    /// Stores a sign-up and queues its verification mail — or, when the address has an
    /// account already, queues `existing` instead and stores nothing (the answer is the
    /// same either way, so nobody learns which addresses have accounts).
    async fn create_signup(
        &self,
        s: NewSignup,
        verify: NewMail,
        existing: NewMail,
    ) -> StoreResult<()>;
    /// Uses a sign-up's link: makes the user, a tenant named after the organisation (its
    /// slug the name's `slug_base` and `slug_suffix`), and the user its owner, in one
    /// transaction. `Conflict(Email)` when the address got an account meanwhile;
    /// `Conflict(Slug)` when the slug is taken (the link stays usable).
    async fn complete_signup(
        &self,
        token_hash: &str,
        slug_suffix: &str,
    ) -> StoreResult<OneTime<User>>;
    /// Makes a user (with `password_hash`, or none) who owns a new tenant, in one
    /// transaction: single sign-on's sign-up, whose provider verified the address.
    /// `Conflict(Email)` or `Conflict(Slug)` as for [`Self::complete_signup`].
    async fn sign_up_owner(&self, email: &str, name: &str, tenant: NewTenant) -> StoreResult<User>;

    /// Stores a password sign-in's challenge for its second step; expired ones are pruned
    /// on the way.
    async fn create_sign_in_challenge(
        &self,
        token_hash: &str,
        user_id: Uuid,
        purpose: ChallengePurpose,
        ttl: Duration,
    ) -> StoreResult<()>;
    /// The user of an unspent, unexpired challenge of this purpose.
    async fn sign_in_challenge(
        &self,
        token_hash: &str,
        purpose: ChallengePurpose,
    ) -> StoreResult<Option<Uuid>>;
    /// Spends a challenge once its second step succeeded; false when it was spent (a
    /// racing second request) or expired meanwhile.
    async fn spend_sign_in_challenge(&self, token_hash: &str) -> StoreResult<bool>;

    /// The user's TOTP enrolment, confirmed or not.
    async fn totp(&self, user_id: Uuid) -> StoreResult<Option<TotpRecord>>;
    /// Stores a new, unconfirmed secret (replacing an unconfirmed one);
    /// `Conflict(Totp)` when TOTP is already on.
    async fn begin_totp(&self, user_id: Uuid, secret_sealed: &str) -> StoreResult<()>;
    /// Confirms the enrolment with the code of time step `step`, turning TOTP on and
    /// storing the recovery codes' hashes; false when nothing was pending.
    async fn confirm_totp(
        &self,
        user_id: Uuid,
        step: i64,
        recovery_hashes: &[String],
    ) -> StoreResult<bool>;
    /// Accepts a code of time step `step` once: false when that step or a later one was
    /// accepted already (a replayed code), or TOTP is not on.
    async fn spend_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool>;
    /// Spends a recovery code by its hash; false when unknown or spent.
    async fn spend_recovery_code(&self, user_id: Uuid, code_hash: &str) -> StoreResult<bool>;
    /// Replaces every recovery code of the user.
    async fn replace_recovery_codes(&self, user_id: Uuid, hashes: &[String]) -> StoreResult<()>;
    /// Turns TOTP off and forgets its secret and recovery codes.
    async fn disable_totp(&self, user_id: Uuid) -> StoreResult<()>;

    /// Registers a trusted issuer; `Conflict(Issuer)` when the issuer and audience pair
    /// is registered (by any tenant).
    async fn create_trusted_issuer(&self, i: NewTrustedIssuer) -> StoreResult<TrustedIssuer>;
    /// A tenant's trusted issuers, oldest first.
    async fn list_trusted_issuers(&self, tenant_id: Uuid) -> StoreResult<Vec<TrustedIssuer>>;
    /// Removes one; `None` when the tenant has none of that id.
    async fn delete_trusted_issuer(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<TrustedIssuer>>;
    /// Every registration of this `iss`, across tenants (authentication by JWT).
    async fn trusted_issuers_named(&self, issuer: &str) -> StoreResult<Vec<TrustedIssuer>>;
}
