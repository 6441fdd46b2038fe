//! Bearer-token callers of the admin API: the operator's bootstrap token, a trusted
//! issuer's JWT, or a stored API token, which acts within its maker's account (see
//! `coditect_domain::staff`) and, for a member's token, within their membership.
//! Kept apart from `extract`, which turns any caller into a [`Principal`].

use axum::http::{header, HeaderMap};
use coditect_domain::{Actor, ActorType, ApiToken, Role, UserProfile};

use super::error::{ApiError, ApiResult};
use super::extract::Principal;
use crate::crypto::sha256_hex;
use crate::identity::trusted_jwt;
use crate::state::AppState;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
}

/// The token of an `Authorization: Bearer <token>` value. The scheme is matched without
/// regard to case (RFC 9110 §11.1); the token is taken as sent, minus surrounding spaces.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub(super) async fn token_principal(headers: &HeaderMap, state: &AppState) -> ApiResult<Principal> {
    let token = bearer(headers)
        .filter(|t| !t.is_empty() && t.len() <= trusted_jwt::MAX_JWT_LEN)
        .ok_or_else(ApiError::unauthorized)?;
    let hash = sha256_hex(token.as_bytes());
    state.limiter.check_admin(&hash).await?;
    if state
        .bootstrap_hash
        .as_deref()
        .is_some_and(|h| hashes_equal(h, &hash))
    {
        return Ok(Principal {
            role: Role::Superadmin,
            tenant_id: None,
            actor: Actor {
                actor_type: ActorType::Superadmin,
                id: None,
                name: Some("bootstrap".into()),
            },
            user: None,
            on_behalf_of: None,
            made_by: None,
        });
    }
    if trusted_jwt::looks_like_jwt(token) {
        return jwt_principal(state, token).await;
    }
    if token.len() > 512 {
        return Err(ApiError::unauthorized());
    }
    let t = state
        .store
        .find_token(&hash)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let actor_type = if t.role == Role::Superadmin {
        ActorType::Superadmin
    } else {
        ActorType::Token
    };
    let mut role = t.role;
    let mut on_behalf_of = None;
    let (allowed, maker) = token_maker(state, &t).await?;
    if !allowed {
        return Err(ApiError::unauthorized());
    }
    // One profile load serves both the maker rule and the membership bound: they are the
    // same person whenever both are set.
    if let Some(maker) = maker {
        let bounding = match t.created_by_user_id {
            Some(id) if id == maker.user.id => Some(maker),
            Some(id) => Some(
                state
                    .store
                    .user_profile(id)
                    .await?
                    .ok_or_else(ApiError::unauthorized)?,
            ),
            None => None,
        };
        if let (Some(profile), Some(tenant_id)) = (bounding, t.tenant_id) {
            // A member's token is theirs: it does no more than they may now, and nothing
            // once they have left the tenant.
            if !profile.user.is_staff {
                let member = profile
                    .role_in(tenant_id)
                    .ok_or_else(ApiError::unauthorized)?;
                role = member.bound_token_role(t.role);
                on_behalf_of = Some((profile.user.id, member));
            }
        }
    }
    Ok(Principal {
        role,
        tenant_id: t.tenant_id,
        actor: Actor {
            actor_type,
            id: Some(t.id),
            name: Some(t.name),
        },
        user: None,
        on_behalf_of,
        made_by: t.made_by_user_id.or(t.created_by_user_id),
    })
}

/// Whether a stored token may act, by its maker's account, with the maker's profile
/// (`None` for the operator's tokens). The maker is the recorded one, or for a token
/// from before makers were recorded, the member it is bounded by. Refused while the maker
/// is deactivated, and for a staff-made token once they are no longer staff
/// (`coditect_domain::staff`); a maker whose account is gone refuses it too.
async fn token_maker(state: &AppState, t: &ApiToken) -> ApiResult<(bool, Option<UserProfile>)> {
    let Some(maker_id) = t.made_by_user_id.or(t.created_by_user_id) else {
        return Ok((true, None));
    };
    let Some(maker) = state.store.user_profile(maker_id).await? else {
        return Ok((false, None));
    };
    let bounded = t.created_by_user_id.is_some();
    let allowed = coditect_domain::staff::token_maker_allows(&maker.user, bounded);
    Ok((allowed, Some(maker)))
}

/// A JWT of a trusted issuer: a token of the issuer's tenant with the mapped role.
async fn jwt_principal(state: &AppState, token: &str) -> ApiResult<Principal> {
    let iss = trusted_jwt::issuer_of(token).ok_or_else(ApiError::unauthorized)?;
    let regs = state.store.trusted_issuers_named(&iss).await?;
    if regs.is_empty() {
        return Err(ApiError::unauthorized());
    }
    let v = state
        .jwks
        .verify(token, regs)
        .await
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Principal {
        role: v.role,
        tenant_id: Some(v.issuer.tenant_id),
        actor: Actor {
            actor_type: ActorType::Jwt,
            id: Some(v.issuer.id),
            name: v.subject,
        },
        user: None,
        on_behalf_of: None,
        made_by: None,
    })
}

/// Whether a presented superadmin secret is valid: the operator's bootstrap token, or
/// an unrevoked superadmin token (the generated bootstrap token is stored as one).
pub async fn is_superadmin_secret(state: &AppState, secret: &str) -> ApiResult<bool> {
    let hash = sha256_hex(secret.as_bytes());
    if state
        .bootstrap_hash
        .as_deref()
        .is_some_and(|h| hashes_equal(h, &hash))
    {
        return Ok(true);
    }
    let token = state.store.find_token(&hash).await?;
    match token.filter(|t| t.role == Role::Superadmin) {
        // A superadmin token made by a person counts only while its maker may use it.
        Some(t) => Ok(token_maker(state, &t).await?.0),
        None => Ok(false),
    }
}

/// Compares two hashes without an early exit.
fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
