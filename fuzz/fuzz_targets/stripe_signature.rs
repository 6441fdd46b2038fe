//! The `Stripe-Signature` header parser and check: any header and body give `Ok` or an
//! error, never a panic; a header that passes must carry the body's real HMAC.
#![no_main]

use coditect_server::crypto::webhook_signature::{sign, verify};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_fuzz";
const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (header, body) = data.split_at(split);
    let Ok(header) = std::str::from_utf8(header) else {
        return;
    };
    let secrets = [SECRET.to_owned()];
    if verify(header, body, &secrets, NOW, 300).is_ok() {
        // Accepted: some v1 in it must be the true signature of this body at its `t`.
        let t = header
            .split(',')
            .find_map(|p| p.trim().strip_prefix("t=")?.parse::<i64>().ok())
            .expect("an accepted header has a t");
        let good = sign(SECRET, t, body);
        let v1 = good.split_once(",v1=").unwrap().1;
        assert!(
            header.contains(v1),
            "accepted a header without the body's HMAC"
        );
    }
    // The real signature of any body verifies.
    assert!(verify(&sign(SECRET, NOW, body), body, &secrets, NOW, 300).is_ok());
});
