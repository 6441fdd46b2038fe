//! Signing keys: the first key of a fresh database, rotation, retention of retired keys, and
//! a kid stored twice.

use chrono::Duration;
use futures::future::join_all;
use serde_json::json;

use crate::{ConflictField, KeyRotation, NewSigningKey, SigningKeyRecord, Store, StoreError};

fn key(kid: &str) -> NewSigningKey {
    NewSigningKey {
        kid: kid.into(),
        alg: "ES256".into(),
        private_sealed: format!("sealed private key {kid}"),
        public_jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid}),
    }
}

fn by_kid(mut keys: Vec<SigningKeyRecord>) -> Vec<SigningKeyRecord> {
    keys.sort_by(|a, b| a.kid.cmp(&b.kid));
    keys
}

/// Without `make_current` a key is stored only when there is no current key yet (a first
/// start), and becomes current; every field reads back as stored.
pub async fn first_key_is_stored_only_without_a_current_one(store: &dyn Store) {
    assert!(store.signing_keys().await.unwrap().is_empty());
    store
        .add_signing_key(key("k1"), KeyRotation::FirstKey)
        .await
        .unwrap();
    store
        .add_signing_key(key("k2"), KeyRotation::FirstKey)
        .await
        .unwrap();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let k = &keys[0];
    assert_eq!(
        (k.kid.as_str(), k.alg.as_str(), k.is_current, k.retain_until),
        ("k1", "ES256", true, None)
    );
    assert_eq!(
        (k.private_sealed.as_str(), &k.public_jwk),
        ("sealed private key k1", &key("k1").public_jwk)
    );
}

/// With `make_current` the new key becomes the one current key and the previous one is
/// retired, still listed until `retain_until`; a key retired into the past is no longer
/// listed.
pub async fn rotation_retires_the_old_key_until_its_retention(store: &dyn Store) {
    let now = store.now().await.unwrap();
    store
        .add_signing_key(key("k1"), KeyRotation::FirstKey)
        .await
        .unwrap();
    let keep_until = now + Duration::hours(2);
    store
        .add_signing_key(
            key("k2"),
            KeyRotation::Replace {
                retire_old_until: keep_until,
            },
        )
        .await
        .unwrap();
    let keys = by_kid(store.signing_keys().await.unwrap());
    let got: Vec<_> = keys
        .iter()
        .map(|k| (k.kid.as_str(), k.is_current, k.retain_until))
        .collect();
    assert_eq!(
        got,
        vec![("k1", false, Some(keep_until)), ("k2", true, None)]
    );
    assert!(keys[1].created_at >= keys[0].created_at);
    store
        .add_signing_key(
            key("k3"),
            KeyRotation::Replace {
                retire_old_until: now - Duration::seconds(1),
            },
        )
        .await
        .unwrap();
    let keys = by_kid(store.signing_keys().await.unwrap());
    let got: Vec<_> = keys
        .iter()
        .map(|k| (k.kid.as_str(), k.is_current))
        .collect();
    assert_eq!(
        got,
        vec![("k1", false), ("k3", true)],
        "k2 retired into the past"
    );
}

/// Processes starting at once on a database without keys store exactly one between them.
pub async fn concurrent_first_starts_store_one_key(store: &dyn Store) {
    let adds = join_all(
        (0..6).map(|i| store.add_signing_key(key(&format!("kid-{i}")), KeyRotation::FirstKey)),
    )
    .await;
    for a in adds {
        a.expect("add a first key");
    }
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].is_current);
}

/// A `kid` stored twice is a conflict on the kid, on every backend, and the first key
/// stays as it was.
pub async fn a_stored_kid_is_a_conflict(store: &dyn Store) {
    store
        .add_signing_key(key("k1"), KeyRotation::FirstKey)
        .await
        .unwrap();
    let later = store.now().await.unwrap() + Duration::hours(1);
    let again = store
        .add_signing_key(
            key("k1"),
            KeyRotation::Replace {
                retire_old_until: later,
            },
        )
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict(ConflictField::Kid))),
        "{again:?}"
    );
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| (k.kid.as_str(), k.is_current, k.retain_until))
            .collect::<Vec<_>>(),
        vec![("k1", true, None)]
    );
}

/// The master-key rotation: every sealed value of every table passes through the reseal
/// function once and is written back; a second run finds nothing left to do; a failing
/// value rolls the whole run back, values re-sealed before it included.
pub async fn sealed_secrets_are_all_resealed(store: &dyn Store) {
    use crate::NewSsoFlow;
    store
        .add_signing_key(key("k1"), KeyRotation::FirstKey)
        .await
        .unwrap();
    let t = super::fixtures::tenant(store).await;
    let (lic, _) = super::fixtures::license(store, t.id, 1, 60).await;
    store
        .create_webhook(super::webhooks::endpoint(Some(t.id), &["license.created"]))
        .await
        .unwrap();
    let flow = NewSsoFlow {
        state_hash: "state-1".into(),
        browser_hash: "browser-1".into(),
        provider_id: "local".into(),
        nonce: "n".into(),
        verifier_sealed: "verifier".into(),
        return_to: "/".into(),
        ttl: Duration::minutes(10),
    };
    store.create_sso_flow(flow).await.unwrap();

    let failing = |v: &str| {
        anyhow::ensure!(!v.starts_with("sealed key-hash"), "cannot open");
        Ok(Some(format!("new:{v}")))
    };
    let err = store.reseal_all(&failing).await.unwrap_err();
    assert!(err.to_string().contains("licenses.key_sealed"), "{err}");
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(
        keys[0].private_sealed, "sealed private key k1",
        "rolled back"
    );

    let reseal = |v: &str| Ok((!v.starts_with("new:")).then(|| format!("new:{v}")));
    let report = store.reseal_all(&reseal).await.unwrap();
    assert!(report.resealed() >= 4, "{report:?}");
    assert_eq!(report.unchanged(), 0, "{report:?}");
    let tables: Vec<_> = report.columns.iter().map(|c| c.0).collect();
    assert_eq!(tables.len(), crate::shared::sealed::SEALED_COLUMNS.len());
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys[0].private_sealed, "new:sealed private key k1");
    let got = store.get_license(t.id, lic.id).await.unwrap().unwrap();
    assert_eq!(got.license.key_sealed, format!("new:{}", lic.key_sealed));
    let hooks = report.columns.iter().find(|c| c.0 == "webhook_endpoints");
    assert_eq!(
        hooks.map(|c| c.2),
        Some(1),
        "the endpoint's secret: {report:?}"
    );
    let got = store.spend_sso_flow("state-1", "browser-1").await.unwrap();
    assert_eq!(got.unwrap().verifier_sealed, "new:verifier");

    let again = store.reseal_all(&reseal).await.unwrap();
    assert_eq!(again.resealed(), 0, "{again:?}");
    assert_eq!(again.unchanged(), report.resealed());
}
