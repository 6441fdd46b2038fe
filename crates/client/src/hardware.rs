//! The default hardware id: the machine's own stable identifier (Linux machine-id, macOS
//! IOPlatformUUID, Windows MachineGuid), hashed with the product name so the raw
//! identifier never leaves the machine and two products cannot correlate their users.

use std::process::Command;

use crate::error::{Error, Result};

/// Environment variable that overrides the hardware id (containers, where machine ids
/// drift or are shared). Its value is sent as it is.
pub const HARDWARE_ID_ENV: &str = "CODITECT_HARDWARE_ID";

/// The hardware id for `product`: `CODITECT_HARDWARE_ID` when set (as given), else the
/// SHA-256 (hex) of the product name and the machine's identifier.
pub fn default_hardware_id(product: &str) -> Result<String> {
    if let Some(id) = std::env::var(HARDWARE_ID_ENV)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
    {
        return Ok(id);
    }
    Ok(hash_machine_id(product, &machine_id()?))
}

/// Hashes a raw machine identifier with the product name (domain-separated, hex).
pub fn hash_machine_id(product: &str, raw: &str) -> String {
    let input = format!("coditect-license/hwid/v1\0{product}\0{}", raw.trim());
    crate::sha256_hex(input.as_bytes())
}

/// The machine's raw identifier (never sent anywhere; see [`default_hardware_id`]).
pub fn machine_id() -> Result<String> {
    let id = platform_machine_id()?;
    let id = id.trim().to_owned();
    if id.is_empty() {
        return Err(Error::HardwareId(format!(
            "the machine id is empty; set {HARDWARE_ID_ENV}"
        )));
    }
    Ok(id)
}

#[cfg(target_os = "linux")]
fn platform_machine_id() -> Result<String> {
    for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
        if let Ok(s) = std::fs::read_to_string(path) {
            if !s.trim().is_empty() {
                return Ok(s);
            }
        }
    }
    Err(Error::HardwareId(format!(
        "neither /etc/machine-id nor /var/lib/dbus/machine-id is readable; set {HARDWARE_ID_ENV}"
    )))
}

#[cfg(target_os = "macos")]
fn platform_machine_id() -> Result<String> {
    let out = run("ioreg", &["-rd1", "-c", "IOPlatformExpertDevice"])?;
    out.lines()
        .find(|l| l.contains("\"IOPlatformUUID\""))
        .and_then(|l| l.split('"').nth(3))
        .map(str::to_owned)
        .ok_or_else(|| Error::HardwareId("IOPlatformUUID not found in ioreg output".into()))
}

#[cfg(windows)]
fn platform_machine_id() -> Result<String> {
    let out = run(
        "reg",
        &[
            "query",
            r"HKLM\SOFTWARE\Microsoft\Cryptography",
            "/v",
            "MachineGuid",
        ],
    )?;
    out.lines()
        .find(|l| l.contains("MachineGuid"))
        .and_then(|l| l.split_whitespace().last())
        .map(str::to_owned)
        .ok_or_else(|| Error::HardwareId("MachineGuid not found in the registry".into()))
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn platform_machine_id() -> Result<String> {
    Err(Error::HardwareId(format!(
        "no machine id on this platform; set {HARDWARE_ID_ENV}"
    )))
}

#[allow(dead_code)]
fn run(cmd: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| Error::HardwareId(format!("cannot run {cmd}: {e}")))?;
    if !out.status.success() {
        return Err(Error::HardwareId(format!("{cmd} failed: {}", out.status)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_product_and_hides_the_raw_id() {
        let a = hash_machine_id("cad", "0123456789abcdef");
        let b = hash_machine_id("viewer", "0123456789abcdef");
        assert_eq!(a.len(), 64);
        assert_ne!(a, b, "two products get unrelated ids");
        assert!(!a.contains("0123456789abcdef"));
        assert_eq!(a, hash_machine_id("cad", "0123456789abcdef\n"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_machine_id_is_read_when_present() {
        let present = ["/etc/machine-id", "/var/lib/dbus/machine-id"]
            .iter()
            .any(|p| std::fs::read_to_string(p).is_ok_and(|s| !s.trim().is_empty()));
        assert_eq!(machine_id().is_ok(), present);
    }
}
