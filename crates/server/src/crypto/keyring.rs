//! The key ring: the key that signs new tokens and the keys the JWKS publishes. Keys live
//! in the database so every process sharing it signs with the same key; each process
//! re-reads them every few seconds, so a `keys rotate` run anywhere takes effect everywhere.

use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{Duration, Utc};
use coditect_domain::Claims;
use coditect_storage::{KeyRotation, NewSigningKey, Store};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{json, Value};

use super::keys::{self, SigningAlg};
use super::pkcs11::{self, Hsm, TokenKey};
use super::prepared::{self, PreparedKey};
use super::Sealer;

/// How long a retired key stays published: the longest a token can live plus slack for
/// processes that have not yet reloaded the ring. A token lives at most the larger of the
/// largest heartbeat TTL (7 days) and the longest borrow (`MAX_BORROW_HOURS_RANGE`, 90 days).
pub const RETIRED_KEY_RETENTION: Duration = Duration::seconds(LONGEST_TOKEN_SECONDS + 3_600);

const LONGEST_TOKEN_SECONDS: i64 = {
    let ttl = *coditect_domain::input::HEARTBEAT_TTL_RANGE.end();
    let borrow = *coditect_domain::input::MAX_BORROW_HOURS_RANGE.end() * 3_600;
    if ttl > borrow {
        ttl
    } else {
        borrow
    }
};

struct Signer {
    kid: String,
    alg: SigningAlg,
    key: SigningKey,
}

/// How the current key signs.
enum SigningKey {
    /// ES256 and EdDSA: parsed once (see `prepared.rs`).
    Prepared(Box<PreparedKey>),
    /// RS256: through `jsonwebtoken`, on a blocking thread.
    Rsa(EncodingKey),
    /// Held by a PKCS#11 token, which signs on a blocking thread.
    Token(Arc<TokenKey>),
}

/// Signs session tokens and serves the public keys.
pub struct KeyRing {
    store: Arc<dyn Store>,
    sealer: Arc<Sealer>,
    hsm: Option<Arc<Hsm>>,
    signer: RwLock<Option<Arc<Signer>>>,
}

impl KeyRing {
    /// Loads the ring, creating the first key (of `alg`) if the database has none: in the
    /// PKCS#11 token when `hsm` is given, else sealed in the database.
    pub async fn load(
        store: Arc<dyn Store>,
        sealer: Arc<Sealer>,
        hsm: Option<Arc<Hsm>>,
        alg: SigningAlg,
    ) -> anyhow::Result<Self> {
        let ring = Self {
            store,
            sealer,
            hsm,
            signer: RwLock::new(None),
        };
        if !ring
            .store
            .signing_keys()
            .await?
            .iter()
            .any(|k| k.is_current)
        {
            let key = ring.new_key(alg).await?;
            ring.store
                .add_signing_key(key, KeyRotation::FirstKey)
                .await?;
        }
        ring.refresh().await?;
        Ok(ring)
    }

    async fn new_key(&self, alg: SigningAlg) -> anyhow::Result<NewSigningKey> {
        if let Some(hsm) = self.hsm.clone() {
            let k = tokio::task::spawn_blocking(move || hsm.generate(alg)).await??;
            return Ok(NewSigningKey {
                kid: k.kid,
                alg: alg.as_str().to_owned(),
                private_sealed: self.sealer.seal(&k.reference)?,
                public_jwk: k.public_jwk,
            });
        }
        let k = tokio::task::spawn_blocking(move || keys::generate(alg)).await??;
        Ok(NewSigningKey {
            kid: k.kid,
            alg: alg.as_str().to_owned(),
            private_sealed: self.sealer.seal(&B64.encode(&k.private_der))?,
            public_jwk: k.public_jwk,
        })
    }

    /// Creates a new key of `alg`, publishes it and makes it current; the old key stays
    /// in the JWKS until every token it signed has expired. Returns the new `kid`.
    pub async fn rotate(&self, alg: SigningAlg) -> anyhow::Result<String> {
        let key = self.new_key(alg).await?;
        let kid = key.kid.clone();
        self.store
            .add_signing_key(
                key,
                KeyRotation::Replace {
                    retire_old_until: Utc::now() + RETIRED_KEY_RETENTION,
                },
            )
            .await?;
        self.refresh().await?;
        Ok(kid)
    }

    /// Re-reads the current key from the database.
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let keys = self.store.signing_keys().await?;
        let current = keys
            .into_iter()
            .find(|k| k.is_current)
            .ok_or_else(|| anyhow::anyhow!("no current signing key"))?;
        let unchanged = self
            .signer
            .read()
            .expect("lock")
            .as_ref()
            .is_some_and(|s| s.kid == current.kid);
        if unchanged {
            return Ok(());
        }
        let alg = SigningAlg::parse(&current.alg)
            .ok_or_else(|| anyhow::anyhow!("unknown key algorithm {}", current.alg))?;
        let stored = self.sealer.open(&current.private_sealed)?;
        let key = if pkcs11::is_reference(&stored) {
            let hsm = self.hsm.clone().ok_or_else(|| {
                anyhow::anyhow!(
                    "signing key {} is held by a PKCS#11 token: set CODITECT_PKCS11_MODULE",
                    current.kid
                )
            })?;
            let key =
                tokio::task::spawn_blocking(move || TokenKey::find(hsm, &stored, alg)).await??;
            SigningKey::Token(Arc::new(key))
        } else {
            let der = B64.decode(stored)?;
            match PreparedKey::parse(alg, &der)? {
                Some(prepared) => SigningKey::Prepared(Box::new(prepared)),
                None => SigningKey::Rsa(alg.encoding_key(&der)),
            }
        };
        let signer = Signer {
            kid: current.kid.clone(),
            alg,
            key,
        };
        tracing::info!(kid = %current.kid, alg = alg.as_str(), "signing key loaded");
        *self.signer.write().expect("lock") = Some(Arc::new(signer));
        Ok(())
    }

    /// The `kid` of the key that signs new tokens.
    pub fn current_kid(&self) -> Option<String> {
        self.signer
            .read()
            .expect("lock")
            .as_ref()
            .map(|s| s.kid.clone())
    }

    /// Signs claims with the current key.
    pub async fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let signer = self
            .signer
            .read()
            .expect("lock")
            .clone()
            .ok_or_else(|| anyhow::anyhow!("no signing key"))?;
        let mut header = Header::new(signer.alg.jwt());
        header.kid = Some(signer.kid.clone());
        match &signer.key {
            SigningKey::Prepared(prepared) => prepared.sign(&header, claims),
            // RS256: a 4096-bit signature takes milliseconds, off the async threads.
            SigningKey::Rsa(key) => {
                let (key, claims) = (key.clone(), claims.clone());
                Ok(tokio::task::spawn_blocking(move || {
                    jsonwebtoken::encode(&header, &claims, &key)
                })
                .await??)
            }
            SigningKey::Token(key) => {
                let key = key.clone();
                let mut out = prepared::signing_input(&header, claims)?;
                tokio::task::spawn_blocking(move || {
                    let signature = key.sign(out.as_bytes())?;
                    prepared::append_signature(&mut out, &signature);
                    Ok(out)
                })
                .await?
            }
        }
    }

    /// The JWKS document, read from the database so that a key is published by every
    /// process the moment it exists, before any process signs with it.
    pub async fn jwks(&self) -> anyhow::Result<Value> {
        let keys: Vec<Value> = self
            .store
            .signing_keys()
            .await?
            .into_iter()
            .map(|k| k.public_jwk)
            .collect();
        Ok(json!({ "keys": keys }))
    }
}
