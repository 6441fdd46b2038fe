//! Identity: sign-in flows spent once by the browser that started them, tenants that
//! require single sign-on, invitations accepted by a verified e-mail, TOTP steps and
//! recovery codes accepted once, trusted issuers unique by issuer and audience.

use std::collections::BTreeMap;

use chrono::Duration;
use coditect_domain::{MemberRole, NewTrustedIssuer, Role};

use super::fixtures::{
    actor, assert_conflict, audited, email, invitation, mail, member, tenant, unique,
};
use crate::{ConflictField, NewSsoFlow, Store};

fn flow(state: &str, browser: &str, ttl: Duration) -> NewSsoFlow {
    NewSsoFlow {
        state_hash: state.into(),
        browser_hash: browser.into(),
        provider_id: "local".into(),
        nonce: "n-1".into(),
        verifier_sealed: "p1:verifier".into(),
        return_to: "/dashboard/licenses".into(),
        ttl,
    }
}

/// A flow is found only with its state and its browser, once, before it expires.
pub async fn sso_flows_are_spent_once_by_their_browser(store: &dyn Store) {
    let (state, browser) = (unique("state"), unique("browser"));
    store
        .create_sso_flow(flow(&state, &browser, Duration::minutes(10)))
        .await
        .unwrap();
    assert_eq!(
        store
            .spend_sso_flow(&state, "another browser")
            .await
            .unwrap(),
        None,
        "another browser's callback"
    );
    let got = store.spend_sso_flow(&state, &browser).await.unwrap();
    let got = got.expect("the starting browser finds its flow");
    assert_eq!(got.nonce, "n-1");
    assert_eq!(got.return_to, "/dashboard/licenses");
    assert_eq!(got.verifier_sealed, "p1:verifier");
    assert_eq!(
        store.spend_sso_flow(&state, &browser).await.unwrap(),
        None,
        "a replayed state"
    );
    let (old, b2) = (unique("state"), unique("browser"));
    store
        .create_sso_flow(flow(&old, &b2, Duration::milliseconds(1)))
        .await
        .unwrap();
    super::fixtures::sleep_ms(20).await;
    assert_eq!(
        store.spend_sso_flow(&old, &b2).await.unwrap(),
        None,
        "expired"
    );
}

/// Requiring SSO shows in the tenant and in its members' memberships, and is audited
/// only when it changes.
pub async fn sso_required_is_set_per_tenant_and_audited_on_change(store: &dyn Store) {
    let t = tenant(store).await;
    assert!(!t.sso_required);
    let u = member(store, t.id, &email(), MemberRole::Viewer).await;
    let before = audited(store, t.id, "tenant.update").await;
    let after = store.set_sso_required(t.id, true, &actor()).await.unwrap();
    assert!(after.expect("known tenant").sso_required);
    store.set_sso_required(t.id, true, &actor()).await.unwrap();
    assert_eq!(audited(store, t.id, "tenant.update").await, before + 1);
    let got = store.get_tenant(t.id).await.unwrap().unwrap();
    assert!(got.sso_required);
    let profile = store.user_profile(u.id).await.unwrap().unwrap();
    assert!(profile.must_use_sso());
    store.set_sso_required(t.id, false, &actor()).await.unwrap();
    let profile = store.user_profile(u.id).await.unwrap().unwrap();
    assert!(!profile.must_use_sso());
    let unknown = store
        .set_sso_required(uuid::Uuid::now_v7(), true, &actor())
        .await
        .unwrap();
    assert_eq!(unknown, None);
}

/// Signing in by SSO accepts every usable invitation of the address, creating a user
/// with no password, once.
pub async fn sso_accepts_every_usable_invitation_of_an_email(store: &dyn Store) {
    let (a, b) = (tenant(store).await, tenant(store).await);
    let who = email();
    for (t, role) in [(a.id, MemberRole::Admin), (b.id, MemberRole::Viewer)] {
        let inv = invitation(t, &who, role, &unique("inv"), Duration::days(1));
        store
            .create_invitation(inv, mail("invitation", &who), &actor())
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .accept_invitations_by_email(&email(), "Nobody")
            .await
            .unwrap(),
        None,
        "an address without invitations"
    );
    let u = store
        .accept_invitations_by_email(&who, "Sam")
        .await
        .unwrap();
    let u = u.expect("invited");
    let profile = store.user_profile(u.id).await.unwrap().unwrap();
    assert_eq!(profile.role_in(a.id), Some(MemberRole::Admin));
    assert_eq!(profile.role_in(b.id), Some(MemberRole::Viewer));
    let creds = store.user_credentials(&who).await.unwrap().unwrap();
    assert_eq!(creds.password_hash, coditect_domain::identity::NO_PASSWORD);
    assert_eq!(
        store
            .accept_invitations_by_email(&who, "Sam")
            .await
            .unwrap(),
        None,
        "the invitations are spent"
    );
    assert_eq!(audited(store, a.id, "member.add").await, 1);
}

/// An enrolment is replaced only while unconfirmed; a confirmed one turns TOTP on, and
/// each time step and recovery code is accepted once.
pub async fn totp_steps_and_recovery_codes_are_accepted_once(store: &dyn Store) {
    let t = tenant(store).await;
    let u = member(store, t.id, &email(), MemberRole::Admin).await;
    assert_eq!(store.totp(u.id).await.unwrap(), None);
    store.begin_totp(u.id, "p1:first").await.unwrap();
    store.begin_totp(u.id, "p1:second").await.unwrap();
    let rec = store.totp(u.id).await.unwrap().unwrap();
    assert_eq!(rec.secret_sealed, "p1:second");
    assert!(!rec.confirmed);
    assert!(
        !store.spend_totp_step(u.id, 10).await.unwrap(),
        "unconfirmed TOTP accepts no code"
    );
    let codes = vec!["hash-a".to_owned(), "hash-b".to_owned()];
    assert!(store.confirm_totp(u.id, 100, &codes).await.unwrap());
    assert!(
        !store.confirm_totp(u.id, 101, &codes).await.unwrap(),
        "confirmed once"
    );
    assert!(
        store
            .user_profile(u.id)
            .await
            .unwrap()
            .unwrap()
            .user
            .totp_enabled
    );
    assert_conflict(
        store.begin_totp(u.id, "p1:third").await,
        ConflictField::Totp,
    );
    assert!(!store.spend_totp_step(u.id, 100).await.unwrap(), "replayed");
    assert!(!store.spend_totp_step(u.id, 99).await.unwrap(), "older");
    assert!(store.spend_totp_step(u.id, 101).await.unwrap());
    assert!(store.spend_recovery_code(u.id, "hash-a").await.unwrap());
    assert!(!store.spend_recovery_code(u.id, "hash-a").await.unwrap());
    assert!(!store.spend_recovery_code(u.id, "hash-x").await.unwrap());
    store
        .replace_recovery_codes(u.id, &["hash-c".to_owned()])
        .await
        .unwrap();
    assert!(!store.spend_recovery_code(u.id, "hash-b").await.unwrap());
    assert!(store.spend_recovery_code(u.id, "hash-c").await.unwrap());
    store.disable_totp(u.id).await.unwrap();
    assert_eq!(store.totp(u.id).await.unwrap(), None);
    assert!(
        !store
            .user_profile(u.id)
            .await
            .unwrap()
            .unwrap()
            .user
            .totp_enabled
    );
    store.begin_totp(u.id, "p1:again").await.unwrap();
}

/// A sign-in challenge answers for its user and purpose until spent once or expired.
pub async fn sign_in_challenges_are_spent_once(store: &dyn Store) {
    use coditect_domain::identity::ChallengePurpose::{Enrolment, SecondFactor};
    let t = tenant(store).await;
    let u = member(store, t.id, &email(), MemberRole::Admin).await;
    let c = unique("challenge");
    store
        .create_sign_in_challenge(&c, u.id, SecondFactor, Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        store.sign_in_challenge(&c, SecondFactor).await.unwrap(),
        Some(u.id)
    );
    assert_eq!(store.sign_in_challenge(&c, Enrolment).await.unwrap(), None);
    assert_eq!(
        store
            .sign_in_challenge("unknown", SecondFactor)
            .await
            .unwrap(),
        None
    );
    assert!(store.spend_sign_in_challenge(&c).await.unwrap());
    assert!(!store.spend_sign_in_challenge(&c).await.unwrap());
    assert_eq!(
        store.sign_in_challenge(&c, SecondFactor).await.unwrap(),
        None
    );
    let old = unique("challenge");
    store
        .create_sign_in_challenge(&old, u.id, Enrolment, Duration::milliseconds(1))
        .await
        .unwrap();
    super::fixtures::sleep_ms(20).await;
    assert_eq!(
        store.sign_in_challenge(&old, Enrolment).await.unwrap(),
        None
    );
    assert!(!store.spend_sign_in_challenge(&old).await.unwrap());
}

fn signup(token: &str, email: &str) -> crate::NewSignup {
    crate::NewSignup {
        token_hash: token.into(),
        email: email.into(),
        name: "Pat".into(),
        password_hash: "hash of pat".into(),
        organisation: "Pat's Tools".into(),
        ttl: Duration::hours(24),
    }
}

/// A sign-up queues its mail; an address with an account gets the other mail and no
/// sign-up; the link makes the user, the tenant and the ownership once.
pub async fn signups_make_an_owner_and_a_tenant_once(store: &dyn Store) {
    use crate::OneTime;
    let who = email();
    let token = unique("signup");
    let before = store.outbox_counts().await.unwrap().pending;
    store
        .create_signup(
            signup(&token, &who),
            mail("signup", &who),
            mail("signup_exists", &who),
        )
        .await
        .unwrap();
    assert_eq!(store.outbox_counts().await.unwrap().pending, before + 1);
    let s1 = unique("sfx");
    let u = match store.complete_signup(&token, &s1).await.unwrap() {
        OneTime::Usable(u) => u,
        other => panic!("a fresh sign-up: {other:?}"),
    };
    assert!(matches!(
        store.complete_signup(&token, &s1).await.unwrap(),
        OneTime::Spent
    ));
    assert!(matches!(
        store.complete_signup("unknown", &s1).await.unwrap(),
        OneTime::Unknown
    ));
    let profile = store.user_profile(u.id).await.unwrap().unwrap();
    assert_eq!(profile.memberships.len(), 1);
    assert_eq!(profile.memberships[0].role, MemberRole::Owner);
    assert_eq!(profile.memberships[0].tenant_name, "Pat's Tools");
    let tenant_id = profile.memberships[0].tenant_id;
    assert_eq!(audited(store, tenant_id, "member.add").await, 1);
    assert_eq!(audited(store, tenant_id, "tenant.create").await, 1);
    let creds = store.user_credentials(&who).await.unwrap().unwrap();
    assert_eq!(creds.password_hash, "hash of pat");

    let again = unique("signup");
    store
        .create_signup(
            signup(&again, &who),
            mail("signup", &who),
            mail("signup_exists", &who),
        )
        .await
        .unwrap();
    assert!(
        matches!(
            store.complete_signup(&again, &unique("x")).await.unwrap(),
            OneTime::Unknown
        ),
        "an address with an account stores no sign-up"
    );
    let late = (unique("signup"), email());
    store
        .create_signup(
            signup(&late.0, &late.1),
            mail("signup", &late.1),
            mail("signup_exists", &late.1),
        )
        .await
        .unwrap();
    assert_conflict(
        store.complete_signup(&late.0, &s1).await,
        ConflictField::Slug,
    );
    let sso = store
        .sign_up_owner(
            &late.1,
            "Lee",
            super::fixtures::new_tenant("Lee's", &unique("lees")),
        )
        .await
        .unwrap();
    assert_conflict(
        store.complete_signup(&late.0, &unique("y")).await,
        ConflictField::Email,
    );
    let creds = store.user_credentials(&late.1).await.unwrap().unwrap();
    assert_eq!(creds.user.id, sso.id);
    assert_eq!(creds.password_hash, coditect_domain::identity::NO_PASSWORD);
}

fn trusted(tenant_id: uuid::Uuid, issuer: &str, audience: &str) -> NewTrustedIssuer {
    NewTrustedIssuer {
        tenant_id,
        issuer: issuer.into(),
        jwks_url: format!("{issuer}/jwks"),
        audience: audience.into(),
        role_claim: "groups".into(),
        roles: BTreeMap::from([
            ("ops".to_owned(), Role::Admin),
            ("*".into(), Role::ReadOnly),
        ]),
    }
}

/// Trusted issuers are a tenant's, unique by issuer and audience across tenants, and
/// found by issuer for authentication.
pub async fn trusted_issuers_are_unique_by_issuer_and_audience(store: &dyn Store) {
    let (a, b) = (tenant(store).await, tenant(store).await);
    let iss = format!("https://{}.example", unique("idp"));
    let made = store
        .create_trusted_issuer(trusted(a.id, &iss, "coditect"))
        .await
        .unwrap();
    assert_eq!(made.roles.get("ops"), Some(&Role::Admin));
    assert_conflict(
        store
            .create_trusted_issuer(trusted(b.id, &iss, "coditect"))
            .await,
        ConflictField::Issuer,
    );
    store
        .create_trusted_issuer(trusted(b.id, &iss, "other-audience"))
        .await
        .unwrap();
    assert_eq!(
        store.list_trusted_issuers(a.id).await.unwrap(),
        vec![made.clone()]
    );
    assert_eq!(store.trusted_issuers_named(&iss).await.unwrap().len(), 2);
    assert_eq!(
        store.delete_trusted_issuer(b.id, made.id).await.unwrap(),
        None,
        "another tenant's"
    );
    assert_eq!(
        store.delete_trusted_issuer(a.id, made.id).await.unwrap(),
        Some(made)
    );
    assert!(store.list_trusted_issuers(a.id).await.unwrap().is_empty());
}
