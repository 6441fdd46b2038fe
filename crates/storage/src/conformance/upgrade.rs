//! What a store must do with rows a previous release wrote, once its own code upgraded the
//! schema: the backends' upgrade tests (`tests/upgrade.rs`, `tests/pg_upgrade.rs`) fill an
//! old schema with these rows in their own dialect, then hand the upgraded store here.
//! Not a check of the suite: it needs a database the suite cannot make.

use coditect_domain::{Actor, MemberRole};
use uuid::Uuid;

use crate::{AcquireRequest, Store};

/// The tenant row the old release wrote: name and slug.
pub const OLD_TENANT: (&str, &str) = ("Old Co", "old-co");
/// The user row: e-mail and password hash.
pub const OLD_USER: (&str, &str) = ("old@example.com", "hash");
/// The license's key hash; it has two seats.
pub const OLD_KEY_HASH: &str = "old-key-hash";

/// Reads the old rows through the current store, takes a seat on the old license, and
/// uses what the upgrade added (a tenant's SSO requirement) on them.
pub async fn old_rows_serve(store: &dyn Store, tenant: Uuid, user: Uuid) {
    let t = store.get_tenant(tenant).await.unwrap().expect("the tenant");
    assert_eq!(
        (t.name.as_str(), t.slug.as_str(), t.sso_required),
        (OLD_TENANT.0, OLD_TENANT.1, false)
    );
    let creds = store
        .user_credentials(OLD_USER.0)
        .await
        .unwrap()
        .expect("the user");
    assert_eq!(creds.password_hash, OLD_USER.1);
    assert!(!creds.user.totp_enabled);
    let profile = store.user_profile(user).await.unwrap().unwrap();
    assert_eq!(profile.role_in(tenant), Some(MemberRole::Owner));
    assert!(!profile.must_use_sso());
    let l = store
        .find_license_by_key(OLD_KEY_HASH)
        .await
        .unwrap()
        .expect("the license");
    assert_eq!(l.license.seats_total, 2);
    let granted = store
        .acquire(AcquireRequest {
            key_hash: OLD_KEY_HASH.into(),
            hardware_id: "hw-after-upgrade".into(),
            user_email: None,
            client: None,
            waiter: None,
            borrow_hours: None,
        })
        .await
        .expect("an acquire after the upgrade");
    assert!(granted.created);
    assert_eq!(granted.seats_used, 1);
    store
        .set_sso_required(tenant, true, &Actor::user(&creds.user))
        .await
        .unwrap();
    assert!(store
        .user_profile(user)
        .await
        .unwrap()
        .unwrap()
        .must_use_sso());
}
