//! The [`AccountStore`] role; each backend implements it in its own `accounts` module.

use super::prelude::*;
use coditect_domain::staff::{AccountAction, AccountAuditEntry};

/// Dashboard people: users, their sign-in credentials, dashboard sessions and password
/// resets; and staff administration of accounts (staff rights, deactivation, the account
/// log; see `coditect_domain::staff`).
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the first user, a staff user, only while no user exists
    /// (`Conflict(ConflictField::User)` after), even when several requests race.
    async fn create_first_user(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
    ) -> StoreResult<User>;
    /// Whether any user exists.
    async fn has_users(&self) -> StoreResult<bool>;
    /// The user with this (lower-cased) e-mail and their password hash.
    async fn user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>>;
    /// A user and their memberships.
    async fn user_profile(&self, user_id: Uuid) -> StoreResult<Option<UserProfile>>;
    /// Every user with their memberships, oldest first (staff view).
    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<UserProfile>>;
    /// Stores a dashboard session by the hash of its secret; `false` (nothing stored)
    /// when the user is deactivated or gone, so no way of signing in starts a session
    /// for a deactivated account.
    async fn create_web_session(
        &self,
        id_hash: &str,
        user_id: Uuid,
        idle: Duration,
        absolute: Duration,
    ) -> StoreResult<bool>;
    /// The user of a session that is neither idle past `idle` nor past its absolute
    /// lifetime, and whose user is not deactivated; slides the idle expiry forward.
    async fn web_session_user(
        &self,
        id_hash: &str,
        idle: Duration,
    ) -> StoreResult<Option<UserProfile>>;
    /// Ends a dashboard session (sign-out). Ending an unknown session is not an error.
    async fn delete_web_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Stores a password-reset token and queues its mail, when a user has this e-mail.
    /// Returns whether one has.
    async fn create_password_reset(
        &self,
        email: &str,
        token_hash: &str,
        ttl: Duration,
        mail: NewMail,
    ) -> StoreResult<bool>;
    /// Whether a reset token is usable, without using it: looked up before the new
    /// password is hashed, so unknown tokens cost no hashing.
    async fn password_reset(&self, token_hash: &str) -> StoreResult<OneTime<()>>;
    /// Uses a reset token: sets the new password, spends every other outstanding reset
    /// token of the user and ends every dashboard session of the user.
    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> StoreResult<OneTime<User>>;
    /// Makes a user staff or not, and logs it (`user.promote` / `user.demote`) in the
    /// same transaction. `Conflict(ConflictField::Staff)` when it would leave no active
    /// staff account, decided under a lock so concurrent demotions cannot both pass;
    /// `None` for no such user. Setting what is already set changes and logs nothing.
    async fn set_staff(
        &self,
        user_id: Uuid,
        is_staff: bool,
        actor: &Actor,
    ) -> StoreResult<Option<User>>;
    /// Deactivates (`true`) or reactivates a user and logs it. Deactivating ends every
    /// dashboard session of the user in the same transaction, and is refused with
    /// `Conflict(ConflictField::Staff)` for the last active staff account. `None` for no
    /// such user; setting what is already set changes and logs nothing.
    async fn set_deactivated(
        &self,
        user_id: Uuid,
        deactivate: bool,
        actor: &Actor,
    ) -> StoreResult<Option<User>>;
    /// Logs an account action that changes no row (clearing the sign-in throttle).
    async fn log_account_action(
        &self,
        user_id: Uuid,
        action: AccountAction,
        actor: &Actor,
    ) -> StoreResult<()>;
    /// The newest `limit` entries of the account log, newest first.
    async fn recent_account_audit(&self, limit: u32) -> StoreResult<Vec<AccountAuditEntry>>;
}
