//! Single sign-on flows, tenants' SSO requirement, TOTP and trusted issuers on SQLite,
//! with the shared statements of `coditect_storage::shared::identity`; reads on the
//! reader pool, writes in one write transaction each.

use coditect_storage::shared::identity as q;
use coditect_storage::sql::one_or_conflict;

use crate::accounts::insert_user;
use crate::members::join_by_invitation;
use crate::prelude::*;
use crate::tenants::create_tenant;
use coditect_domain::account::one_time_state;
use coditect_domain::identity::ChallengePurpose;
use coditect_domain::identity::NO_PASSWORD;
use coditect_storage::shared::signup_tenant;
use sqlx::Sqlite;

/// The shared identity operations at this backend's database and clock.
type Ops = q::Ops<Sqlite, i64>;

fn issuer(r: &SqliteRow) -> StoreResult<TrustedIssuer> {
    decode::trusted_issuer(&Cols(r))
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn create_sso_flow(&self, f: NewSsoFlow) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let now = now_micros();
        Ops::create_sso_flow(&mut **tx, &f, now, later(now, f.ttl)).await?;
        tx.commit().await.map_err(err)
    }

    async fn spend_sso_flow(
        &self,
        state_hash: &str,
        browser_hash: &str,
    ) -> StoreResult<Option<SsoFlow>> {
        let mut c = self.write_conn().await?;
        let args = (state_hash, browser_hash, now_micros());
        let row = opt(&mut **c, q::SPEND_SSO_FLOW, args).await?;
        row.map(|r| decode::sso_flow(&Cols(&r))).transpose()
    }

    async fn set_sso_required(
        &self,
        tenant_id: Uuid,
        required: bool,
        actor: &Actor,
    ) -> StoreResult<Option<Tenant>> {
        let mut tx = self.write_tx().await?;
        let row = opt(
            &mut **tx,
            "SELECT * FROM tenants WHERE id = ?",
            (tenant_id,),
        )
        .await?;
        let Some(before) = row.map(|r| decode::tenant(&Cols(&r))).transpose()? else {
            return Ok(None);
        };
        let after = Tenant {
            sso_required: required,
            ..before.clone()
        };
        if after != before {
            let now = now_micros();
            exec(&mut **tx, q::SET_SSO_REQUIRED, (tenant_id, required)).await?;
            let entry = NewAuditEntry::tenant_updated(actor, &before, &after);
            insert_audit(&mut tx, &entry, now).await?;
            tx.commit().await.map_err(err)?;
        }
        Ok(Some(after))
    }

    async fn accept_invitations_by_email(
        &self,
        email: &str,
        name: &str,
    ) -> StoreResult<Option<User>> {
        let mut tx = self.write_tx().await?;
        let now = now_micros();
        let rows = all(&mut **tx, q::USABLE_INVITATIONS, (email, now)).await?;
        if rows.is_empty() {
            return Ok(None);
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
        tx.commit().await.map_err(err)?;
        Ok(Some(u))
    }

    async fn create_signup(
        &self,
        s: NewSignup,
        verify: NewMail,
        existing: NewMail,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let now = now_micros();
        let expires = later(now, s.ttl);
        Ops::create_signup(&mut **tx, &s, &verify, &existing, now, expires).await?;
        tx.commit().await.map_err(err)
    }

    async fn complete_signup(
        &self,
        token_hash: &str,
        slug_suffix: &str,
    ) -> StoreResult<OneTime<User>> {
        let mut tx = self.write_tx().await?;
        let now = now_micros();
        let Some(row) = opt(&mut **tx, q::SIGNUP_BY_TOKEN, (token_hash,)).await? else {
            return Ok(OneTime::Unknown);
        };
        let p = decode::signup(&Cols(&row))?;
        if one_time_state(p.expires_at, p.used_at, time(now)) == OneTimeState::Spent {
            return Ok(OneTime::Spent);
        }
        let tenant = signup_tenant(&p, slug_suffix)?;
        let u = create_owner(&mut tx, &p.email, &p.name, &p.password_hash, tenant, now).await?;
        exec(&mut **tx, q::SPEND_SIGNUP, (token_hash, now)).await?;
        tx.commit().await.map_err(err)?;
        Ok(OneTime::Usable(u))
    }

    async fn sign_up_owner(&self, email: &str, name: &str, tenant: NewTenant) -> StoreResult<User> {
        let mut tx = self.write_tx().await?;
        let u = create_owner(&mut tx, email, name, NO_PASSWORD, tenant, now_micros()).await?;
        tx.commit().await.map_err(err)?;
        Ok(u)
    }

    async fn create_sign_in_challenge(
        &self,
        token_hash: &str,
        user_id: Uuid,
        purpose: ChallengePurpose,
        ttl: Duration,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let (now, p) = (now_micros(), purpose.as_str());
        Ops::create_challenge(&mut **tx, token_hash, user_id, p, now, later(now, ttl)).await?;
        tx.commit().await.map_err(err)
    }

    async fn sign_in_challenge(
        &self,
        token_hash: &str,
        purpose: ChallengePurpose,
    ) -> StoreResult<Option<Uuid>> {
        let args = (token_hash, purpose.as_str(), now_micros());
        opt_scalar(&self.reader, q::CHALLENGE_USER, args).await
    }

    async fn spend_sign_in_challenge(&self, token_hash: &str) -> StoreResult<bool> {
        let mut c = self.write_conn().await?;
        Ok(exec(&mut **c, q::SPEND_CHALLENGE, (token_hash, now_micros())).await? > 0)
    }

    async fn totp(&self, user_id: Uuid) -> StoreResult<Option<TotpRecord>> {
        let row = opt(&self.reader, q::TOTP_OF, (user_id,)).await?;
        row.map(|r| decode::totp(&Cols(&r))).transpose()
    }

    async fn begin_totp(&self, user_id: Uuid, secret_sealed: &str) -> StoreResult<()> {
        let mut c = self.write_conn().await?;
        let n = exec(
            &mut **c,
            q::BEGIN_TOTP,
            (user_id, secret_sealed, now_micros()),
        )
        .await?;
        if n == 0 {
            return Err(StoreError::Conflict(ConflictField::Totp));
        }
        Ok(())
    }

    async fn confirm_totp(
        &self,
        user_id: Uuid,
        step: i64,
        recovery_hashes: &[String],
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let now = now_micros();
        let on = Ops::confirm_totp(&mut **tx, user_id, step, recovery_hashes, now).await?;
        tx.commit().await.map_err(err)?;
        Ok(on)
    }

    async fn spend_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool> {
        let mut c = self.write_conn().await?;
        Ok(exec(&mut **c, q::SPEND_TOTP_STEP, (user_id, step)).await? > 0)
    }

    async fn spend_recovery_code(&self, user_id: Uuid, code_hash: &str) -> StoreResult<bool> {
        let mut c = self.write_conn().await?;
        let args = (user_id, code_hash, now_micros());
        Ok(exec(&mut **c, q::SPEND_RECOVERY_CODE, args).await? > 0)
    }

    async fn replace_recovery_codes(&self, user_id: Uuid, hashes: &[String]) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        Ops::replace_codes(&mut **tx, user_id, hashes).await?;
        tx.commit().await.map_err(err)
    }

    async fn disable_totp(&self, user_id: Uuid) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        Ops::disable_totp(&mut **tx, user_id, now_micros()).await?;
        tx.commit().await.map_err(err)
    }

    async fn create_trusted_issuer(&self, i: NewTrustedIssuer) -> StoreResult<TrustedIssuer> {
        let args = (
            Uuid::now_v7(),
            i.tenant_id,
            &i.issuer,
            &i.jwks_url,
            &i.audience,
            &i.role_claim,
            to_json(&q::roles_json(&i.roles)),
            now_micros(),
        );
        let mut c = self.write_conn().await?;
        let sql = q::INSERT_TRUSTED_ISSUER;
        let row = one_or_conflict(&mut **c, sql, args, ConflictField::Issuer).await?;
        issuer(&row)
    }

    async fn list_trusted_issuers(&self, tenant_id: Uuid) -> StoreResult<Vec<TrustedIssuer>> {
        let rows = all(&self.reader, q::LIST_TRUSTED_ISSUERS, (tenant_id,)).await?;
        rows.iter().map(issuer).collect()
    }

    async fn delete_trusted_issuer(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<TrustedIssuer>> {
        let mut c = self.write_conn().await?;
        let row = opt(&mut **c, q::DELETE_TRUSTED_ISSUER, (tenant_id, id)).await?;
        row.as_ref().map(issuer).transpose()
    }

    async fn trusted_issuers_named(&self, iss: &str) -> StoreResult<Vec<TrustedIssuer>> {
        let rows = all(&self.reader, q::TRUSTED_ISSUERS_NAMED, (iss,)).await?;
        rows.iter().map(issuer).collect()
    }
}

/// Makes a user who owns a new tenant (sign-up).
async fn create_owner(
    conn: &mut SqliteConnection,
    email: &str,
    name: &str,
    password_hash: &str,
    tenant: NewTenant,
    now: i64,
) -> StoreResult<User> {
    let u = insert_user(conn, email, name, password_hash, false).await?;
    let t = create_tenant(conn, tenant, &Actor::user(&u)).await?;
    exec(&mut *conn, q::INSERT_OWNER, (t.id, u.id, now)).await?;
    insert_audit(conn, &NewAuditEntry::owner_signed_up(&u, t.id), now).await?;
    Ok(u)
}

/// `now` plus `ttl`, in microseconds.
fn later(now: i64, ttl: Duration) -> i64 {
    now.saturating_add(ttl.num_microseconds().unwrap_or(i64::MAX))
}
