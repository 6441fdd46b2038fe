//! The identity statements both backends run as they are (`$N` binds on both; times in
//! the backend's own type). Each rule that decides something (a flow spent once, by the
//! browser that started it, before it expires; a TOTP step accepted once; a recovery
//! code spent once; an enrolment replaced only while unconfirmed) is in the statement's
//! `WHERE`, so the database decides it atomically and no backend decides it twice.

/// A user's tenants with their names and SSO requirement: `$1` user.
pub const USER_MEMBERSHIPS: &str = "SELECT m.tenant_id, m.role, t.name, t.slug, t.sso_required \
     FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = $1 ORDER BY t.id";

/// `$1` state hash, `$2` browser hash, `$3` provider, `$4` nonce, `$5` sealed verifier,
/// `$6` return path, `$7` now, `$8` expiry.
pub const INSERT_SSO_FLOW: &str = "INSERT INTO sso_flows (state_hash, browser_hash, \
     provider_id, nonce, verifier_sealed, return_to, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Flows past their expiry: `$1` now.
pub const PRUNE_SSO_FLOWS: &str = "DELETE FROM sso_flows WHERE expires_at <= $1";

/// Spends a flow: `$1` state hash, `$2` browser hash, `$3` now.
pub const SPEND_SSO_FLOW: &str = "UPDATE sso_flows SET used_at = $3 \
     WHERE state_hash = $1 AND browser_hash = $2 AND used_at IS NULL AND expires_at > $3 \
     RETURNING provider_id, nonce, verifier_sealed, return_to";

/// `$1` tenant, `$2` required.
pub const SET_SSO_REQUIRED: &str = "UPDATE tenants SET sso_required = $2 WHERE id = $1";

/// Usable invitations of an address, oldest first: `$1` e-mail, `$2` now. (PostgreSQL
/// appends `FOR UPDATE`.)
pub const USABLE_INVITATIONS: &str = "SELECT * FROM invitations \
     WHERE email = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
     ORDER BY id";

/// `$1` token hash, `$2` e-mail, `$3` name, `$4` password hash, `$5` organisation, `$6`
/// now, `$7` expiry.
pub const INSERT_SIGNUP: &str = "INSERT INTO signups (token_hash, email, name, password_hash, \
     organisation, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// `$1` now.
pub const PRUNE_SIGNUPS: &str = "DELETE FROM signups WHERE expires_at <= $1";

/// A sign-up by its token: `$1` token hash. (PostgreSQL appends `FOR UPDATE`.)
pub const SIGNUP_BY_TOKEN: &str = "SELECT * FROM signups WHERE token_hash = $1";

/// `$1` token hash, `$2` now.
pub const SPEND_SIGNUP: &str = "UPDATE signups SET used_at = $2 WHERE token_hash = $1";

/// Whether an address has an account: `$1` e-mail.
pub const EMAIL_TAKEN: &str = "SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)";

/// Makes a user the owner of a tenant: `$1` tenant, `$2` user, `$3` now.
pub const INSERT_OWNER: &str = "INSERT INTO memberships (tenant_id, user_id, role, created_at) \
     VALUES ($1, $2, 'owner', $3)";

/// `$1` token hash, `$2` user, `$3` purpose, `$4` now, `$5` expiry.
pub const INSERT_CHALLENGE: &str = "INSERT INTO sign_in_challenges (token_hash, user_id, \
     purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";

/// `$1` now.
pub const PRUNE_CHALLENGES: &str = "DELETE FROM sign_in_challenges WHERE expires_at <= $1";

/// `$1` token hash, `$2` purpose, `$3` now.
pub const CHALLENGE_USER: &str = "SELECT user_id FROM sign_in_challenges \
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3";

/// `$1` token hash, `$2` now.
pub const SPEND_CHALLENGE: &str = "UPDATE sign_in_challenges SET used_at = $2 \
     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2";

/// `$1` user.
pub const TOTP_OF: &str = "SELECT * FROM user_totp WHERE user_id = $1";

/// A new unconfirmed secret, replacing only an unconfirmed one: `$1` user, `$2` sealed
/// secret, `$3` now. No row changes when TOTP is on.
pub const BEGIN_TOTP: &str = "INSERT INTO user_totp (user_id, secret_sealed, created_at) \
     VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE \
     SET secret_sealed = excluded.secret_sealed, created_at = excluded.created_at, \
     last_step = -1 WHERE user_totp.confirmed_at IS NULL";

/// `$1` user, `$2` the confirming code's step, `$3` now.
pub const CONFIRM_TOTP: &str = "UPDATE user_totp SET confirmed_at = $3, last_step = $2 \
     WHERE user_id = $1 AND confirmed_at IS NULL AND last_step < $2";

/// `$1` user, `$2` whether TOTP is on, `$3` now.
pub const SET_TOTP_FLAG: &str = "UPDATE users SET totp_enabled = $2, updated_at = $3 WHERE id = $1";

/// `$1` user, `$2` step.
pub const SPEND_TOTP_STEP: &str = "UPDATE user_totp SET last_step = $2 \
     WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2";

/// `$1` user.
pub const DELETE_RECOVERY_CODES: &str = "DELETE FROM recovery_codes WHERE user_id = $1";

/// `$1` user, `$2` code hash.
pub const INSERT_RECOVERY_CODE: &str =
    "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)";

/// `$1` user, `$2` code hash, `$3` now.
pub const SPEND_RECOVERY_CODE: &str = "UPDATE recovery_codes SET used_at = $3 \
     WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";

/// `$1` user.
pub const DELETE_TOTP: &str = "DELETE FROM user_totp WHERE user_id = $1";

/// `$1` id, `$2` tenant, `$3` issuer, `$4` JWKS URL, `$5` audience, `$6` role claim,
/// `$7` roles (JSON), `$8` now.
pub const INSERT_TRUSTED_ISSUER: &str = "INSERT INTO trusted_issuers (id, tenant_id, issuer, \
     jwks_url, audience, role_claim, roles, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *";

/// `$1` tenant.
pub const LIST_TRUSTED_ISSUERS: &str =
    "SELECT * FROM trusted_issuers WHERE tenant_id = $1 ORDER BY id";

/// `$1` tenant, `$2` id.
pub const DELETE_TRUSTED_ISSUER: &str =
    "DELETE FROM trusted_issuers WHERE tenant_id = $1 AND id = $2 RETURNING *";

/// `$1` issuer.
pub const TRUSTED_ISSUERS_NAMED: &str =
    "SELECT * FROM trusted_issuers WHERE issuer = $1 ORDER BY id";

/// The roles map as stored: claim value → role name.
pub fn roles_json(
    roles: &std::collections::BTreeMap<String, coditect_domain::Role>,
) -> serde_json::Value {
    roles
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str())))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The multi-statement identity operations, written once for both backends: each runs in
/// the caller's transaction (`conn`) at the backend's clock (`now`, and `expires` for what
/// it stores with a lifetime), so the decisions in them are made in one place. A backend
/// names it once with its database and time type (`Ops<Postgres, DateTime<Utc>>`,
/// `Ops<Sqlite, i64>`); what those must support is said once, on the `impl`.
pub struct Ops<DB, T>(std::marker::PhantomData<(DB, T)>);

mod ops {
    use sqlx::any::AnyQueryResult;
    use sqlx::{Database, Encode, Executor, IntoArguments, Type};
    use uuid::Uuid;

    use super::*;
    use crate::sql::{exec, scalar};
    use crate::{NewMail, NewSignup, StoreResult};

    impl<DB, T> Ops<DB, T>
    where
        DB: Database,
        for<'e> &'e mut DB::Connection: Executor<'e, Database = DB>,
        for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
        DB::QueryResult: Into<AnyQueryResult>,
        (bool,): for<'r> sqlx::FromRow<'r, DB::Row>,
        T: Copy + Send + Sync + for<'q> Encode<'q, DB> + Type<DB>,
        Uuid: for<'q> Encode<'q, DB> + Type<DB>,
        i64: for<'q> Encode<'q, DB> + Type<DB>,
        bool: for<'q> Encode<'q, DB> + Type<DB>,
        for<'q> &'q str: Encode<'q, DB> + Type<DB>,
        for<'q> &'q String: Encode<'q, DB> + Type<DB>,
    {
        /// Stores a sign-up and queues its verification mail, or only queues `existing` when
        /// the address has an account.
        pub async fn create_signup(
            conn: &mut DB::Connection,
            s: &NewSignup,
            verify: &NewMail,
            existing: &NewMail,
            now: T,
            expires: T,
        ) -> StoreResult<()> {
            exec(&mut *conn, PRUNE_SIGNUPS, (now,)).await?;
            let taken: bool = scalar(&mut *conn, EMAIL_TAKEN, (&s.email,)).await?;
            if taken {
                return crate::shared::enqueue_mail(&mut *conn, existing, now).await;
            }
            let args = (
                &s.token_hash,
                &s.email,
                &s.name,
                &s.password_hash,
                &s.organisation,
                now,
                expires,
            );
            exec(&mut *conn, INSERT_SIGNUP, args).await?;
            crate::shared::enqueue_mail(&mut *conn, verify, now).await
        }

        /// Stores a sign-in flow, pruning expired ones first.
        pub async fn create_sso_flow(
            conn: &mut DB::Connection,
            f: &crate::NewSsoFlow,
            now: T,
            expires: T,
        ) -> StoreResult<()> {
            exec(&mut *conn, PRUNE_SSO_FLOWS, (now,)).await?;
            let args = (
                &f.state_hash,
                &f.browser_hash,
                &f.provider_id,
                &f.nonce,
                &f.verifier_sealed,
                &f.return_to,
                now,
                expires,
            );
            exec(&mut *conn, INSERT_SSO_FLOW, args).await.map(drop)
        }

        /// Stores a sign-in challenge, pruning expired ones first.
        pub async fn create_challenge(
            conn: &mut DB::Connection,
            token_hash: &str,
            user_id: Uuid,
            purpose: &'static str,
            now: T,
            expires: T,
        ) -> StoreResult<()> {
            exec(&mut *conn, PRUNE_CHALLENGES, (now,)).await?;
            let args = (token_hash, user_id, purpose, now, expires);
            exec(&mut *conn, INSERT_CHALLENGE, args).await.map(drop)
        }

        /// Confirms a pending enrolment with the step of its first code: TOTP on, the user
        /// flagged, the recovery codes stored. False when nothing was pending.
        pub async fn confirm_totp(
            conn: &mut DB::Connection,
            user_id: Uuid,
            step: i64,
            recovery_hashes: &[String],
            now: T,
        ) -> StoreResult<bool> {
            if exec(&mut *conn, CONFIRM_TOTP, (user_id, step, now)).await? == 0 {
                return Ok(false);
            }
            exec(&mut *conn, SET_TOTP_FLAG, (user_id, true, now)).await?;
            Self::replace_codes(conn, user_id, recovery_hashes).await?;
            Ok(true)
        }

        /// Replaces every recovery code of a user.
        pub async fn replace_codes(
            conn: &mut DB::Connection,
            user_id: Uuid,
            hashes: &[String],
        ) -> StoreResult<()> {
            exec(&mut *conn, DELETE_RECOVERY_CODES, (user_id,)).await?;
            for h in hashes {
                exec(&mut *conn, INSERT_RECOVERY_CODE, (user_id, h)).await?;
            }
            Ok(())
        }

        /// Turns TOTP off: its secret and recovery codes gone, the user's flag cleared.
        pub async fn disable_totp(
            conn: &mut DB::Connection,
            user_id: Uuid,
            now: T,
        ) -> StoreResult<()> {
            exec(&mut *conn, DELETE_RECOVERY_CODES, (user_id,)).await?;
            exec(&mut *conn, DELETE_TOTP, (user_id,)).await?;
            exec(&mut *conn, SET_TOTP_FLAG, (user_id, false, now))
                .await
                .map(drop)
        }
    }
}
