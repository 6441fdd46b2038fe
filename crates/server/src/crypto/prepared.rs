//! Signing with a key parsed once.
//!
//! Why: `jsonwebtoken::encode` takes the private key as PKCS#8 bytes and, for ES256 and
//! EdDSA, parses it again on every call; for P-256 that parse recomputes the public key
//! (a full scalar multiplication). Every acquire and heartbeat signs a token, and that
//! re-parse was about a third of the signing cost and a tenth of the server's CPU per
//! heartbeat. Here the ring key pair is built when the key is loaded and the compact JWS
//! is assembled exactly as `jsonwebtoken::encode` does (base64url without padding of the
//! serialized header and claims, then of the signature). RS256 keeps using
//! `jsonwebtoken` on a blocking thread; verification everywhere uses `jsonwebtoken`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use jsonwebtoken::Header;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::Serialize;

use super::keys::SigningAlg;

/// A parsed ES256 or EdDSA private key, ready to sign.
pub(crate) enum PreparedKey {
    /// P-256 with SHA-256, fixed-size (r || s) signatures as JWS requires.
    Es256(EcdsaKeyPair, SystemRandom),
    /// Ed25519.
    EdDsa(Ed25519KeyPair),
}

impl PreparedKey {
    /// Parses a PKCS#8 key of `alg`; `None` for RS256, which is not prepared.
    pub(crate) fn parse(alg: SigningAlg, pkcs8: &[u8]) -> anyhow::Result<Option<Self>> {
        Ok(match alg {
            SigningAlg::Es256 => {
                let rng = SystemRandom::new();
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
                    .map_err(|e| anyhow::anyhow!("ES256 key: {e}"))?;
                Some(Self::Es256(pair, rng))
            }
            SigningAlg::EdDsa => Some(Self::EdDsa(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
                    .map_err(|e| anyhow::anyhow!("EdDSA key: {e}"))?,
            )),
            SigningAlg::Rs256 => None,
        })
    }

    /// The compact JWS of `claims` under `header`.
    pub(crate) fn sign(&self, header: &Header, claims: &impl Serialize) -> anyhow::Result<String> {
        let mut out = signing_input(header, claims)?;
        let signature = match self {
            Self::Es256(pair, rng) => pair
                .sign(rng, out.as_bytes())
                .map_err(|e| anyhow::anyhow!("ES256 signing: {e}"))?
                .as_ref()
                .to_vec(),
            Self::EdDsa(pair) => pair.sign(out.as_bytes()).as_ref().to_vec(),
        };
        append_signature(&mut out, &signature);
        Ok(out)
    }
}

/// The JWS signing input, `base64url(header).base64url(claims)`, as `jsonwebtoken`
/// serializes them: what every signer (here, RS256 aside, and a PKCS#11 token) signs.
pub(crate) fn signing_input(header: &Header, claims: &impl Serialize) -> anyhow::Result<String> {
    let mut out = B64URL.encode(serde_json::to_vec(header)?);
    out.push('.');
    B64URL.encode_string(serde_json::to_vec(claims)?, &mut out);
    Ok(out)
}

/// Completes a compact JWS: `.` and the signature in base64url.
pub(crate) fn append_signature(out: &mut String, signature: &[u8]) {
    out.push('.');
    B64URL.encode_string(signature, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::generate;
    use jsonwebtoken::{decode, DecodingKey, Validation};
    use serde_json::{json, Value};

    fn claims() -> Value {
        json!({"iss": "test", "sub": "s", "exp": 4_000_000_000_i64, "ent": ["a", "b\"c"]})
    }

    fn header(alg: SigningAlg) -> Header {
        let mut h = Header::new(alg.jwt());
        h.kid = Some("kid-1".into());
        h
    }

    #[test]
    fn eddsa_tokens_are_byte_for_byte_those_of_jsonwebtoken() {
        // Ed25519 signatures are deterministic, so the whole token must be identical.
        let k = generate(SigningAlg::EdDsa).unwrap();
        let ours = PreparedKey::parse(SigningAlg::EdDsa, &k.private_der)
            .unwrap()
            .unwrap()
            .sign(&header(SigningAlg::EdDsa), &claims())
            .unwrap();
        let theirs = jsonwebtoken::encode(
            &header(SigningAlg::EdDsa),
            &claims(),
            &SigningAlg::EdDsa.encoding_key(&k.private_der),
        )
        .unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn es256_tokens_verify_with_jsonwebtoken_and_fail_when_tampered() {
        let k = generate(SigningAlg::Es256).unwrap();
        let token = PreparedKey::parse(SigningAlg::Es256, &k.private_der)
            .unwrap()
            .unwrap()
            .sign(&header(SigningAlg::Es256), &claims())
            .unwrap();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(k.public_jwk).unwrap();
        let key = DecodingKey::from_jwk(&jwk).unwrap();
        let mut v = Validation::new(SigningAlg::Es256.jwt());
        v.set_required_spec_claims(&["exp"]);
        let data = decode::<Value>(&token, &key, &v).unwrap();
        assert_eq!(data.claims, claims());
        assert_eq!(data.header.kid.as_deref(), Some("kid-1"));
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = B64URL.encode(br#"{"iss":"test","sub":"other","exp":4000000000}"#);
        parts[1] = &forged;
        assert!(decode::<Value>(&parts.join("."), &key, &v).is_err());
    }

    #[test]
    fn rs256_is_not_prepared() {
        assert!(PreparedKey::parse(SigningAlg::Rs256, b"irrelevant")
            .unwrap()
            .is_none());
    }
}
