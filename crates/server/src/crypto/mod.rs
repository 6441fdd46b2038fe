//! Secrets: hashing, random keys and tokens, sealing at rest, and token signing keys.

pub mod keyring;
pub mod keys;
pub mod sealer;
pub mod secrets;

pub use keyring::KeyRing;
pub use sealer::Sealer;
pub use secrets::{new_admin_token, new_license_key, sha256_hex};
