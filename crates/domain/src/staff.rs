//! Staff administration of accounts: promoting and demoting staff, deactivating and
//! reactivating users, clearing a user's sign-in throttle, and the account log that
//! records each of these (accounts belong to no tenant, so these changes are not in a
//! tenant's audit log).
//!
//! The staff rule: the server always keeps at least one active staff account, so nobody
//! can lock every person out of administration. The store decides it in the `WHERE` of
//! the one statement that makes the change (`coditect_storage::shared::staff`), under a
//! lock that serializes such changes, so two staff demoting each other cannot both pass.
//!
//! Deactivation: a deactivated user cannot sign in (password, single sign-on, a reset
//! link), their dashboard sessions end at once, and API tokens they created stop working
//! too (a token made by a person acts for that person; an operator who wants a token to
//! outlive its maker's account creates it with the bootstrap token). Reactivating
//! restores sign-in and those tokens; the ended sessions stay ended.
//!
//! Demotion: a token made by staff acts with staff authority (no membership bounds it),
//! so it stops when its maker is no longer staff, and works again if they are made staff
//! again. A token made by a member stays bounded by their membership as before.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::{Actor, User};

/// Whether a token made by `maker` may still be used: not while the maker is
/// deactivated, and, for a token no membership bounds (`bounded_by_member` false: made
/// by staff), only while the maker is still staff. Decided here so that both ways in to
/// a token (bearer requests, anything that checks one later) apply one rule.
pub fn token_maker_allows(maker: &User, bounded_by_member: bool) -> bool {
    maker.deactivated_at.is_none() && (bounded_by_member || maker.is_staff)
}

/// What staff did to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AccountAction {
    /// `user.promote`: made staff.
    #[serde(rename = "user.promote")]
    Promote,
    /// `user.demote`: no longer staff.
    #[serde(rename = "user.demote")]
    Demote,
    /// `user.deactivate`: may no longer sign in.
    #[serde(rename = "user.deactivate")]
    Deactivate,
    /// `user.reactivate`: may sign in again.
    #[serde(rename = "user.reactivate")]
    Reactivate,
    /// `user.unlock_sign_in`: the sign-in throttle of the account was cleared.
    #[serde(rename = "user.unlock_sign_in")]
    UnlockSignIn,
}

impl AccountAction {
    /// Every action, for parsing and for the API reference.
    pub const ALL: [AccountAction; 5] = [
        Self::Promote,
        Self::Demote,
        Self::Deactivate,
        Self::Reactivate,
        Self::UnlockSignIn,
    ];

    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Promote => "user.promote",
            Self::Demote => "user.demote",
            Self::Deactivate => "user.deactivate",
            Self::Reactivate => "user.reactivate",
            Self::UnlockSignIn => "user.unlock_sign_in",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The action that sets staff to `is_staff`.
    pub fn for_staff(is_staff: bool) -> Self {
        if is_staff {
            Self::Promote
        } else {
            Self::Demote
        }
    }

    /// The action that deactivates (`true`) or reactivates an account.
    pub fn for_deactivation(deactivate: bool) -> Self {
        if deactivate {
            Self::Deactivate
        } else {
            Self::Reactivate
        }
    }
}

/// One entry of the account log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountAuditEntry {
    /// Entry id (time-ordered).
    pub id: Uuid,
    /// The account acted on.
    pub user_id: Uuid,
    /// What was done.
    pub action: AccountAction,
    /// Who did it.
    pub actor: Actor,
    /// The account's `is_staff` and `deactivated_at` before, where it changed.
    pub before: Option<Value>,
    /// The same after.
    pub after: Option<Value>,
    /// When.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(is_staff: bool, deactivated: bool) -> User {
        User {
            id: Uuid::now_v7(),
            email: "maker@example.com".into(),
            name: "Maker".into(),
            is_staff,
            totp_enabled: false,
            created_at: Utc::now(),
            deactivated_at: deactivated.then(Utc::now),
        }
    }

    #[test]
    fn a_token_lives_by_its_makers_account() {
        // Staff-made (bounded by no member): only while still staff and active.
        assert!(token_maker_allows(&user(true, false), false));
        assert!(!token_maker_allows(&user(false, false), false));
        assert!(!token_maker_allows(&user(true, true), false));
        // Member-made: their membership bounds it; deactivation stops it.
        assert!(token_maker_allows(&user(false, false), true));
        assert!(!token_maker_allows(&user(false, true), true));
    }

    #[test]
    fn names_round_trip() {
        for a in AccountAction::ALL {
            assert_eq!(AccountAction::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
        assert_eq!(AccountAction::parse("user.delete"), None);
    }
}
