//! Row-level security on PostgreSQL: a transaction scoped to one tenant cannot read or
//! write another tenant's rows even when its SQL carries no tenant filter at all, and the
//! server's own connections are bound by the policies. Skipped unless
//! `CODITECT_TEST_DATABASE_URL` names a PostgreSQL server (see pg_smoke.rs); runs in a
//! database of its own, dropped afterwards; CI fails on the skip.

use coditect_domain::input::{Name, Slug};
use coditect_domain::{Actor, ActorType, MemberRole, NewLicense, NewTenant, SeatError};
use coditect_storage::prelude::*;
use coditect_storage::{
    AcquireRequest, InviteeAccount, NewInvitation, NewMail, OneTime, StoreError,
};
use coditect_storage_postgres::{PgStore, APP_ROLE};
use coditect_test_support::TestDatabase;
use serde_json::Map;
use sqlx::{Connection, Executor, PgConnection, Row};
use uuid::Uuid;

fn actor() -> Actor {
    Actor {
        actor_type: ActorType::Superadmin,
        id: None,
        name: Some("rls-test".into()),
    }
}

/// A tenant with one license of one seat and a live session on it, a refused acquire (a
/// denial), a usage sample and an accepted invitation (a member); returns (tenant id,
/// license id). Every write goes through the store, so through its scopes.
async fn tenant_with_session(store: &PgStore, slug: &str) -> (Uuid, Uuid) {
    let t = store
        .create_tenant(
            NewTenant {
                name: Name::parse(slug).unwrap(),
                slug: Slug::parse(slug).unwrap(),
            },
            &actor(),
        )
        .await
        .unwrap();
    let key_hash = format!("hash-{slug}");
    let l = store
        .create_license(
            NewLicense {
                tenant_id: t.id,
                name: Some(slug.into()),
                key_sealed: format!("sealed-{slug}"),
                key_hash: key_hash.clone(),
                key_hint: "ABCD".into(),
                seats_total: 1,
                expires_at: None,
                heartbeat_ttl_seconds: 300,
                entitlements: vec![],
                metadata: Map::new(),
                is_active: true,
                max_borrow_hours: 0,
                product_id: None,
                subscription: None,
            },
            &actor(),
        )
        .await
        .unwrap();
    let acquire = |hw: String| AcquireRequest {
        key_hash: key_hash.clone(),
        hardware_id: hw,
        user_email: None,
        client: None,
        waiter: None,
        borrow_hours: None,
    };
    store.acquire(acquire(format!("hw-{slug}"))).await.unwrap();
    // The refusal is recorded in the refused acquire's own transaction.
    let refused = store.acquire(acquire(format!("hw2-{slug}"))).await;
    assert!(
        matches!(refused, Err(StoreError::Seat(SeatError::NoSeats { .. }))),
        "{refused:?}"
    );
    // A refused queued acquire keeps its place: a seat_waiters row of this tenant.
    let mut queued = acquire(format!("hw3-{slug}"));
    queued.waiter = Some(uuid::Uuid::now_v7());
    assert!(store.acquire(queued).await.is_err());
    assert!(
        store
            .sample_usage(60, chrono::Duration::minutes(5))
            .await
            .unwrap()
            >= 1
    );
    let token_hash = format!("invite-{slug}");
    store
        .create_invitation(
            NewInvitation {
                tenant_id: t.id,
                email: format!("{slug}@example.com"),
                role: MemberRole::Admin,
                token_hash: token_hash.clone(),
                ttl: chrono::Duration::days(1),
            },
            NewMail {
                kind: "invitation",
                recipient: format!("{slug}@example.com"),
                subject: "join".into(),
                body_sealed: "sealed".into(),
            },
            &actor(),
        )
        .await
        .unwrap();
    let accepted = store
        .accept_invitation(
            &token_hash,
            InviteeAccount {
                name: slug.into(),
                password_hash: Some("argon2-hash".into()),
            },
        )
        .await
        .unwrap();
    assert!(matches!(accepted, OneTime::Usable(_)));
    (t.id, l.license.id)
}

/// Counts rows of `table` visible in a transaction scoped to `scope` with no filter.
async fn visible(conn: &mut PgConnection, scope: Option<Uuid>, sql: &str) -> i64 {
    let mut tx = conn.begin().await.unwrap();
    if let Some(t) = scope {
        tx.execute(format!("SET LOCAL app.tenant_id = '{t}'").as_str())
            .await
            .unwrap();
    }
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
    n
}

async fn check(url: String) {
    let store = PgStore::connect(&url).await.expect("connect");
    let (a, _) = tenant_with_session(&store, "tenant-a").await;
    let (b, lic_b) = tenant_with_session(&store, "tenant-b").await;

    // Raw SQL with the tenant filter removed, as the role the server runs as.
    let mut conn = PgConnection::connect(&url).await.unwrap();
    conn.execute(format!("SET ROLE {APP_ROLE}").as_str())
        .await
        .unwrap();
    for table in [
        "licenses",
        "sessions",
        "audit_log",
        "api_tokens",
        "memberships",
        "invitations",
        "usage_samples",
        "usage_denials",
    ] {
        let mine = format!("SELECT count(*) FROM {table} WHERE tenant_id = '{a}'");
        let expected = i64::from(table != "api_tokens");
        assert!(
            visible(&mut conn, Some(a), &mine).await >= expected,
            "tenant A's transaction does not see its own {table}"
        );
        let other = format!("SELECT count(*) FROM {table} WHERE tenant_id = '{b}'");
        assert_eq!(
            visible(&mut conn, Some(a), &other).await,
            0,
            "tenant A's transaction read tenant B's {table}"
        );
        let all = format!("SELECT count(*) FROM {table} WHERE tenant_id <> '{a}'");
        assert_eq!(visible(&mut conn, Some(a), &all).await, 0, "{table}");
        let unscoped = format!("SELECT count(*) FROM {table}");
        assert_eq!(
            visible(&mut conn, None, &unscoped).await,
            0,
            "an unscoped transaction read {table}"
        );
    }
    let own = visible(&mut conn, Some(a), "SELECT count(*) FROM sessions").await;
    assert_eq!(own, 1, "tenant A sees its own session");
    let tenants = visible(&mut conn, Some(a), "SELECT count(*) FROM tenants").await;
    assert_eq!(tenants, 1, "tenant A sees only its own tenant row");

    // Writes: updating B's rows touches nothing, inserting a row for B is refused.
    let mut tx = conn.begin().await.unwrap();
    tx.execute(format!("SET LOCAL app.tenant_id = '{a}'").as_str())
        .await
        .unwrap();
    let hit = sqlx::query("UPDATE sessions SET status = 'released' WHERE tenant_id = $1")
        .bind(b)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(hit.rows_affected(), 0);
    let insert = sqlx::query(
        "INSERT INTO sessions (id, tenant_id, license_id, hardware_id, status, created_at, \
         last_heartbeat_at, expires_at) VALUES ($1, $2, $3, 'x', 'active', now(), now(), \
         now() + interval '1 hour')",
    )
    .bind(Uuid::now_v7())
    .bind(b)
    .bind(lic_b)
    .execute(&mut *tx)
    .await;
    let e = insert.expect_err("a row for another tenant is refused");
    assert!(e.to_string().contains("row-level security"), "{e}");
    tx.rollback().await.unwrap();

    // The server's connections run as the policed role: everything the store did above
    // went through the policies (tenant B's session is still live, untouched).
    let live_b = visible(
        &mut conn,
        Some(b),
        "SELECT count(*) FROM sessions WHERE status = 'active'",
    )
    .await;
    assert_eq!(live_b, 1);
    conn.execute("RESET ROLE").await.unwrap();
    let role_ok: bool = sqlx::query_scalar(
        "SELECT NOT rolsuper AND NOT rolbypassrls FROM pg_roles WHERE rolname = $1",
    )
    .bind(APP_ROLE)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(role_ok, "{APP_ROLE} must be bound by row-level security");

    // Every tenant-owned table (one with a tenant_id column) has forced policies, so a
    // table added later without them fails here. license_keys is the tenant-agnostic
    // lookup by design.
    let unpoliced = sqlx::query(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' \
         WHERE c.relkind = 'r' AND n.nspname = current_schema() \
         AND c.relname <> 'license_keys' \
         AND NOT (c.relrowsecurity AND c.relforcerowsecurity \
                  AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let names: Vec<String> = unpoliced.iter().map(|r| r.get(0)).collect();
    assert!(
        names.is_empty(),
        "tenant tables without forced row-level security: {names:?}"
    );
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_transaction_cannot_read_other_tenants_rows() {
    let Some(db) = TestDatabase::postgres_or_skip("PostgreSQL row-level security test").await
    else {
        return;
    };
    db.run_then_drop(check).await;
}
