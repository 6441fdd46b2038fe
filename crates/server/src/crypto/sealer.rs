//! Sealing of secrets at rest (signing keys, license keys). With `CODITECT_MASTER_KEY`
//! set, values are encrypted with AES-256-GCM under a key derived from it; without it
//! they are stored as they are, marked so a later start with a master key still reads them.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

const PLAIN: &str = "p1:";
const SEALED: &str = "e1:";

/// Seals and opens secrets stored in the database.
pub struct Sealer {
    key: Option<LessSafeKey>,
    /// The master key before a rotation (`CODITECT_MASTER_KEY_PREVIOUS`): opens what
    /// servers not yet restarted sealed with it, never seals.
    previous: Option<LessSafeKey>,
    rng: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer(encrypting: {})", self.key.is_some())
    }
}

impl Sealer {
    /// A sealer for the given master key (any high-entropy string; its SHA-256 is the
    /// AES key), or a pass-through one.
    pub fn new(master_key: Option<&str>) -> Self {
        Self::with_previous(master_key, None)
    }

    /// A sealer that also opens values sealed under `previous`, during a master-key
    /// rotation (`keys rewrap`). AES-GCM's tag tells which key a value is under.
    pub fn with_previous(master_key: Option<&str>, previous: Option<&str>) -> Self {
        Self {
            key: master_key.map(aes_key),
            previous: previous.map(aes_key),
            rng: SystemRandom::new(),
        }
    }

    /// Whether `stored` is kept as this sealer would keep it now: under its own master
    /// key (not the previous one), or in clear by a pass-through sealer.
    pub fn is_current(&self, stored: &str) -> bool {
        match (&self.key, stored.strip_prefix(SEALED)) {
            (None, _) => stored.starts_with(PLAIN),
            (Some(_), None) => false,
            (Some(key), Some(b)) => open_with(key, b).is_ok(),
        }
    }

    /// Seals a secret for storage.
    pub fn seal(&self, plain: &str) -> anyhow::Result<String> {
        let Some(key) = &self.key else {
            return Ok(format!("{PLAIN}{plain}"));
        };
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("no randomness"))?;
        let mut buf = plain.as_bytes().to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{SEALED}{}", B64.encode(out)))
    }

    /// Opens a stored secret.
    pub fn open(&self, stored: &str) -> anyhow::Result<String> {
        if let Some(p) = stored.strip_prefix(PLAIN) {
            return Ok(p.to_owned());
        }
        let Some(b) = stored.strip_prefix(SEALED) else {
            anyhow::bail!("stored secret has an unknown format");
        };
        let key = self
            .key
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("secrets are encrypted: set CODITECT_MASTER_KEY"))?;
        match (open_with(key, b), &self.previous) {
            (Ok(plain), _) => Ok(plain),
            (Err(_), Some(previous)) => open_with(previous, b),
            (Err(e), None) => Err(e),
        }
    }
}

/// The AES-256 key of a master key: its SHA-256.
fn aes_key(master_key: &str) -> LessSafeKey {
    let d = ring::digest::digest(&ring::digest::SHA256, master_key.as_bytes());
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, d.as_ref()).expect("32-byte key"))
}

/// Opens the base64 text after the `e1:` prefix.
fn open_with(key: &LessSafeKey, b: &str) -> anyhow::Result<String> {
    let raw = B64.decode(b)?;
    anyhow::ensure!(raw.len() > NONCE_LEN, "sealed secret is truncated");
    let (nonce, ct) = raw.split_at(NONCE_LEN);
    let nonce =
        Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow::anyhow!("bad nonce"))?;
    let mut buf = ct.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::empty(), &mut buf)
        .map_err(|_| anyhow::anyhow!("cannot decrypt: wrong CODITECT_MASTER_KEY?"))?;
    Ok(String::from_utf8(plain.to_vec())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_round_trip_and_hide_the_secret() {
        let s = Sealer::new(Some("master"));
        let sealed = s.seal("ABC-123").unwrap();
        assert!(sealed.starts_with(SEALED) && !sealed.contains("ABC-123"));
        assert_eq!(s.open(&sealed).unwrap(), "ABC-123");
        assert!(Sealer::new(Some("other")).open(&sealed).is_err());
        assert!(Sealer::new(None).open(&sealed).is_err());
    }

    #[test]
    fn plain_values_open_with_or_without_master_key() {
        let stored = Sealer::new(None).seal("k").unwrap();
        assert_eq!(Sealer::new(Some("m")).open(&stored).unwrap(), "k");
        assert!(Sealer::new(None).is_current(&stored));
        assert!(!Sealer::new(Some("m")).is_current(&stored), "to be sealed");
    }

    #[test]
    fn a_rotation_opens_both_keys_and_seals_with_the_new_one() {
        let old = Sealer::new(Some("old")).seal("secret").unwrap();
        let both = Sealer::with_previous(Some("new"), Some("old"));
        assert_eq!(both.open(&old).unwrap(), "secret");
        assert!(!both.is_current(&old));
        let new = both.seal("secret").unwrap();
        assert!(both.is_current(&new));
        assert_eq!(Sealer::new(Some("new")).open(&new).unwrap(), "secret");
        assert!(Sealer::new(Some("old")).open(&new).is_err());
        assert!(Sealer::with_previous(Some("new"), Some("other"))
            .open(&old)
            .is_err());
    }
}
