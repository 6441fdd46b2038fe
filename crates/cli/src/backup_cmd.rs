//! `backup` and `restore` of the embedded database. PostgreSQL has its own tools
//! (`pg_dump`, point-in-time recovery; README "Backups"), which do it better than a copy
//! through this binary could.

use std::path::PathBuf;

use clap::Args;

/// `coditect-license backup --out FILE`.
#[derive(Args, Clone)]
pub struct BackupArgs {
    /// Where to write the copy (a new file).
    #[arg(long)]
    pub out: PathBuf,
}

/// `coditect-license restore --from FILE`.
#[derive(Args, Clone)]
pub struct RestoreArgs {
    /// A file written by `backup`.
    #[arg(long)]
    pub from: PathBuf,
}

fn sqlite_only(url: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        url.starts_with("sqlite:"),
        "backup and restore are for the embedded database; on PostgreSQL use pg_dump / pg_restore \
         or point-in-time recovery (README, \"Backups\")"
    );
    Ok(())
}

/// Takes a consistent copy while servers run and prints what it holds.
pub async fn backup(url: &str, a: &BackupArgs) -> anyhow::Result<()> {
    sqlite_only(url)?;
    let s = coditect_storage_sqlite::backup(url, &a.out).await?;
    println!(
        "backed up to {}: {} tenants, {} licenses, {} sessions",
        a.out.display(),
        s.tenants,
        s.licenses,
        s.sessions
    );
    Ok(())
}

/// Puts a backup in place of the database, refused while a server has it open.
pub async fn restore(url: &str, a: &RestoreArgs) -> anyhow::Result<()> {
    sqlite_only(url)?;
    let s = coditect_storage_sqlite::restore(&a.from, url).await?;
    println!(
        "restored {}: {} tenants, {} licenses, {} sessions; start the server",
        a.from.display(),
        s.tenants,
        s.licenses,
        s.sessions
    );
    Ok(())
}
