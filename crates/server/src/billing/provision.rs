//! What a checkout, a subscription and a trial all need: the customer's tenant (found or
//! made), its owner invited, and a license made from a product.

use chrono::{DateTime, Utc};
use coditect_domain::billing::terms::{first_free_slug, slug_base};
use coditect_domain::input::{Name, Slug};
use coditect_domain::{
    Actor, License, MemberRole, NewLicense, NewTenant, Product, Subscription, Tenant,
};
use coditect_storage::{BillingTx, NewInvitation, StoreError, StoreResult};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::crypto::{new_license_key, new_secret, sha256_hex};
use crate::mail;
use crate::state::AppState;

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

/// Makes a tenant named `name` (cut to 200 characters) with a free slug derived from it.
pub async fn new_tenant(tx: &mut dyn BillingTx, name: &str, actor: &Actor) -> StoreResult<Tenant> {
    let name: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let name = if name.is_empty() {
        "Customer".to_owned()
    } else {
        name
    };
    let base = slug_base(&name);
    let taken = tx.slugs_like(&base).await?;
    let slug = first_free_slug(&base, &taken);
    let t = NewTenant {
        name: Name::parse(&name).map_err(internal)?,
        slug: Slug::parse(&slug).map_err(internal)?,
    };
    tx.create_tenant(t, actor).await
}

/// The tenant of a Stripe customer: the one billed as it, else the vendor's `tenant_id`
/// hint (when that tenant is billed as no other customer), else a new one named `name`.
/// The customer is linked to it before this returns.
pub async fn tenant_for_customer(
    tx: &mut dyn BillingTx,
    customer: &str,
    hint: Option<Uuid>,
    name: &str,
    actor: &Actor,
) -> StoreResult<Tenant> {
    if let Some(t) = tx.tenant_by_customer(customer).await? {
        return Ok(t);
    }
    let hinted = match hint {
        Some(id) => tx
            .tenant(id)
            .await?
            .filter(|t| t.stripe_customer_id.is_none()),
        None => None,
    };
    let tenant = match hinted {
        Some(t) => t,
        None => new_tenant(tx, name, actor).await?,
    };
    tx.set_tenant_billing(tenant.id, Some(customer), None, actor)
        .await
}

/// Invites `email` as the tenant's owner, unless it has an owner or that invitation is
/// pending already. The invitation mail goes through the outbox.
pub async fn invite_owner(
    state: &AppState,
    tx: &mut dyn BillingTx,
    tenant: &Tenant,
    email: &str,
    actor: &Actor,
) -> StoreResult<bool> {
    let Ok(email) = coditect_domain::input::Email::parse(email.trim()) else {
        return Ok(false);
    };
    let email = email.as_str().to_lowercase();
    if tx.owner_or_invited(tenant.id, &email).await? {
        return Ok(false);
    }
    let token = new_secret();
    let inviter = state.config.mail_from.clone();
    let (subject, body) = mail::invitation_text(state, &tenant.name, "owner", &inviter, &token);
    let m = mail::outbox_mail(state, "invitation", &email, subject, body).map_err(internal)?;
    let inv = NewInvitation {
        tenant_id: tenant.id,
        email,
        role: MemberRole::Owner,
        token_hash: sha256_hex(token.as_bytes()),
        ttl: chrono::Duration::days(7),
    };
    tx.create_invitation(inv, m, actor).await?;
    Ok(true)
}

/// A license of `product` to create in `tenant_id`, with a new key; returns the key too
/// (for a trial's mail).
pub struct ProductLicense {
    /// Seats.
    pub seats_total: i64,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Activity.
    pub is_active: bool,
    /// The subscription it is sold under (`None` for a trial).
    pub subscription: Option<Subscription>,
    /// Vendor metadata (`{"trial": true}` for a trial).
    pub metadata: Map<String, Value>,
    /// Display name.
    pub name: String,
}

/// Creates the license, audited with `actor`; returns it with its key in clear.
pub async fn create_product_license(
    state: &AppState,
    tx: &mut dyn BillingTx,
    tenant_id: Uuid,
    product: &Product,
    l: ProductLicense,
    actor: &Actor,
) -> StoreResult<(License, String)> {
    let key = new_license_key();
    let new = NewLicense {
        tenant_id,
        name: Some(l.name.chars().take(200).collect()),
        key_sealed: state.sealer.seal(&key).map_err(internal)?,
        key_hash: sha256_hex(key.as_bytes()),
        key_hint: key[key.len() - 4..].to_owned(),
        seats_total: l.seats_total,
        expires_at: Some(l.expires_at),
        heartbeat_ttl_seconds: product.heartbeat_ttl_seconds,
        entitlements: product.entitlements.clone(),
        metadata: l.metadata,
        is_active: l.is_active,
        max_borrow_hours: 0,
        product_id: Some(product.id),
        subscription: l.subscription,
    };
    Ok((tx.create_license(new, actor).await?, key))
}
