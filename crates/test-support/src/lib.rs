//! A fresh database for one test (or one benchmark run), made the same way everywhere.
//!
//! Why a crate of its own: the storage conformance suites, the PostgreSQL smoke and
//! row-level security tests, the HTTP integration suite, the scale tests and the benchmark
//! each need "an empty database nobody else uses", and each used to make one with its own
//! copy of the same code. One copy means one way of naming, creating and dropping them,
//! which the CI's sweep of leftovers (`coditect_test_%`) relies on.
//!
//! SQLite is the default: a file in a temporary directory of its own, removed when the
//! [`TestDatabase`] is dropped. When [`DATABASE_URL_VAR`] names a PostgreSQL server (as a
//! role that may create databases, e.g. `postgres://postgres@127.0.0.1:5432/postgres`),
//! [`TestDatabase::new`] makes a database of its own on it instead. A PostgreSQL database
//! outlives its handle unless [`TestDatabase::drop_database`] is called (or
//! [`TestDatabase::run_then_drop`] used), because dropping it is async and a test that
//! panicked may want it kept for a look; CI drops leftovers before its PostgreSQL stage.

pub mod previous_release;
pub mod receiver;
pub mod stripe;

use std::future::Future;
use std::path::Path;

use sqlx::{Connection, PgConnection};

/// The environment variable naming the PostgreSQL server tests run on (an admin URL).
pub const DATABASE_URL_VAR: &str = "CODITECT_TEST_DATABASE_URL";

/// The name prefix of databases made for tests, which CI sweeps up when a run left some.
pub const TEST_PREFIX: &str = "coditect_test_";

/// The PostgreSQL admin URL of this run, when [`DATABASE_URL_VAR`] is set and not empty.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(DATABASE_URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())
}

/// Why a database could not be made (the benchmark reports it rather than panicking).
#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// A PostgreSQL database made for one test: where to reach the server, and its name.
#[derive(Clone, Debug)]
struct Postgres {
    admin_url: String,
    name: String,
}

/// An empty database for one test or run: a SQLite file in a temporary directory of its
/// own, or a PostgreSQL database of its own.
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL a store or server connects to (`sqlite://…` or `postgres://…`).
    pub url: String,
    postgres: Option<Postgres>,
    dir: tempfile::TempDir,
}

impl TestDatabase {
    /// A database for one test: on PostgreSQL when [`DATABASE_URL_VAR`] is set, otherwise
    /// a SQLite file. Panics when PostgreSQL is asked for and cannot make one.
    pub async fn new() -> Self {
        match postgres_admin_url() {
            Some(admin) => Self::postgres(&admin).await,
            None => Self::sqlite(),
        }
    }

    /// A SQLite file (not created yet: the store creates it) in a new temporary directory.
    pub fn sqlite() -> Self {
        Self::sqlite_named(TEST_PREFIX).expect("a temporary directory for the SQLite file")
    }

    /// A new database `coditect_test_<uuid>` on the PostgreSQL server at `admin_url`.
    /// Panics when it cannot be made.
    pub async fn postgres(admin_url: &str) -> Self {
        Self::postgres_named(admin_url, TEST_PREFIX)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The PostgreSQL database of this run when [`DATABASE_URL_VAR`] is set, `None` (after
    /// printing `skipping <what>: CODITECT_TEST_DATABASE_URL is not set`) when it is not:
    /// for tests that only mean something on PostgreSQL. CI fails on that line.
    pub async fn postgres_or_skip(what: &str) -> Option<Self> {
        match postgres_admin_url() {
            Some(admin) => Some(Self::postgres(&admin).await),
            None => {
                eprintln!("skipping {what}: {DATABASE_URL_VAR} is not set");
                None
            }
        }
    }

    /// A fresh database named after `prefix` (the temporary directory too): on the
    /// PostgreSQL server at `postgres_admin_url` when given, else a SQLite file.
    pub async fn create(postgres_admin_url: Option<&str>, prefix: &str) -> Result<Self, Error> {
        match postgres_admin_url {
            Some(admin) => Self::postgres_named(admin, prefix).await,
            None => Self::sqlite_named(prefix),
        }
    }

    fn sqlite_named(prefix: &str) -> Result<Self, Error> {
        let dir = temp_dir(prefix)?;
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        Ok(Self {
            url,
            postgres: None,
            dir,
        })
    }

    async fn postgres_named(admin_url: &str, prefix: &str) -> Result<Self, Error> {
        let dir = temp_dir(prefix)?;
        let name = format!("{prefix}{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(admin_url)
            .await
            .map_err(|e| Error(format!("connect to PostgreSQL at {admin_url}: {e}")))?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .map_err(|e| Error(format!("create database {name}: {e}")))?;
        let _ = admin.close().await;
        Ok(Self {
            url: url_for_db(admin_url, &name),
            postgres: Some(Postgres {
                admin_url: admin_url.to_owned(),
                name,
            }),
            dir,
        })
    }

    /// The URL a store or server connects to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this is a PostgreSQL database (some tests look at the tables directly).
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// The temporary directory of this database (the SQLite file lives in it; servers of
    /// a benchmark run keep their data and logs there too). Removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The PostgreSQL admin URL and database name, for looking at the database from
    /// outside (e.g. its server processes); `None` for SQLite.
    pub fn postgres_name(&self) -> Option<(&str, &str)> {
        self.postgres
            .as_ref()
            .map(|p| (p.admin_url.as_str(), p.name.as_str()))
    }

    /// Drops the PostgreSQL database, closing whatever is still connected to it. Nothing
    /// to do for SQLite (the directory goes with the handle). Best effort: a failure is
    /// printed, not raised, as it must not hide the outcome of the test itself.
    pub async fn drop_database(&self) {
        if let Err(e) = self.try_drop_database().await {
            eprintln!("{e}");
        }
    }

    /// [`drop_database`](Self::drop_database), reporting a failure to the caller (the
    /// benchmark fails its run on it).
    pub async fn try_drop_database(&self) -> Result<(), Error> {
        let Some(pg) = &self.postgres else {
            return Ok(());
        };
        let dropped = async {
            let mut admin = PgConnection::connect(&pg.admin_url).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name))
                .execute(&mut admin)
                .await?;
            admin.close().await
        }
        .await;
        dropped.map_err(|e| Error(format!("drop test database {}: {e}", pg.name)))
    }

    /// Runs `f` on the database's URL in a task of its own, drops the database, then
    /// re-raises `f`'s panic if it panicked: the database goes even when the test fails.
    pub async fn run_then_drop<F, Fut>(self, f: F)
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let outcome = tokio::spawn(f(self.url.clone())).await;
        self.drop_database().await;
        if let Err(e) = outcome {
            match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(e) => panic!("test task did not finish: {e}"),
            }
        }
    }
}

fn temp_dir(prefix: &str) -> Result<tempfile::TempDir, Error> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| Error(format!("create a temporary directory: {e}")))
}

/// The admin URL with its database name replaced by `db`, query parameters kept.
fn url_for_db(admin_url: &str, db: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_replaces_the_admin_one_and_parameters_stay() {
        assert_eq!(
            url_for_db("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            url_for_db("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(url_for_db("postgres://h:5432", "x"), "postgres://h:5432/x");
    }

    #[test]
    fn a_sqlite_database_lives_in_a_directory_of_its_own() {
        let a = TestDatabase::sqlite();
        let b = TestDatabase::sqlite();
        assert_ne!(a.url, b.url);
        assert!(a.url.starts_with("sqlite://") && a.url.contains(TEST_PREFIX));
        assert!(!a.is_postgres() && a.postgres_name().is_none());
        let dir = a.dir().to_path_buf();
        assert!(dir.is_dir());
        drop(a);
        assert!(!dir.exists(), "the directory goes with the handle");
    }
}
