//! Stripe's webhook signature scheme, used both ways: to verify what Stripe sends, and
//! (issue of outgoing webhooks and the `stripe sign-event` command) to sign with the same
//! scheme so the same verifying code works. The header is `t=<unix>,v1=<hex>[,v1=…]`;
//! `v1` is HMAC-SHA256(secret, "<t>.<raw body>"), compared in constant time by ring.

use ring::hmac;

/// Why a signature was refused (logged; the client only sees `invalid_signature`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Stripe-Signature` header, or one without `t` or `v1`.
    #[error("the signature header is missing or malformed")]
    Malformed,
    /// `t` is more than the tolerance away from now.
    #[error("the signature timestamp is outside the tolerance")]
    Stale,
    /// No `v1` matches any configured secret.
    #[error("no signature matches a configured secret")]
    Mismatch,
}

fn key(secret: &str) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes())
}

fn signed_payload(t: i64, body: &[u8]) -> Vec<u8> {
    let mut msg = format!("{t}.").into_bytes();
    msg.extend_from_slice(body);
    msg
}

/// The header value for `body` signed at unix time `t` with `secret`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let tag = hmac::sign(&key(secret), &signed_payload(t, body));
    format!("t={t},v1={}", hex::encode(tag.as_ref()))
}

/// Checks a header against the raw body: valid when some `v1` is the HMAC of some secret
/// and `|now − t| ≤ tolerance_secs`.
pub fn verify(
    header: &str,
    body: &[u8],
    secrets: &[String],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if sigs.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now.abs_diff(t) > tolerance_secs.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let msg = signed_payload(t, body);
    let ok = secrets.iter().any(|s| {
        sigs.iter()
            .any(|sig| hmac::verify(&key(s), &msg, sig).is_ok())
    });
    if ok {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1"}"#;

    #[test]
    fn a_signature_verifies_with_any_current_secret_within_the_tolerance() {
        let secrets = vec!["whsec_old".to_owned(), "whsec_new".to_owned()];
        let h = sign("whsec_new", 1000, BODY);
        assert_eq!(verify(&h, BODY, &secrets, 1200, 300), Ok(()));
        // Several v1 values: one good one is enough.
        let two = format!(
            "{},v1={}",
            sign("whsec_other", 1000, BODY),
            &h[h.find("v1=").unwrap() + 3..]
        );
        assert_eq!(verify(&two, BODY, &secrets, 1000, 300), Ok(()));
    }

    #[test]
    fn every_way_of_failing_is_refused() {
        let secrets = vec!["whsec_new".to_owned()];
        let h = sign("whsec_new", 1000, BODY);
        assert_eq!(
            verify(&h, BODY, &secrets, 1301, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(&h, BODY, &secrets, 699, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(&h, b"{\"id\":\"evt_2\"}", &secrets, 1000, 300),
            Err(SignatureError::Mismatch)
        );
        let rotated_out = sign("whsec_old", 1000, BODY);
        assert_eq!(
            verify(&rotated_out, BODY, &secrets, 1000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("", BODY, &secrets, 1000, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("t=1000", BODY, &secrets, 1000, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("v1=00", BODY, &secrets, 1000, 300),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn the_header_matches_stripes_documented_construction() {
        // HMAC-SHA256("whsec_test", "1700000000.{}"), computed independently with openssl:
        // printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_test
        let h = sign("whsec_test", 1_700_000_000, b"{}");
        assert_eq!(
            h,
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }
}
