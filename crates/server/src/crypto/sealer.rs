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
        let key = master_key.map(|m| {
            let d = ring::digest::digest(&ring::digest::SHA256, m.as_bytes());
            let unbound = UnboundKey::new(&AES_256_GCM, d.as_ref()).expect("32-byte key");
            LessSafeKey::new(unbound)
        });
        Self {
            key,
            rng: SystemRandom::new(),
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
    }
}
