//! What the PostgreSQL store's own race and index tests set up the same way: a tenant of
//! its own with one license, through the store as the server would make them.

use coditect_domain::input::{Name, Slug};
use coditect_domain::{Actor, ActorType, NewLicense, NewTenant};
use coditect_storage::prelude::*;
use coditect_storage::AcquireRequest;
use serde_json::Map;
use uuid::Uuid;

/// The superadmin these tests act as.
pub fn actor() -> Actor {
    Actor {
        actor_type: ActorType::Superadmin,
        id: None,
        name: Some("storage-postgres test".into()),
    }
}

/// A new tenant (slug `<prefix>-<random>`) with one license of `seats` seats and a TTL of
/// `ttl_seconds`: the license key's hash.
pub async fn one_license(store: &dyn Store, prefix: &str, seats: i64, ttl_seconds: i64) -> String {
    let slug = format!("{prefix}-{}", &Uuid::new_v4().simple().to_string()[..12]);
    let tenant = store
        .create_tenant(
            NewTenant {
                name: Name::parse(&slug).unwrap(),
                slug: Slug::parse(&slug).unwrap(),
            },
            &actor(),
        )
        .await
        .unwrap();
    let key_hash = format!("key-{slug}");
    store
        .create_license(
            NewLicense {
                tenant_id: tenant.id,
                name: None,
                key_sealed: "sealed".into(),
                key_hash: key_hash.clone(),
                key_hint: "ABCD".into(),
                seats_total: seats,
                expires_at: None,
                heartbeat_ttl_seconds: ttl_seconds,
                entitlements: vec![],
                metadata: Map::new(),
                is_active: true,
                max_borrow_hours: 0,
                product_id: None,
                subscription: None,
            },
            &actor(),
        )
        .await
        .unwrap();
    key_hash
}

/// A seat of the key's license for this hardware: the session's id.
pub async fn take_seat(store: &dyn Store, key_hash: &str, hardware_id: &str) -> Uuid {
    store
        .acquire(AcquireRequest {
            key_hash: key_hash.into(),
            hardware_id: hardware_id.into(),
            user_email: None,
            client: None,
            borrow_hours: None,
            waiter: None,
        })
        .await
        .unwrap()
        .session
        .id
}
