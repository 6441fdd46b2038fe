//! The first superadmin token. With `CODITECT_BOOTSTRAP_TOKEN` set, that token is a
//! superadmin (compared by hash, never stored). Otherwise one is generated once, its hash
//! stored, and the secret written to `<data dir>/bootstrap-token`, readable only by its
//! owner; the log names the file, never the token.

use std::io::Write;
use std::path::Path;

use coditect_domain::Role;
use coditect_storage::{NewApiToken, Store};

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
    std::fs::create_dir_all(data_dir)?;
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
