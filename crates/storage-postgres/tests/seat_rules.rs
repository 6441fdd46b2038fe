//! PostgreSQL decides seats in SQL (migration 0011's functions) so that each client call is
//! one round trip; the rules are the domain crate's (`coditect_domain::seats`). This test
//! keeps the two the same: generated inputs go through each domain decision function and its
//! SQL twin, and generated operation sequences (acquire, borrow, heartbeat, release, forced
//! release, suspension, time passing) go through the PostgreSQL store and the SQLite store,
//! whose seat decisions are the domain functions themselves; every outcome must match.
//! Skipped unless `CODITECT_TEST_DATABASE_URL` names a PostgreSQL server; CI fails on the skip.

mod seat_rules_support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use coditect_domain::seats::{self, AcquireDecision, ReleaseDecision, SeatError};
use coditect_domain::{EndReason, License, Session, SessionStatus};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sqlx::{Connection, PgConnection, Row};
use uuid::Uuid;

use coditect_test_support::TestDatabase;
use seat_rules_support::{license_case, session_case, LicenseCase, SessionCase, Stores};

/// A fixed instant with a microsecond part, as PostgreSQL keeps times.
fn base() -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000, 123_456_000).unwrap()
}

fn at(ms: i64) -> DateTime<Utc> {
    base() + Duration::milliseconds(ms)
}

fn domain_license(c: &LicenseCase) -> License {
    let mut l = seat_rules_support::plain_license();
    l.is_active = c.is_active;
    l.expires_at = c.expires_ms.map(at);
    l.heartbeat_ttl_seconds = c.ttl_seconds;
    l.seats_total = c.seats;
    l.max_borrow_hours = c.max_borrow_hours;
    l
}

fn domain_session(l: &License, c: &SessionCase) -> Session {
    Session {
        id: Uuid::now_v7(),
        tenant_id: l.tenant_id,
        license_id: l.id,
        hardware_id: "hw".into(),
        user_email: None,
        client: None,
        status: c.status,
        end_reason: match c.status {
            SessionStatus::Active => None,
            SessionStatus::Expired => Some(EndReason::Expired),
            SessionStatus::Released if c.forced => Some(EndReason::Forced),
            SessionStatus::Released => Some(EndReason::Released),
        },
        created_at: at(-1_000_000),
        last_heartbeat_at: at(-1_000),
        expires_at: at(c.expires_ms),
        ended_at: None,
        borrowed: c.borrowed,
    }
}

/// A refusal as the SQL functions name it.
fn refusal_name(e: &SeatError) -> &'static str {
    match e {
        SeatError::BorrowTooLong { .. } => "borrow_too_long",
        SeatError::SessionReleased { forced: true } => "session_force_released",
        other => other.code().as_str(),
    }
}

type Decided = (String, Option<DateTime<Utc>>, Option<Uuid>);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn sql_decisions_match_the_domain() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDatabase::postgres_or_skip("PostgreSQL seat rules test")) else {
        return;
    };
    // Connecting the store installs the functions (the migrations).
    rt.block_on(coditect_storage_postgres::PgStore::connect(db.url()))
        .expect("migrate");
    let conn = rt
        .block_on(PgConnection::connect(db.url()))
        .expect("connect");
    let conn = std::cell::RefCell::new(conn);
    let acquire_case = (
        license_case(),
        0i64..5,
        0i64..3,
        proptest::option::of(session_case()),
        proptest::option::of(prop_oneof![Just(1i64), Just(2), Just(3), Just(48)]),
    );
    runner(400)
        .run(&acquire_case, |(lc, live, ahead, same, borrow)| {
            let l = domain_license(&lc);
            let same = same.map(|c| domain_session(&l, &c));
            let now = base();
            let domain: Decided =
                match seats::decide_acquire(&l, now, live, ahead, same.as_ref(), borrow) {
                    Ok(AcquireDecision::Create { expires_at }) => {
                        ("create".into(), Some(expires_at), None)
                    }
                    Ok(AcquireDecision::Resume {
                        session_id,
                        expires_at,
                    }) => ("resume".into(), Some(expires_at), Some(session_id)),
                    Err(e) => (refusal_name(&e).into(), None, None),
                };
            let row = rt
                .block_on(
                    sqlx::query(
                        "SELECT outcome, expires_at, resume_id FROM coditect_decide_acquire(\
                         $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    )
                    .bind(l.is_active)
                    .bind(l.expires_at)
                    .bind(l.heartbeat_ttl_seconds)
                    .bind(l.seats_total)
                    .bind(l.max_borrow_hours)
                    .bind(now)
                    .bind(live)
                    .bind(ahead)
                    .bind(same.as_ref().map(|s| s.id))
                    .bind(same.as_ref().map(|s| s.status.as_str()))
                    .bind(same.as_ref().map(|s| s.expires_at))
                    .bind(same.as_ref().map(|s| s.borrowed))
                    .bind(borrow)
                    .fetch_one(&mut *conn.borrow_mut()),
                )
                .unwrap();
            let sql: Decided = (
                row.get("outcome"),
                row.get("expires_at"),
                row.get("resume_id"),
            );
            prop_assert_eq!(sql, domain);
            Ok(())
        })
        .unwrap();

    runner(300)
        .run(&(license_case(), session_case()), |(lc, sc)| {
            let l = domain_license(&lc);
            let s = domain_session(&l, &sc);
            let now = base();
            let domain = match seats::decide_heartbeat(&l, &s, now) {
                Ok(expires_at) => ("ok".to_owned(), Some(expires_at)),
                Err(e) => (refusal_name(&e).to_owned(), None),
            };
            let row = rt
                .block_on(
                    sqlx::query(
                        "SELECT outcome, expires_at FROM coditect_decide_heartbeat(\
                         $1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(s.status.as_str())
                    .bind(s.end_reason.map(|r| r.as_str()))
                    .bind(s.expires_at)
                    .bind(s.borrowed)
                    .bind(l.is_active)
                    .bind(l.expires_at)
                    .bind(l.heartbeat_ttl_seconds)
                    .bind(now)
                    .fetch_one(&mut *conn.borrow_mut()),
                )
                .unwrap();
            let sql: (String, Option<DateTime<Utc>>) = (row.get("outcome"), row.get("expires_at"));
            prop_assert_eq!(sql, domain);
            let release = match seats::decide_release(&s, now) {
                ReleaseDecision::Release => "release",
                ReleaseDecision::AlreadyEnded(st) => st.as_str(),
            };
            let sql: String = rt
                .block_on(
                    sqlx::query_scalar("SELECT coditect_decide_release($1, $2, $3)")
                        .bind(s.status.as_str())
                        .bind(s.expires_at)
                        .bind(now)
                        .fetch_one(&mut *conn.borrow_mut()),
                )
                .unwrap();
            prop_assert_eq!(sql.as_str(), release);
            Ok(())
        })
        .unwrap();
    rt.block_on(db.drop_database());
}

#[test]
fn operation_sequences_match_the_domain_on_sqlite() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDatabase::postgres_or_skip("PostgreSQL seat rules test")) else {
        return;
    };
    let stores = rt.block_on(Stores::open(db.url()));
    runner(48)
        .run(&seat_rules_support::scenario(), |scenario| {
            let (pg, sqlite) = rt.block_on(stores.play(&scenario));
            prop_assert_eq!(pg, sqlite, "PostgreSQL (left) and SQLite (right) disagree");
            Ok(())
        })
        .unwrap();
    rt.block_on(db.drop_database());
}
