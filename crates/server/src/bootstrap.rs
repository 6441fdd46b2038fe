//! The first superadmin token. With `CODITECT_BOOTSTRAP_TOKEN` set, that token is a
//! superadmin (compared by hash, never stored). Otherwise one is generated once, its hash
//! stored, and the secret written to `<data dir>/bootstrap-token`, readable only by its
//! owner; the log names the file, never the token.

use std::io::Write;
use std::path::Path;

use coditect_domain::Role;
use coditect_storage::{NewApiToken, Store};

use crate::config::Config;
use crate::crypto::{new_admin_token, sha256_hex};

/// Makes sure a superadmin can sign in; returns the hash of an operator-given token.
pub async fn ensure(
    store: &dyn Store,
    data_dir: &Path,
    given: Option<&str>,
) -> anyhow::Result<Option<String>> {
    if let Some(t) = given.filter(|t| !t.is_empty()) {
        return Ok(Some(sha256_hex(t.as_bytes())));
    }
    let path = data_dir.join("bootstrap-token");
    if path.exists() {
        tracing::info!(path = %path.display(), "superadmin token file exists");
        return Ok(None);
    }
    if store.has_superadmin_token().await? {
        tracing::info!("a superadmin token already exists in the database; not writing a new one");
        return Ok(None);
    }
    private_dir(data_dir)?;
    let token = new_admin_token();
    let mut file = match create_owner_only(&path) {
        Ok(f) => f,
        // Another process on the same data dir won the race.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if let Err(e) = store
        .create_token(
            NewApiToken {
                tenant_id: None,
                name: "bootstrap".into(),
                role: Role::Superadmin,
                secret_hash: sha256_hex(token.as_bytes()),
                created_by_user_id: None,
                made_by_user_id: None,
            },
            None,
        )
        .await
    {
        let _ = std::fs::remove_file(&path);
        return Err(e.into());
    }
    file.write_all(token.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    tracing::info!(path = %path.display(), "wrote the superadmin bootstrap token (mode 0600)");
    Ok(None)
}

/// The master key that seals secrets at rest: the configured one; else, on SQLite, the one
/// generated once into `master-key` (mode 0600) beside the database file (so every
/// process on that database finds the same one), so signing keys, license keys and queued
/// mail links are never stored in clear by default. Back that file up with the database:
/// without it the sealed values cannot be opened. PostgreSQL
/// replicas share no data dir, so there the key must be configured (`CODITECT_MASTER_KEY`);
/// without one, secrets are stored in clear and a warning says so.
pub fn master_key(config: &Config) -> anyhow::Result<Option<String>> {
    if let Some(k) = &config.master_key {
        return Ok(Some(k.clone()));
    }
    let url = config.effective_database_url();
    let Some(db_dir) = sqlite_dir(&url) else {
        tracing::warn!(
            "CODITECT_MASTER_KEY is not set: signing keys and license keys are stored in clear"
        );
        return Ok(None);
    };
    std::fs::create_dir_all(&db_dir)?;
    let path = db_dir.join("master-key");
    for _ in 0..50 {
        match std::fs::read_to_string(&path) {
            Ok(k) if k.trim().len() >= 32 => return Ok(Some(k.trim().to_owned())),
            // Another process is writing it this instant.
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = crate::crypto::new_secret();
                match create_owner_only(&path) {
                    Ok(mut f) => {
                        f.write_all(key.as_bytes())?;
                        f.write_all(b"\n")?;
                        f.sync_all()?;
                        tracing::info!(path = %path.display(),
                            "generated the master key that seals secrets at rest (mode 0600); back it up with the database");
                        return Ok(Some(key));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    anyhow::bail!("{} stays empty or too short", path.display())
}

/// The master key before a rotation: the configured one; else, where the key lives in the
/// data dir, the `master-key.previous` that `keys rewrap` leaves beside it.
pub fn previous_master_key(config: &Config) -> anyhow::Result<Option<String>> {
    if config.previous_master_key.is_some() {
        return Ok(config.previous_master_key.clone());
    }
    let Some(path) = master_key_file(config) else {
        return Ok(None);
    };
    match std::fs::read_to_string(path.with_extension("previous")) {
        Ok(k) if !k.trim().is_empty() => Ok(Some(k.trim().to_owned())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The `master-key` file in use: on SQLite without a configured master key.
pub fn master_key_file(config: &Config) -> Option<std::path::PathBuf> {
    if config.master_key.is_some() {
        return None;
    }
    sqlite_dir(&config.effective_database_url()).map(|d| d.join("master-key"))
}

/// Puts `key` in place as the data dir's master key after a rewrap, the old one kept as
/// `master-key.previous` (which opens what servers still running seal until they restart).
pub fn replace_master_key_file(path: &Path, key: &str) -> anyhow::Result<()> {
    let previous = path.with_extension("previous");
    let fresh = path.with_extension("new");
    let _ = std::fs::remove_file(&fresh);
    let mut f = create_owner_only(&fresh)?;
    f.write_all(key.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    let _ = std::fs::remove_file(&previous);
    std::fs::copy(path, &previous)?;
    std::fs::rename(&fresh, path)?;
    Ok(())
}

/// The folder of a SQLite database file, for `sqlite:` URLs naming a file.
fn sqlite_dir(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let path = rest.trim_start_matches("//").split('?').next()?;
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    let dir = Path::new(path).parent()?;
    Some(if dir.as_os_str().is_empty() {
        Path::new(".").to_path_buf()
    } else {
        dir.to_path_buf()
    })
}

/// Creates the data dir if needed and makes it the owner's alone (0700): it holds the
/// database, the master key and the bootstrap token.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(unix)]
fn create_owner_only(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_owner_only(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}
