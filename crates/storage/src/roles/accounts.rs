//! The [`AccountStore`] role; each backend implements it in its own `accounts` module.

use super::prelude::*;

/// Dashboard people: users, their sign-in credentials, dashboard sessions and password
/// resets.
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
    /// Stores a dashboard session by the hash of its secret.
    async fn create_web_session(
        &self,
        id_hash: &str,
        user_id: Uuid,
        idle: Duration,
        absolute: Duration,
    ) -> StoreResult<()>;
    /// The user of a session that is neither idle past `idle` nor past its absolute
    /// lifetime; slides the idle expiry forward.
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
}
