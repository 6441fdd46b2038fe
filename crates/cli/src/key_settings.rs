//! Settings of the keys at rest, from the environment: the PKCS#11 token that holds the
//! signing keys, and the previous master key during a rotation.

use std::path::PathBuf;

use clap::Args;
use coditect_server::crypto::pkcs11::Pkcs11Config;

/// `CODITECT_PKCS11_*` and `CODITECT_MASTER_KEY_PREVIOUS`.
#[derive(Args, Clone)]
pub struct KeySettings {
    /// The PKCS#11 library of the HSM or KMS that holds the signing keys, e.g.
    /// `/usr/lib/softhsm/libsofthsm2.so`; unset: keys are sealed in the database.
    #[arg(long, env = "CODITECT_PKCS11_MODULE")]
    pkcs11_module: Option<PathBuf>,
    /// The label of the PKCS#11 token.
    #[arg(long, env = "CODITECT_PKCS11_TOKEN")]
    pkcs11_token: Option<String>,
    /// A file holding the token's user PIN.
    #[arg(long, env = "CODITECT_PKCS11_PIN_FILE")]
    pkcs11_pin_file: Option<PathBuf>,
    /// The master key before a rotation: opens secrets sealed under it, never seals.
    #[arg(long, env = "CODITECT_MASTER_KEY_PREVIOUS", hide_env_values = true)]
    master_key_previous: Option<String>,
}

impl KeySettings {
    /// The token, when a module is set; a module without its token or PIN file is refused.
    pub fn pkcs11(&self) -> anyhow::Result<Option<Pkcs11Config>> {
        let Some(module) = self
            .pkcs11_module
            .clone()
            .filter(|m| !m.as_os_str().is_empty())
        else {
            return Ok(None);
        };
        let token = self.pkcs11_token.clone().filter(|t| !t.is_empty());
        let pin_file = self
            .pkcs11_pin_file
            .clone()
            .filter(|p| !p.as_os_str().is_empty());
        match (token, pin_file) {
            (Some(token), Some(pin_file)) => Ok(Some(Pkcs11Config {
                module,
                token,
                pin_file,
            })),
            _ => anyhow::bail!(
                "CODITECT_PKCS11_MODULE needs CODITECT_PKCS11_TOKEN and CODITECT_PKCS11_PIN_FILE"
            ),
        }
    }

    /// The previous master key, if one is set.
    pub fn previous_master_key(&self) -> Option<String> {
        self.master_key_previous.clone().filter(|k| !k.is_empty())
    }
}
