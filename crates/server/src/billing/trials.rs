//! Self-service trials: one per product per e-mail and per hardware id, in the tenant of
//! that e-mail (made, with the e-mail invited as owner, when there is none), the key
//! mailed through the outbox. All in one billing transaction, under locks on the e-mail
//! and the hardware id, so two racing requests make one trial.

use chrono::{DateTime, Duration, Utc};
use coditect_domain::billing::terms::trial_email_key;
use coditect_domain::{Actor, License, Product};
use coditect_storage::StoreError;
use serde_json::{json, Map};

use super::mails;
use super::provision::{create_product_license, invite_owner, new_tenant, ProductLicense};
use crate::mail;
use crate::state::AppState;

/// A parsed trial request.
pub struct TrialRequest {
    /// The e-mail, as given (valid).
    pub email: String,
    /// The installation asking, when the client said.
    pub hardware_id: Option<String>,
    /// A name for a new tenant; the e-mail when absent.
    pub name: Option<String>,
}

/// A trial made.
pub struct Trial {
    /// Its license.
    pub license: License,
    /// The license key in clear (also mailed).
    pub key: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

/// Why no trial was made.
pub enum TrialRefusal {
    /// This e-mail or hardware id had one of this product already.
    AlreadyUsed,
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for TrialRefusal {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Makes a trial of `product` (which offers trials) for `req`, trying again (up to three
/// times) after a lost race for a new tenant's slug.
pub async fn start_trial(
    state: &AppState,
    product: &Product,
    req: &TrialRequest,
) -> Result<Trial, TrialRefusal> {
    let mut attempt = 0;
    loop {
        match try_trial(state, product, req).await {
            Err(TrialRefusal::Store(StoreError::Conflict(_))) if attempt < 3 => attempt += 1,
            other => return other,
        }
    }
}

async fn try_trial(
    state: &AppState,
    product: &Product,
    req: &TrialRequest,
) -> Result<Trial, TrialRefusal> {
    let actor = Actor::trials();
    let email_key = trial_email_key(&req.email);
    let hw = req.hardware_id.as_deref();
    let mut tx = state.store.billing_tx().await?;
    tx.lock(&format!("trial-email:{}:{email_key}", product.id))
        .await?;
    if let Some(hw) = hw {
        tx.lock(&format!("trial-hardware:{}:{hw}", product.id))
            .await?;
    }
    if tx.trial_taken(product.id, &email_key, hw).await? {
        return Err(TrialRefusal::AlreadyUsed);
    }
    let tenant = match tx.tenant_by_billing_email(&email_key).await? {
        Some(t) => t,
        None => {
            let name = req.name.as_deref().unwrap_or(&email_key);
            let t = new_tenant(&mut *tx, name, &actor).await?;
            let t = tx
                .set_tenant_billing(t.id, None, Some(&email_key), &actor)
                .await?;
            invite_owner(state, &mut *tx, &t, &email_key, &actor).await?;
            t
        }
    };
    let now = Utc::now();
    let expires_at = now + Duration::days(product.trial_days);
    let mut metadata = Map::new();
    metadata.insert("trial".into(), json!(true));
    let l = ProductLicense {
        seats_total: product.trial_seats,
        expires_at,
        is_active: true,
        subscription: None,
        metadata,
        name: format!("{} trial", product.name),
    };
    let (license, key) =
        create_product_license(state, &mut *tx, tenant.id, product, l, &actor).await?;
    if !tx
        .record_trial(product.id, &email_key, hw, &license)
        .await?
    {
        return Err(TrialRefusal::AlreadyUsed);
    }
    let (subject, body) = mails::trial_key(&product.name, &key, expires_at, product.trial_seats);
    let m = mail::outbox_mail(state, "trial", &req.email, subject, body)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    tx.queue_mail(&m).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    Ok(Trial {
        license,
        key,
        expires_at,
    })
}
