//! Random secrets and how they are hashed for lookup.

use base64::Engine;
use rand::Rng;
use ring::digest;

/// Lower-case hex SHA-256. License keys and admin tokens carry ≥128 random bits, so a
/// fast hash is the right lookup key (a password hash would only slow the hot path).
pub fn sha256_hex(data: &[u8]) -> String {
    let d = digest::digest(&digest::SHA256, data);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Crockford's base32 alphabet: no I, L, O or U, so a person cannot misread a key.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new license key: 30 symbols of 5 random bits (150 bits), in five groups of six,
/// e.g. `7K2M9Q-...`.
pub fn new_license_key() -> String {
    let mut rng = rand::rngs::OsRng;
    let groups: Vec<String> = (0..5)
        .map(|_| {
            (0..6)
                .map(|_| ALPHABET[rng.gen_range(0..32)] as char)
                .collect()
        })
        .collect();
    groups.join("-")
}

/// A new admin bearer token: `cdt_` and 256 random bits.
pub fn new_admin_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill(&mut bytes);
    format!(
        "cdt_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A new random secret of 256 bits, URL-safe base64 (43 characters): session ids,
/// invitation and password-reset tokens.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_keys_are_grouped_and_distinct() {
        let a = new_license_key();
        assert_eq!(a.len(), 34);
        assert_eq!(a.split('-').count(), 5);
        assert!(a.chars().all(|c| c == '-' || ALPHABET.contains(&(c as u8))));
        assert_ne!(a, new_license_key());
    }

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
