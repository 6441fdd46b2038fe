//! Scale-out and crash tests over real server processes (the `coditect-license` binary):
//! several processes on one PostgreSQL database, `kill -9` during load on SQLite and
//! PostgreSQL, Redis flushed or stopped during load, and a PostgreSQL failover (a primary
//! killed, its synchronous standby promoted) during load. Run on their own with
//! `cargo test -p coditect-license --test scale -- --test-threads=1`; the PostgreSQL tests
//! need `CODITECT_TEST_DATABASE_URL` (the failover test also PostgreSQL's server binaries
//! in `/usr/lib/postgresql/<version>/bin`), the Redis tests `redis-server` on the PATH,
//! and each prints "skipping" when it cannot run (CI fails on that).
//!
//! `CODITECT_SCALE_SECONDS` sets the length of each load phase (default 12). What the tests
//! are built with (server processes, their databases, the load and its checks) is in
//! `support/`; every other module holds tests.

mod support;

mod billing_crash;
mod crash;
mod failover;
mod multiprocess;
mod redis_loss;
mod sign_in_shared;
