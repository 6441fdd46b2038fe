//! The migrations of the previous release, read from git, so an upgrade test builds the
//! schema a running installation has today and then lets the current code upgrade it.

use std::path::Path;
use std::process::Command;

/// The last commit that landed before the current schema changes: the release an
/// installation upgrades from. Move it forward when a release ships.
pub const PREVIOUS_RELEASE: &str = "eb6cf7d8e00467228aab1b79d2d957a2c76a881e";

/// The repository's root, from this crate's folder.
fn repo_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A temporary folder holding `migrations_dir` (relative to the repository root, e.g.
/// `crates/storage-sqlite/migrations`) as it was at [`PREVIOUS_RELEASE`]. Panics (never
/// skips) when git or the commit is missing: the upgrade test must run.
pub fn migrations(migrations_dir: &str) -> tempfile::TempDir {
    let root = repo_root();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let has_commit = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["cat-file", "-e", &format!("{PREVIOUS_RELEASE}^{{commit}}")])
        .status()
        .is_ok_and(|s| s.success());
    if !has_commit {
        // A shallow clone: fetch the history the upgrade starts from.
        git(&["fetch", "--quiet", "--unshallow"]);
    }
    let listing = git(&[
        "ls-tree",
        "--name-only",
        PREVIOUS_RELEASE,
        &format!("{migrations_dir}/"),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let names = String::from_utf8(listing).expect("UTF-8 names");
    let mut count = 0;
    for path in names.lines().filter(|p| p.ends_with(".sql")) {
        let sql = git(&["show", &format!("{PREVIOUS_RELEASE}:{path}")]);
        let file = Path::new(path).file_name().expect("a file name");
        std::fs::write(dir.path().join(file), sql).expect("write a migration");
        count += 1;
    }
    assert!(
        count > 0,
        "no migrations under {migrations_dir} at {PREVIOUS_RELEASE}"
    );
    dir
}
