//! The client's offline token verifier: any string is verified or refused, never a panic;
//! and a correctly signed token whose claims are the fuzzer's bytes is accepted only when
//! those claims are well-formed, for this license, and unexpired.
#![no_main]

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use coditect_license_client::Verifier;
use coditect_server::crypto::keys::{generate, SigningAlg};
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;

const LICENSE_KEY: &str = "FUZZ-KEY-0001";

struct Fixture {
    verifier: Verifier,
    key: EncodingKey,
    header: String,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let k = generate(SigningAlg::Es256).expect("a key");
        let jwks = serde_json::json!({"keys": [k.public_jwk]}).to_string();
        let verifier = Verifier::from_jwks_json(&jwks)
            .expect("the JWKS")
            .for_license_key(LICENSE_KEY);
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": k.kid}).to_string();
        Fixture {
            verifier,
            key: EncodingKey::from_ec_der(&k.private_der),
            header: B64URL.encode(header),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    if let Ok(s) = std::str::from_utf8(data) {
        // Unsigned by our key: never accepted.
        assert!(
            f.verifier.verify(s).is_err(),
            "accepted a token we never signed"
        );
    }
    let input = format!("{}.{}", f.header, B64URL.encode(data));
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &f.key, Algorithm::ES256).unwrap();
    let token = format!("{input}.{sig}");
    if let Ok(v) = f.verifier.verify(&token) {
        let claims: serde_json::Value =
            serde_json::from_slice(data).expect("accepted claims are JSON");
        assert_eq!(
            claims["kaud"].as_str(),
            Some(coditect_domain::license_audience(LICENSE_KEY).as_str()),
            "accepted a token of another license"
        );
        assert!(v.expires_at() > 0);
    }
});
