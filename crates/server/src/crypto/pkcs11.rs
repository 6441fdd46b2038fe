//! Token signing keys that never leave a hardware security module, over PKCS#11 (the
//! `cryptoki` crate): a physical HSM, a YubiHSM, AWS CloudHSM or Google Cloud KMS through
//! their PKCS#11 libraries, SoftHSM2 in tests.
//!
//! Why: a vendor whose signing key leaks can have every license forged. With
//! `CODITECT_PKCS11_MODULE` set, new keys (the first one, and each `keys rotate`) are
//! generated inside the token as sensitive, non-extractable objects; the database keeps
//! only their public JWK and a reference (`pkcs11:<CKA_ID in hex>`, sealed like any
//! private key), so the JWKS, rotation and retention work exactly as for keys at rest.

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Function, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use serde_json::json;

use super::keys::{jwk_with_kid, SigningAlg};

/// Where the token is and how to log in to it.
#[derive(Clone, Debug)]
pub struct Pkcs11Config {
    /// The PKCS#11 library (`CODITECT_PKCS11_MODULE`), e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// The token's label (`CODITECT_PKCS11_TOKEN`).
    pub token: String,
    /// A file holding the user PIN (`CODITECT_PKCS11_PIN_FILE`): a PIN in the environment
    /// would show in `/proc/<pid>/environ` and in crash reports.
    pub pin_file: PathBuf,
}

/// How the stored (sealed) text of a key held by the token begins.
const REFERENCE_PREFIX: &str = "pkcs11:";

/// DER of the P-256 curve's OID, the `CKA_EC_PARAMS` of an ES256 key.
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// A logged-in token. PKCS#11 logs in the application, not a session, and keeps the login
/// while any session is open: `anchor` is that session, and `idle` the sessions signing
/// threads take and give back (a session is one thread's at a time).
pub struct Hsm {
    ctx: Pkcs11,
    slot: Slot,
    pin: AuthPin,
    anchor: Mutex<Option<Session>>,
    idle: Mutex<Vec<Session>>,
}

impl std::fmt::Debug for Hsm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hsm(slot {})", self.slot)
    }
}

/// A key pair just generated in the token.
pub struct HsmKey {
    /// RFC 7638 thumbprint, as for keys at rest.
    pub kid: String,
    /// The public JWK with `kid`, `alg` and `use`.
    pub public_jwk: serde_json::Value,
    /// What the database stores (sealed) in place of the private key.
    pub reference: String,
}

impl Hsm {
    /// Loads the library, finds the token by its label and logs in.
    pub fn open(config: &Pkcs11Config) -> anyhow::Result<Self> {
        let pin = std::fs::read_to_string(&config.pin_file).with_context(|| {
            format!(
                "reading CODITECT_PKCS11_PIN_FILE {}",
                config.pin_file.display()
            )
        })?;
        let pin = AuthPin::new(pin.trim_end_matches(['\r', '\n']).to_owned().into());
        let ctx = Pkcs11::new(&config.module)
            .with_context(|| format!("loading PKCS#11 module {}", config.module.display()))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(())
            | Err(Error::Pkcs11(RvError::CryptokiAlreadyInitialized, Function::Initialize)) => {}
            Err(e) => return Err(e).context("initializing the PKCS#11 module"),
        }
        let slot = ctx
            .get_slots_with_initialized_token()?
            .into_iter()
            .find(|s| {
                ctx.get_token_info(*s)
                    .is_ok_and(|t| t.label().trim_end() == config.token)
            })
            .with_context(|| format!("no PKCS#11 token labelled {:?}", config.token))?;
        let hsm = Self {
            ctx,
            slot,
            pin,
            anchor: Mutex::new(None),
            idle: Mutex::new(Vec::new()),
        };
        let anchor = hsm
            .new_session()
            .context("logging in to the PKCS#11 token")?;
        *hsm.anchor.lock().expect("lock") = Some(anchor);
        tracing::info!(token = %config.token, "signing keys are held by the PKCS#11 token");
        Ok(hsm)
    }

    fn new_session(&self) -> cryptoki::error::Result<Session> {
        let s = self.ctx.open_rw_session(self.slot)?;
        match s.login(UserType::User, Some(&self.pin)) {
            Ok(()) | Err(Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(s),
            Err(e) => Err(e),
        }
    }

    /// Runs `f` on an idle session (or a new one), giving it back afterwards unless the
    /// call failed: a failed session may be broken (the device restarted), and the next
    /// call opens a fresh one, logging in again.
    fn with_session<T>(
        &self,
        f: impl Fn(&Session) -> cryptoki::error::Result<T>,
    ) -> anyhow::Result<T> {
        let session = match self.idle.lock().expect("lock").pop() {
            Some(s) => s,
            None => self.new_session()?,
        };
        match f(&session) {
            Ok(v) => {
                self.idle.lock().expect("lock").push(session);
                Ok(v)
            }
            Err(first) => {
                drop(session);
                let fresh = self.new_session().context(first.to_string())?;
                let v = f(&fresh)?;
                self.idle.lock().expect("lock").push(fresh);
                Ok(v)
            }
        }
    }

    /// Generates a key pair of `alg` in the token (ES256 or RS256; blocking: RSA-4096
    /// takes seconds) and returns its public JWK and reference.
    pub fn generate(&self, alg: SigningAlg) -> anyhow::Result<HsmKey> {
        let id: [u8; 16] = rand::random();
        let label = format!("coditect-signing-{}", hex::encode(id));
        let common = |extra: Vec<Attribute>| {
            let mut t = vec![
                Attribute::Token(true),
                Attribute::Id(id.to_vec()),
                Attribute::Label(label.as_bytes().to_vec()),
            ];
            t.extend(extra);
            t
        };
        let private = common(vec![
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            // Signing only: a module's defaults may also allow decrypting and unwrapping.
            Attribute::Decrypt(false),
            Attribute::Unwrap(false),
            Attribute::Derive(false),
        ]);
        let (mechanism, public) = match alg {
            SigningAlg::Es256 => (
                Mechanism::EccKeyPairGen,
                common(vec![
                    Attribute::Verify(true),
                    Attribute::EcParams(P256_PARAMS.to_vec()),
                ]),
            ),
            SigningAlg::Rs256 => (
                Mechanism::RsaPkcsKeyPairGen,
                common(vec![
                    Attribute::Verify(true),
                    Attribute::ModulusBits(4096.into()),
                    Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
                ]),
            ),
            SigningAlg::EdDsa => {
                anyhow::bail!("keys in a PKCS#11 token are ES256 or RS256, not EdDSA")
            }
        };
        let (pub_handle, _) = self
            .with_session(|s| s.generate_key_pair(&mechanism, &public, &private))
            .context("generating a key pair in the PKCS#11 token")?;
        let members = self.with_session(|s| public_members(s, pub_handle, alg))??;
        let (kid, public_jwk) = jwk_with_kid(members, alg)?;
        Ok(HsmKey {
            kid,
            public_jwk,
            reference: format!("{REFERENCE_PREFIX}{}", hex::encode(id)),
        })
    }

    /// The token's private key a stored reference names, ready to sign.
    pub fn key(&self, reference: &str, alg: SigningAlg) -> anyhow::Result<ObjectHandle> {
        let id = reference
            .strip_prefix(REFERENCE_PREFIX)
            .and_then(unhex)
            .context("not a PKCS#11 key reference")?;
        let template = [
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(match alg {
                SigningAlg::Rs256 => KeyType::RSA,
                _ => KeyType::EC,
            }),
            Attribute::Id(id),
        ];
        let found = self.with_session(|s| s.find_objects(&template))?;
        match found.as_slice() {
            [one] => Ok(*one),
            [] => anyhow::bail!("the PKCS#11 token has no private key {reference}"),
            _ => anyhow::bail!("the PKCS#11 token has several private keys {reference}"),
        }
    }

    /// The JWS signature of `input` (`base64url(header).base64url(claims)`) with `key`:
    /// ES256 signs the SHA-256 digest (`CKM_ECDSA` gives r || s, the JWS form), RS256
    /// the input (`CKM_SHA256_RSA_PKCS`). Blocking.
    pub fn sign(
        &self,
        key: ObjectHandle,
        alg: SigningAlg,
        input: &[u8],
    ) -> anyhow::Result<Vec<u8>> {
        match alg {
            SigningAlg::Es256 => {
                let digest = ring::digest::digest(&ring::digest::SHA256, input);
                let sig = self.with_session(|s| s.sign(&Mechanism::Ecdsa, key, digest.as_ref()))?;
                anyhow::ensure!(
                    sig.len() == 64,
                    "the token gave a {}-byte ECDSA signature",
                    sig.len()
                );
                Ok(sig)
            }
            SigningAlg::Rs256 => {
                Ok(self.with_session(|s| s.sign(&Mechanism::Sha256RsaPkcs, key, input))?)
            }
            SigningAlg::EdDsa => anyhow::bail!("EdDSA keys are not held by the token"),
        }
    }
}

/// A private key of the token, ready to sign. The object handle is found once; when a
/// signature fails (a network HSM that restarted forgets its handles), the key is looked
/// up again by its reference and the signature tried once more.
pub struct TokenKey {
    hsm: std::sync::Arc<Hsm>,
    reference: String,
    alg: SigningAlg,
    handle: Mutex<ObjectHandle>,
}

impl TokenKey {
    /// Finds the key a stored reference names (blocking).
    pub fn find(
        hsm: std::sync::Arc<Hsm>,
        reference: &str,
        alg: SigningAlg,
    ) -> anyhow::Result<Self> {
        let handle = hsm.key(reference, alg)?;
        Ok(Self {
            hsm,
            reference: reference.to_owned(),
            alg,
            handle: Mutex::new(handle),
        })
    }

    /// The JWS signature of `input` (blocking).
    pub fn sign(&self, input: &[u8]) -> anyhow::Result<Vec<u8>> {
        let handle = *self.handle.lock().expect("lock");
        match self.hsm.sign(handle, self.alg, input) {
            Ok(sig) => Ok(sig),
            Err(first) => {
                let fresh = self.hsm.key(&self.reference, self.alg).with_context(|| {
                    format!("signing failed ({first:#}); finding the key again")
                })?;
                *self.handle.lock().expect("lock") = fresh;
                self.hsm.sign(fresh, self.alg, input)
            }
        }
    }
}

/// Whether a stored (unsealed) private key is a reference to a token's key.
pub fn is_reference(stored: &str) -> bool {
    stored.starts_with(REFERENCE_PREFIX)
}

/// The RFC 7638 members of a public key object, in canonical order.
fn public_members(
    s: &Session,
    key: ObjectHandle,
    alg: SigningAlg,
) -> cryptoki::error::Result<anyhow::Result<serde_json::Value>> {
    let wanted: &[AttributeType] = match alg {
        SigningAlg::Rs256 => &[AttributeType::Modulus, AttributeType::PublicExponent],
        _ => &[AttributeType::EcPoint],
    };
    let attrs = s.get_attributes(key, wanted)?;
    let (mut n, mut e, mut point) = (None, None, None);
    for a in attrs {
        match a {
            Attribute::Modulus(v) => n = Some(v),
            Attribute::PublicExponent(v) => e = Some(v),
            Attribute::EcPoint(v) => point = Some(v),
            _ => {}
        }
    }
    Ok(match alg {
        SigningAlg::Rs256 => match (n, e) {
            (Some(n), Some(e)) => Ok(json!({"e": B64URL.encode(e), "kty": "RSA", "n": B64URL.encode(n)})),
            _ => Err(anyhow::anyhow!("the token did not give the RSA public key")),
        },
        _ => point
            .as_deref()
            .and_then(uncompressed_point)
            .map(|p| {
                json!({"crv": "P-256", "kty": "EC", "x": B64URL.encode(&p[1..33]), "y": B64URL.encode(&p[33..])})
            })
            .ok_or_else(|| anyhow::anyhow!("the token did not give a P-256 public point")),
    })
}

/// `CKA_EC_POINT` is the DER OCTET STRING of the uncompressed point (`04 41 04 x y`);
/// some modules give the bare point.
fn uncompressed_point(v: &[u8]) -> Option<&[u8]> {
    let p = match v {
        [0x04, 0x41, rest @ ..] if rest.len() == 65 => rest,
        p if p.len() == 65 => p,
        _ => return None,
    };
    (p[0] == 0x04).then_some(p)
}

/// The `CKA_ID` of a reference: hex, not empty.
fn unhex(h: &str) -> Option<Vec<u8>> {
    hex::decode(h).ok().filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_points_are_read_wrapped_or_bare() {
        let mut bare = vec![0x04];
        bare.extend([7u8; 64]);
        let mut wrapped = vec![0x04, 0x41];
        wrapped.extend(&bare);
        assert_eq!(uncompressed_point(&wrapped), Some(bare.as_slice()));
        assert_eq!(uncompressed_point(&bare), Some(bare.as_slice()));
        assert_eq!(uncompressed_point(&bare[..64]), None);
        let mut compressed = bare.clone();
        compressed[0] = 0x02;
        assert_eq!(uncompressed_point(&compressed), None);
    }

    #[test]
    fn references_round_trip_their_id() {
        assert_eq!(
            unhex(&hex::encode([0, 1, 0xab, 0xff])),
            Some(vec![0, 1, 0xab, 0xff])
        );
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex(""), None);
        assert!(is_reference("pkcs11:00ff"));
        assert!(!is_reference(
            "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg"
        ));
    }
}
