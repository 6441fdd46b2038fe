//! Single sign-on flows, tenants' SSO requirement, TOTP and trusted issuers on
//! PostgreSQL, with the shared statements of `coditect_storage::shared::identity`. Users,
//! flows and TOTP rows are not tenant rows (system scope); trusted issuers are, and are
//! read in their tenant's scope except when a JWT names its issuer.

use coditect_storage::shared::identity as q;

use crate::accounts::insert_user;
use crate::members::join_by_invitation;
use crate::prelude::*;
use crate::tenants::create_tenant;
use crate::tenants::get_tenant;
use coditect_domain::account::one_time_state;
use coditect_domain::identity::ChallengePurpose;
use coditect_domain::identity::NO_PASSWORD;
use coditect_storage::shared::signup_tenant;
use coditect_storage::sql::one_or_conflict;
use sqlx::Postgres;

/// The shared identity operations at this backend's database and clock.
type Ops = q::Ops<Postgres, DateTime<Utc>>;

fn issuer(r: &PgRow) -> StoreResult<TrustedIssuer> {
    decode::trusted_issuer(&Cols(r))
}

#[async_trait]
impl IdentityStore for PgStore {
    async fn create_sso_flow(&self, f: NewSsoFlow) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        Ops::create_sso_flow(&mut tx, &f, now, now + f.ttl).await?;
        done(tx, ()).await
    }

    async fn spend_sso_flow(
        &self,
        state_hash: &str,
        browser_hash: &str,
    ) -> StoreResult<Option<SsoFlow>> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let row = opt(&mut *tx, q::SPEND_SSO_FLOW, (state_hash, browser_hash, now)).await?;
        let out = row.map(|r| decode::sso_flow(&Cols(&r))).transpose()?;
        done(tx, out).await
    }

    async fn set_sso_required(
        &self,
        tenant_id: Uuid,
        required: bool,
        actor: &Actor,
    ) -> StoreResult<Option<Tenant>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        exec(
            &mut *tx,
            "SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE",
            (tenant_id,),
        )
        .await?;
        let Some(before) = get_tenant(&mut tx, tenant_id).await? else {
            return done(tx, None).await;
        };
        let after = Tenant {
            sso_required: required,
            ..before.clone()
        };
        if after != before {
            let now = db_now(&mut tx).await?;
            exec(&mut *tx, q::SET_SSO_REQUIRED, (tenant_id, required)).await?;
            insert_audit(
                &mut tx,
                &NewAuditEntry::tenant_updated(actor, &before, &after),
                now,
            )
            .await?;
        }
        done(tx, Some(after)).await
    }

    async fn accept_invitations_by_email(
        &self,
        email: &str,
        name: &str,
    ) -> StoreResult<Option<User>> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let sql = format!("{} FOR UPDATE", q::USABLE_INVITATIONS);
        let rows = all(&mut *tx, &sql, (email, now)).await?;
        if rows.is_empty() {
            return done(tx, None).await;
        }
        let u = insert_user(
            &mut tx,
            email,
            name,
            coditect_domain::identity::NO_PASSWORD,
            false,
        )
        .await?;
        for r in &rows {
            join_by_invitation(&mut tx, &decode::invitation(&Cols(r))?, &u, now).await?;
        }
        done(tx, Some(u)).await
    }

    async fn create_signup(
        &self,
        s: NewSignup,
        verify: NewMail,
        existing: NewMail,
    ) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        Ops::create_signup(&mut tx, &s, &verify, &existing, now, now + s.ttl).await?;
        done(tx, ()).await
    }

    async fn complete_signup(
        &self,
        token_hash: &str,
        slug_suffix: &str,
    ) -> StoreResult<OneTime<User>> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let sql = format!("{} FOR UPDATE", q::SIGNUP_BY_TOKEN);
        let Some(row) = opt(&mut *tx, &sql, (token_hash,)).await? else {
            return done(tx, OneTime::Unknown).await;
        };
        let p = decode::signup(&Cols(&row))?;
        if one_time_state(p.expires_at, p.used_at, now) == OneTimeState::Spent {
            return done(tx, OneTime::Spent).await;
        }
        let tenant = signup_tenant(&p, slug_suffix)?;
        let u = create_owner(&mut tx, &p.email, &p.name, &p.password_hash, tenant, now).await?;
        exec(&mut *tx, q::SPEND_SIGNUP, (token_hash, now)).await?;
        done(tx, OneTime::Usable(u)).await
    }

    async fn sign_up_owner(&self, email: &str, name: &str, tenant: NewTenant) -> StoreResult<User> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let u = create_owner(&mut tx, email, name, NO_PASSWORD, tenant, now).await?;
        done(tx, u).await
    }

    async fn create_sign_in_challenge(
        &self,
        token_hash: &str,
        user_id: Uuid,
        purpose: ChallengePurpose,
        ttl: Duration,
    ) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let p = purpose.as_str();
        Ops::create_challenge(&mut tx, token_hash, user_id, p, now, now + ttl).await?;
        done(tx, ()).await
    }

    async fn sign_in_challenge(
        &self,
        token_hash: &str,
        purpose: ChallengePurpose,
    ) -> StoreResult<Option<Uuid>> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let args = (token_hash, purpose.as_str(), now);
        let out = opt_scalar(&mut *tx, q::CHALLENGE_USER, args).await?;
        done(tx, out).await
    }

    async fn spend_sign_in_challenge(&self, token_hash: &str) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let n = exec(&mut *tx, q::SPEND_CHALLENGE, (token_hash, now)).await?;
        done(tx, n > 0).await
    }

    async fn totp(&self, user_id: Uuid) -> StoreResult<Option<TotpRecord>> {
        let mut tx = self.system_tx().await?;
        let row = opt(&mut *tx, q::TOTP_OF, (user_id,)).await?;
        let out = row.map(|r| decode::totp(&Cols(&r))).transpose()?;
        done(tx, out).await
    }

    async fn begin_totp(&self, user_id: Uuid, secret_sealed: &str) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let n = exec(&mut *tx, q::BEGIN_TOTP, (user_id, secret_sealed, now)).await?;
        if n == 0 {
            return Err(StoreError::Conflict(ConflictField::Totp));
        }
        done(tx, ()).await
    }

    async fn confirm_totp(
        &self,
        user_id: Uuid,
        step: i64,
        recovery_hashes: &[String],
    ) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let on = Ops::confirm_totp(&mut tx, user_id, step, recovery_hashes, now).await?;
        done(tx, on).await
    }

    async fn spend_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let n = exec(&mut *tx, q::SPEND_TOTP_STEP, (user_id, step)).await?;
        done(tx, n > 0).await
    }

    async fn spend_recovery_code(&self, user_id: Uuid, code_hash: &str) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let n = exec(&mut *tx, q::SPEND_RECOVERY_CODE, (user_id, code_hash, now)).await?;
        done(tx, n > 0).await
    }

    async fn replace_recovery_codes(&self, user_id: Uuid, hashes: &[String]) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        Ops::replace_codes(&mut tx, user_id, hashes).await?;
        done(tx, ()).await
    }

    async fn disable_totp(&self, user_id: Uuid) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        Ops::disable_totp(&mut tx, user_id, now).await?;
        done(tx, ()).await
    }

    async fn create_trusted_issuer(&self, i: NewTrustedIssuer) -> StoreResult<TrustedIssuer> {
        let mut tx = self.tenant_tx(i.tenant_id).await?;
        let now = db_now(&mut tx).await?;
        let args = (
            Uuid::now_v7(),
            i.tenant_id,
            &i.issuer,
            &i.jwks_url,
            &i.audience,
            &i.role_claim,
            Json(q::roles_json(&i.roles)),
            now,
        );
        let row = one_or_conflict(
            &mut *tx,
            q::INSERT_TRUSTED_ISSUER,
            args,
            ConflictField::Issuer,
        )
        .await?;
        let out = issuer(&row)?;
        done(tx, out).await
    }

    async fn list_trusted_issuers(&self, tenant_id: Uuid) -> StoreResult<Vec<TrustedIssuer>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let rows = all(&mut *tx, q::LIST_TRUSTED_ISSUERS, (tenant_id,)).await?;
        let out = rows.iter().map(issuer).collect::<StoreResult<_>>()?;
        done(tx, out).await
    }

    async fn delete_trusted_issuer(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<TrustedIssuer>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let row = opt(&mut *tx, q::DELETE_TRUSTED_ISSUER, (tenant_id, id)).await?;
        let out = row.as_ref().map(issuer).transpose()?;
        done(tx, out).await
    }

    async fn trusted_issuers_named(&self, iss: &str) -> StoreResult<Vec<TrustedIssuer>> {
        // Authentication: the tenant is what is being found out.
        let mut tx = self.system_tx().await?;
        let rows = all(&mut *tx, q::TRUSTED_ISSUERS_NAMED, (iss,)).await?;
        let out = rows.iter().map(issuer).collect::<StoreResult<_>>()?;
        done(tx, out).await
    }
}

/// Makes a user who owns a new tenant (sign-up).
async fn create_owner(
    conn: &mut PgConnection,
    email: &str,
    name: &str,
    password_hash: &str,
    tenant: NewTenant,
    now: DateTime<Utc>,
) -> StoreResult<User> {
    let u = insert_user(conn, email, name, password_hash, false).await?;
    let t = create_tenant(conn, tenant, &Actor::user(&u)).await?;
    exec(&mut *conn, q::INSERT_OWNER, (t.id, u.id, now)).await?;
    insert_audit(conn, &NewAuditEntry::owner_signed_up(&u, t.id), now).await?;
    Ok(u)
}
