//! TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps) through the `totp-rs` crate, and the
//! recovery codes that stand in for a lost authenticator. A code is accepted for the
//! current step and one step either side (clock drift); which step matched is returned so
//! the store can refuse that step, and every earlier one, from then on.

use rand::Rng;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::crypto::sha256_hex;

/// Seconds per step.
const STEP: u64 = 30;
/// Steps accepted either side of now.
const SKEW: u16 = 1;
/// Recovery codes per set.
pub const RECOVERY_CODES: usize = 10;
/// The name authenticator apps show.
const ISSUER: &str = "CODITECT";

/// A new 160-bit secret, base32 (what authenticator apps are given).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill(&mut bytes);
    Secret::from(bytes.to_vec()).to_base32()
}

fn totp(secret_b32: &str, account: &str) -> anyhow::Result<Totp> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|e| anyhow::anyhow!("stored TOTP secret is malformed: {e:?}"))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(SKEW)
        .with_step_duration(STEP)
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| anyhow::anyhow!("TOTP secret refused: {e:?}"))
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(secret_b32: &str, email: &str) -> anyhow::Result<String> {
    totp(secret_b32, email)?
        .to_url()
        .map_err(|e| anyhow::anyhow!("no otpauth URI: {e:?}"))
}

/// The time step a code belongs to, if it is the code of the current step or one next
/// to it at `unix_seconds`. Codes are compared without early exit.
pub fn matching_step(
    secret_b32: &str,
    code: &str,
    unix_seconds: u64,
) -> anyhow::Result<Option<i64>> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let step = totp(secret_b32, "-")?.check(code, unix_seconds);
    Ok(step.and_then(|s| i64::try_from(s).ok()))
}

/// A new set of recovery codes, as shown once: `xxxxx-xxxxx` of 50 random bits each.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let c: String = (0..10)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &c[..5], &c[5..])
        })
        .collect()
}

/// How a recovery code is stored and looked up: SHA-256 of its letters, lower-cased,
/// without dashes or spaces (so `ABCDE-FGHIJ` and `abcdefghij` are the same code).
pub fn recovery_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    sha256_hex(format!("coditect-recovery:{normal}").as_bytes())
}

/// The code of a secret at a moment (tests and the benchmark compute codes with it).
pub fn code_at(secret_b32: &str, unix_seconds: u64) -> anyhow::Result<String> {
    Ok(totp(secret_b32, "-")?.generate(unix_seconds).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_6238_vector_matches_and_neighbouring_steps_are_accepted() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", T = 59 s: 94287082
        // (8 digits); its last six digits are the 6-digit code.
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert_eq!(matching_step(&secret, "287082", 59).unwrap(), Some(1));
        assert_eq!(matching_step(&secret, "287082", 59 + 30).unwrap(), Some(1));
        assert_eq!(matching_step(&secret, "287082", 59 + 90).unwrap(), None);
        assert_eq!(matching_step(&secret, "28708", 59).unwrap(), None);
        assert_eq!(matching_step(&secret, "abcdef", 59).unwrap(), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_without_dashes_or_case() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let set: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(set.len(), RECOVERY_CODES);
        assert!(codes
            .iter()
            .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        assert_eq!(
            recovery_code_hash("ABCDE-FGHIJ"),
            recovery_code_hash("abcdefghij")
        );
        assert_ne!(
            recovery_code_hash("abcdefghij"),
            recovery_code_hash("abcdefghik")
        );
        let secret = new_secret();
        assert!(otpauth_uri(&secret, "a@b.example")
            .unwrap()
            .starts_with("otpauth://totp/CODITECT:a%40b.example?secret="));
    }
}
