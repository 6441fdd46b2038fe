//! What the seat-rules test is built with: the generated cases, and the two stores that
//! play a generated sequence in step (PostgreSQL, deciding in SQL; SQLite, deciding with the
//! domain crate's functions), each with a raw connection that moves its clock forward by
//! moving every stored time back.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use coditect_domain::input::{Name, Slug};
use coditect_domain::{
    Actor, ActorType, License, LicensePatch, NewLicense, NewTenant, SessionStatus,
};
use coditect_storage::prelude::*;
use coditect_storage::{AcquireRequest, StoreError};
use coditect_storage_postgres::PgStore;
use coditect_storage_sqlite::SqliteStore;
use coditect_test_support::TestDatabase;
use proptest::prelude::*;
use serde_json::Map;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, PgConnection, SqliteConnection};
use tokio::sync::Mutex;
use uuid::Uuid;

/// A license as the decision functions see it (times in ms from the test's base instant).
#[derive(Clone, Debug)]
pub struct LicenseCase {
    pub is_active: bool,
    pub expires_ms: Option<i64>,
    pub ttl_seconds: i64,
    pub seats: i64,
    pub max_borrow_hours: i64,
}

/// A session as the decision functions see it.
#[derive(Clone, Debug)]
pub struct SessionCase {
    pub status: SessionStatus,
    pub forced: bool,
    pub expires_ms: i64,
    pub borrowed: bool,
}

/// Offsets that often sit on a boundary (0: exactly now) or near it.
fn offset_ms() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0i64),
        Just(-1),
        Just(1),
        -200_000i64..200_000,
        prop_oneof![
            Just(60_000i64),
            Just(3_600_000),
            Just(7_200_000),
            Just(172_800_000)
        ],
    ]
}

pub fn license_case() -> impl Strategy<Value = LicenseCase> {
    (
        proptest::bool::weighted(0.85),
        proptest::option::of(offset_ms()),
        prop_oneof![Just(1i64), Just(60), Just(3_600), 1i64..100_000],
        1i64..5,
        prop_oneof![Just(0i64), Just(1), Just(2), Just(72)],
    )
        .prop_map(
            |(is_active, expires_ms, ttl_seconds, seats, max_borrow_hours)| LicenseCase {
                is_active,
                expires_ms,
                ttl_seconds,
                seats,
                max_borrow_hours,
            },
        )
}

pub fn session_case() -> impl Strategy<Value = SessionCase> {
    (
        prop_oneof![
            3 => Just(SessionStatus::Active),
            1 => Just(SessionStatus::Released),
            1 => Just(SessionStatus::Expired)
        ],
        any::<bool>(),
        offset_ms(),
        any::<bool>(),
    )
        .prop_map(|(status, forced, expires_ms, borrowed)| SessionCase {
            status,
            forced,
            expires_ms,
            borrowed,
        })
}

/// A license whose fields the decision test sets.
pub fn plain_license() -> License {
    let now = Utc::now();
    License {
        id: Uuid::now_v7(),
        tenant_id: Uuid::now_v7(),
        name: None,
        key_sealed: String::new(),
        key_hint: String::new(),
        seats_total: 1,
        expires_at: None,
        heartbeat_ttl_seconds: 60,
        entitlements: vec![],
        metadata: Map::new(),
        is_active: true,
        max_borrow_hours: 0,
        created_at: now,
        updated_at: now,
        product_id: None,
        subscription: None,
        archived_at: None,
    }
}

/// One step of a sequence; a session is named by the order it was created in.
#[derive(Clone, Debug)]
pub enum Op {
    Acquire {
        hardware: u8,
        borrow_hours: Option<i64>,
    },
    Heartbeat(usize),
    Release(usize),
    ForceRelease(usize),
    SetActive(bool),
    Advance {
        seconds: i64,
    },
}

/// A license and what is done to it. Times are whole seconds, so that the few ms between
/// the two stores' steps never put one on the other side of a boundary.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub seats: i64,
    pub ttl_seconds: i64,
    pub expires_in_seconds: Option<i64>,
    pub max_borrow_hours: i64,
    pub ops: Vec<Op>,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0u8..4, proptest::option::weighted(0.2, 1i64..=3))
            .prop_map(|(hardware, borrow_hours)| Op::Acquire { hardware, borrow_hours }),
        3 => (0usize..6).prop_map(Op::Heartbeat),
        2 => (0usize..6).prop_map(Op::Release),
        1 => (0usize..6).prop_map(Op::ForceRelease),
        1 => proptest::bool::weighted(0.6).prop_map(Op::SetActive),
        2 => (1i64..8).prop_map(|seconds| Op::Advance { seconds }),
    ]
}

pub fn scenario() -> impl Strategy<Value = Scenario> {
    (
        1i64..=3,
        prop_oneof![Just(3i64), Just(5), Just(10)],
        proptest::option::weighted(0.4, 4i64..40),
        prop_oneof![Just(0i64), Just(2)],
        proptest::collection::vec(op(), 1..28),
    )
        .prop_map(
            |(seats, ttl_seconds, expires_in_seconds, max_borrow_hours, ops)| Scenario {
                seats,
                ttl_seconds,
                expires_in_seconds,
                max_borrow_hours,
                ops,
            },
        )
}

/// What a step answered, with the store's own ids and times taken out.
#[derive(Debug, PartialEq)]
pub enum Seen {
    Granted {
        created: bool,
        session: usize,
        seats_used: i64,
        lasts_s: i64,
        borrowed: bool,
    },
    Extended {
        session: usize,
        seats_used: i64,
        lasts_s: i64,
    },
    Released {
        released: bool,
        status: SessionStatus,
    },
    Forced(Option<SessionStatus>),
    Refused(String),
    Patched,
    Skipped,
}

fn lasts(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    ((until - now).num_milliseconds() as f64 / 1000.0).round() as i64
}

fn refused(e: StoreError) -> Seen {
    Seen::Refused(format!("{e:?}"))
}

fn actor() -> Actor {
    Actor {
        actor_type: ActorType::Superadmin,
        id: None,
        name: Some("seat-rules".into()),
    }
}

/// One backend: its store, and a connection that moves stored times.
enum Backend {
    Postgres(PgStore, Mutex<PgConnection>),
    /// The file's handle is held so that the file outlives the store.
    Sqlite(
        SqliteStore,
        Mutex<SqliteConnection>,
        #[allow(dead_code)] TestDatabase,
    ),
}

impl Backend {
    fn store(&self) -> &dyn Store {
        match self {
            Backend::Postgres(s, _) => s,
            Backend::Sqlite(s, _, _) => s,
        }
    }

    /// Moves this store's clock `seconds` forward: every stored time moves back.
    async fn advance(&self, seconds: i64) {
        match self {
            Backend::Postgres(_, c) => {
                let mut c = c.lock().await;
                for sql in [
                    "UPDATE sessions SET created_at = created_at - $1 * interval '1 second', \
                     last_heartbeat_at = last_heartbeat_at - $1 * interval '1 second', \
                     expires_at = expires_at - $1 * interval '1 second', \
                     ended_at = ended_at - $1 * interval '1 second'",
                    "UPDATE licenses SET expires_at = expires_at - $1 * interval '1 second'",
                ] {
                    sqlx::query(sql)
                        .bind(seconds)
                        .execute(&mut *c)
                        .await
                        .unwrap();
                }
            }
            Backend::Sqlite(_, c, _) => {
                let mut c = c.lock().await;
                let us = seconds * 1_000_000;
                for sql in [
                    "UPDATE sessions SET created_at = created_at - ?1, \
                     last_heartbeat_at = last_heartbeat_at - ?1, expires_at = expires_at - ?1, \
                     ended_at = ended_at - ?1",
                    "UPDATE licenses SET expires_at = expires_at - ?1",
                ] {
                    sqlx::query(sql).bind(us).execute(&mut *c).await.unwrap();
                }
            }
        }
    }
}

/// A scenario's state in one backend.
struct Run<'a> {
    backend: &'a Backend,
    tenant: Uuid,
    license: Uuid,
    key_hash: String,
    sessions: Vec<Uuid>,
}

impl Run<'_> {
    fn session(&self, i: usize) -> Option<Uuid> {
        (!self.sessions.is_empty()).then(|| self.sessions[i % self.sessions.len()])
    }

    async fn step(&mut self, op: &Op) -> Seen {
        let store = self.backend.store();
        match op {
            Op::Acquire {
                hardware,
                borrow_hours,
            } => {
                let req = AcquireRequest {
                    key_hash: self.key_hash.clone(),
                    hardware_id: format!("hw-{hardware}"),
                    user_email: None,
                    client: None,
                    waiter: None,
                    borrow_hours: *borrow_hours,
                };
                match store.acquire(req).await {
                    Ok(out) => {
                        if out.created {
                            self.sessions.push(out.session.id);
                        }
                        Seen::Granted {
                            created: out.created,
                            session: self
                                .sessions
                                .iter()
                                .position(|s| *s == out.session.id)
                                .unwrap(),
                            seats_used: out.seats_used,
                            lasts_s: lasts(out.session.expires_at, out.now),
                            borrowed: out.session.borrowed,
                        }
                    }
                    Err(e) => refused(e),
                }
            }
            Op::Heartbeat(i) => {
                let Some(id) = self.session(*i) else {
                    return Seen::Skipped;
                };
                match store.heartbeat(&self.key_hash, id).await {
                    Ok(out) => Seen::Extended {
                        session: self.sessions.iter().position(|s| *s == id).unwrap(),
                        seats_used: out.seats_used,
                        lasts_s: lasts(out.session.expires_at, out.now),
                    },
                    Err(e) => refused(e),
                }
            }
            Op::Release(i) => {
                let Some(id) = self.session(*i) else {
                    return Seen::Skipped;
                };
                match store.release(&self.key_hash, id).await {
                    Ok(out) => Seen::Released {
                        released: out.released,
                        status: out.status,
                    },
                    Err(e) => refused(e),
                }
            }
            Op::ForceRelease(i) => {
                let Some(id) = self.session(*i) else {
                    return Seen::Skipped;
                };
                match store.force_release(self.tenant, id, &actor()).await {
                    Ok(s) => Seen::Forced(s.map(|s| s.status)),
                    Err(e) => refused(e),
                }
            }
            Op::SetActive(on) => {
                let patch = LicensePatch {
                    is_active: Some(*on),
                    ..LicensePatch::default()
                };
                match store
                    .update_license(self.tenant, self.license, &patch, &actor())
                    .await
                {
                    Ok(_) => Seen::Patched,
                    Err(e) => refused(e),
                }
            }
            Op::Advance { seconds } => {
                self.backend.advance(*seconds).await;
                Seen::Patched
            }
        }
    }
}

/// The two stores a sequence is played on.
pub struct Stores {
    pg: Backend,
    sqlite: Backend,
}

impl Stores {
    /// The PostgreSQL store on `pg_url`'s database and a SQLite store in a new file.
    pub async fn open(pg_url: &str) -> Self {
        let pg = PgStore::connect(pg_url).await.expect("PostgreSQL store");
        let pg_conn = PgConnection::connect(pg_url)
            .await
            .expect("PostgreSQL connection");
        let file = TestDatabase::sqlite();
        let sqlite = SqliteStore::connect(file.url())
            .await
            .expect("SQLite store");
        let opts = SqliteConnectOptions::from_str(file.url())
            .unwrap()
            .busy_timeout(std::time::Duration::from_secs(10));
        let sqlite_conn = SqliteConnection::connect_with(&opts)
            .await
            .expect("SQLite connection");
        Stores {
            pg: Backend::Postgres(pg, Mutex::new(pg_conn)),
            sqlite: Backend::Sqlite(sqlite, Mutex::new(sqlite_conn), file),
        }
    }

    async fn begin<'a>(
        backend: &'a Backend,
        sc: &Scenario,
        expires: Option<DateTime<Utc>>,
    ) -> Run<'a> {
        let store = backend.store();
        let slug = format!("seq-{}", &Uuid::new_v4().simple().to_string()[..12]);
        let tenant = store
            .create_tenant(
                NewTenant {
                    name: Name::parse(&slug).unwrap(),
                    slug: Slug::parse(&slug).unwrap(),
                },
                &actor(),
            )
            .await
            .unwrap();
        let key_hash = format!("key-{slug}");
        let license = store
            .create_license(
                NewLicense {
                    tenant_id: tenant.id,
                    name: None,
                    key_sealed: "sealed".into(),
                    key_hash: key_hash.clone(),
                    key_hint: "ABCD".into(),
                    seats_total: sc.seats,
                    expires_at: expires,
                    heartbeat_ttl_seconds: sc.ttl_seconds,
                    entitlements: vec![],
                    metadata: Map::new(),
                    is_active: true,
                    max_borrow_hours: sc.max_borrow_hours,
                    product_id: None,
                    subscription: None,
                },
                &actor(),
            )
            .await
            .unwrap();
        Run {
            backend,
            tenant: tenant.id,
            license: license.license.id,
            key_hash,
            sessions: vec![],
        }
    }

    /// Plays `sc` on both stores, step by step in turn; what each answered.
    pub async fn play(&self, sc: &Scenario) -> (Vec<Seen>, Vec<Seen>) {
        let expires = sc
            .expires_in_seconds
            .map(|s| Utc::now() + Duration::seconds(s));
        let mut pg = Self::begin(&self.pg, sc, expires).await;
        let mut sqlite = Self::begin(&self.sqlite, sc, expires).await;
        let (mut a, mut b) = (vec![], vec![]);
        for op in &sc.ops {
            a.push(pg.step(op).await);
            b.push(sqlite.step(op).await);
        }
        (a, b)
    }
}
