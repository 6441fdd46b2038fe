//! Integration tests over real HTTP: one binary, a server on port 0 and a fresh database
//! per test. The same tests run on SQLite (default) and PostgreSQL
//! (`CODITECT_TEST_DATABASE_URL`).

mod helpers;
mod process;

mod borrow;
mod cli_client;
mod queue;
mod sdk;
mod seats;
mod tokens;
