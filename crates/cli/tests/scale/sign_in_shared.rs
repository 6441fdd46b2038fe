//! Sign-in throttling shared through Redis: two server processes count one (client,
//! account) pair's failures together, so guessing cannot multiply its tries by the
//! number of replicas, and a staff unlock on one process clears the count for both.

use serde_json::{json, Value};

use crate::support::harness::{http_client, pg_admin_url, Db, OwnRedis, Server, ADMIN_TOKEN};

const ATTACKER: &str = "203.0.113.66";
const OWNER: &str = "198.51.100.7";

/// A sign-in through the (trusted) proxy header as `client`; the status and body.
async fn login(
    http: &reqwest::Client,
    base: &str,
    client: &str,
    password: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = http
        .post(format!("{base}/api/v1/auth/login"))
        .header("x-forwarded-for", client)
        .json(&json!({"email": "owner@example.com", "password": password}))
        .send()
        .await
        .unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_the_sign_in_count_through_redis() {
    let Some(admin) = pg_admin_url() else {
        eprintln!("skipping shared sign-in test: CODITECT_TEST_DATABASE_URL is not set");
        return;
    };
    let Some(redis) = OwnRedis::start().await else {
        eprintln!("skipping shared sign-in test: redis-server is not installed");
        return;
    };
    let db = Db::postgres(&admin).await;
    let env = [
        ("CODITECT_REDIS_URL", redis.url()),
        ("CODITECT_TRUSTED_PROXIES", "127.0.0.1/32".into()),
    ];
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = Server::start(&db, dirs[0].path(), &env).await;
    let b = Server::start(&db, dirs[1].path(), &env).await;
    let http = http_client();
    let setup = http
        .post(format!("{}/api/v1/auth/setup", a.base))
        .json(
            &json!({"bootstrap_token": ADMIN_TOKEN, "email": "owner@example.com",
            "name": "Owner", "password": "owner-password-1"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(setup.status().as_u16(), 201);
    let owner: Value = setup.json().await.unwrap();
    let owner_id = owner["user"]["id"].as_str().unwrap().to_owned();

    // Five wrong passwords from one address, spread over both processes: the sixth is
    // refused on either, which a count per process (3 and 2) would not do.
    for (i, base) in [&a.base, &b.base, &a.base, &b.base, &a.base]
        .iter()
        .enumerate()
    {
        let (status, _, body) = login(&http, base, ATTACKER, "wrong-password-1").await;
        assert_eq!(status, 401, "try {i}: {body}");
    }
    for base in [&a.base, &b.base] {
        let (status, headers, body) = login(&http, base, ATTACKER, "wrong-password-1").await;
        assert_eq!(status, 429, "{body}");
        assert!(headers.contains_key("retry-after"));
    }
    // The owner's own address is not locked out, on either process.
    let (status, _, body) = login(&http, &b.base, OWNER, "owner-password-1").await;
    assert_eq!(status, 200, "{body}");

    // A staff unlock on one process clears the pair for the other too.
    let unlock = http
        .post(format!("{}/api/v1/users/{owner_id}/unlock-sign-in", a.base))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unlock.status().as_u16(), 200);
    let (status, _, body) = login(&http, &b.base, ATTACKER, "wrong-password-1").await;
    assert_eq!(status, 401, "after the unlock: {body}");
    drop((a, b));
    db.drop_db().await;
}
