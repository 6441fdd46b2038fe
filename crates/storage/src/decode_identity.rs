//! Rows of the identity tables into records (part of [`crate::decode`]).

use super::{corrupt, json, Columns};
use crate::StoreResult;

/// An `sso_flows` row.
pub fn sso_flow<R: Columns>(r: &R) -> StoreResult<crate::SsoFlow> {
    Ok(crate::SsoFlow {
        provider_id: r.text("provider_id")?,
        nonce: r.text("nonce")?,
        verifier_sealed: r.text("verifier_sealed")?,
        return_to: r.text("return_to")?,
    })
}

/// A `user_totp` row.
pub fn totp<R: Columns>(r: &R) -> StoreResult<crate::TotpRecord> {
    Ok(crate::TotpRecord {
        secret_sealed: r.text("secret_sealed")?,
        confirmed: r.opt_time("confirmed_at")?.is_some(),
        last_step: r.int("last_step")?,
    })
}

/// A `trusted_issuers` row.
pub fn trusted_issuer<R: Columns>(r: &R) -> StoreResult<coditect_domain::TrustedIssuer> {
    let roles: std::collections::BTreeMap<String, String> = json(r, "roles")?;
    let roles = roles
        .into_iter()
        .map(|(k, v)| {
            Ok((
                k,
                coditect_domain::Role::parse(&v).ok_or_else(|| corrupt("roles"))?,
            ))
        })
        .collect::<StoreResult<_>>()?;
    Ok(coditect_domain::TrustedIssuer {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        issuer: r.text("issuer")?,
        jwks_url: r.text("jwks_url")?,
        audience: r.text("audience")?,
        role_claim: r.text("role_claim")?,
        roles,
        created_at: r.time("created_at")?,
    })
}

/// A `signups` row.
pub fn signup<R: Columns>(r: &R) -> StoreResult<crate::PendingSignup> {
    Ok(crate::PendingSignup {
        email: r.text("email")?,
        name: r.text("name")?,
        password_hash: r.text("password_hash")?,
        organisation: r.text("organisation")?,
        expires_at: r.time("expires_at")?,
        used_at: r.opt_time("used_at")?,
    })
}
