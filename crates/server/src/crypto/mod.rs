//! Secrets: hashing, random keys and tokens, sealing at rest, and token signing keys.

pub mod keyring;
pub mod keys;
pub mod passwords;
pub mod pkcs11;
mod prepared;
pub mod sealer;
pub mod secrets;
pub mod webhook_signature;

pub use keyring::KeyRing;
pub use passwords::{hash_password, verify_password};
pub use sealer::Sealer;
pub use secrets::{new_admin_token, new_license_key, new_secret, sha256_hex};
