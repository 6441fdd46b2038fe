//! Generation of token signing keys and their public JWKs. ES256 is the default because
//! every mainstream JWT library verifies it; EdDSA and RS256 (4096-bit) are options.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};

use super::sha256_hex;

/// A signing algorithm this server can create keys for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningAlg {
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// Ed25519 (JWS `EdDSA`).
    EdDsa,
    /// RSA-4096 PKCS#1 v1.5 with SHA-256.
    Rs256,
}

impl SigningAlg {
    /// Parses the `CODITECT_SIGNING_ALG` / JWS `alg` name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ES256" => Some(Self::Es256),
            "EdDSA" => Some(Self::EdDsa),
            "RS256" => Some(Self::Rs256),
            _ => None,
        }
    }
    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
            Self::Rs256 => "RS256",
        }
    }
    /// The `jsonwebtoken` algorithm.
    pub fn jwt(self) -> Algorithm {
        match self {
            Self::Es256 => Algorithm::ES256,
            Self::EdDsa => Algorithm::EdDSA,
            Self::Rs256 => Algorithm::RS256,
        }
    }
    /// The signing key from its stored DER (PKCS#8 for EC and Ed25519, PKCS#1 for RSA).
    pub fn encoding_key(self, der: &[u8]) -> EncodingKey {
        match self {
            Self::Es256 => EncodingKey::from_ec_der(der),
            Self::EdDsa => EncodingKey::from_ed_der(der),
            Self::Rs256 => EncodingKey::from_rsa_der(der),
        }
    }
}

/// A freshly generated key pair.
pub struct GeneratedKey {
    /// RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The algorithm the key is for; its JWS name is the JWK's `alg`.
    pub alg: SigningAlg,
    /// The private key as DER (PKCS#8, or PKCS#1 for RSA); seal it before storing it.
    pub private_der: Vec<u8>,
    /// Public JWK with `kid`, `alg` and `use`.
    pub public_jwk: Value,
}

/// Generates a key pair. RSA-4096 takes seconds: call it from a blocking thread.
pub fn generate(alg: SigningAlg) -> anyhow::Result<GeneratedKey> {
    let rng = SystemRandom::new();
    let (private_der, members) = match alg {
        SigningAlg::Es256 => {
            let fixed = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(fixed, &rng)
                .map_err(|_| anyhow::anyhow!("EC keygen"))?;
            let pair = EcdsaKeyPair::from_pkcs8(fixed, pkcs8.as_ref(), &rng)
                .map_err(|_| anyhow::anyhow!("EC key parse"))?;
            let point = pair.public_key().as_ref();
            anyhow::ensure!(point.len() == 65 && point[0] == 4, "unexpected EC point");
            let m = json!({"crv": "P-256", "kty": "EC", "x": B64URL.encode(&point[1..33]), "y": B64URL.encode(&point[33..])});
            (pkcs8.as_ref().to_vec(), m)
        }
        SigningAlg::EdDsa => {
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|_| anyhow::anyhow!("Ed25519 keygen"))?;
            let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
                .map_err(|_| anyhow::anyhow!("Ed25519 parse"))?;
            let m = json!({"crv": "Ed25519", "kty": "OKP", "x": B64URL.encode(pair.public_key().as_ref())});
            (pkcs8.as_ref().to_vec(), m)
        }
        SigningAlg::Rs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            use rsa::traits::PublicKeyParts;
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 4096)?;
            let der = key.to_pkcs1_der()?.as_bytes().to_vec();
            let m = json!({"e": B64URL.encode(key.e().to_bytes_be()), "kty": "RSA", "n": B64URL.encode(key.n().to_bytes_be())});
            (der, m)
        }
    };
    let (kid, public_jwk) = jwk_with_kid(members, alg)?;
    Ok(GeneratedKey {
        kid,
        alg,
        private_der,
        public_jwk,
    })
}

/// The `kid` (RFC 7638 thumbprint) of a public key and its JWK with `kid`, `alg` and
/// `use`: for keys made here and keys made in a PKCS#11 token alike. `members` must be
/// the key's required members written in canonical (sorted) order.
pub fn jwk_with_kid(members: Value, alg: SigningAlg) -> anyhow::Result<(String, Value)> {
    let thumb = sha256_hex(serde_json::to_string(&members)?.as_bytes());
    let kid = B64URL.encode(hex_to_bytes(&thumb));
    let mut jwk = members;
    jwk["kid"] = json!(kid);
    jwk["alg"] = json!(alg.as_str());
    jwk["use"] = json!("sig");
    Ok((kid, jwk))
}

fn hex_to_bytes(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&h[i..i + 2], 16).ok())
        .collect()
}
