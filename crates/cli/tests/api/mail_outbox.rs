//! Issue 15 point 1, the staff outbox: mails listed newest first without their bodies
//! (a queued body holds a one-time link), who may see them, and the retry of a mail the
//! mail server refused for good.

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::mail_honesty::{accept, invite, token_of};
use crate::support::helpers::*;
use crate::support::web::*;

/// A mail server that refuses every recipient for good (`550`): mails fail at once.
async fn refusing_smtp() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 refuser ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let cmd = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match cmd.as_str() {
                        "EHLO" | "HELO" => b"250 refuser\r\n",
                        "MAIL" | "RSET" | "NOOP" => b"250 ok\r\n",
                        "RCPT" => b"550 5.1.1 no such user here\r\n",
                        "QUIT" => b"221 bye\r\n",
                        _ => b"502 not implemented\r\n",
                    };
                    if w.write_all(answer).await.is_err() || cmd == "QUIT" {
                        break;
                    }
                }
            });
        }
    });
    format!("smtp://127.0.0.1:{port}")
}

async fn failed_mails(app: &TestApp, s: &WebSession) -> Value {
    for _ in 0..100 {
        let page = app
            .web(s, "GET", "/api/v1/outbox?state=failed", None, false)
            .await
            .expect(200);
        if !page["items"].as_array().unwrap().is_empty() {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no mail failed within 10 s");
}

#[tokio::test]
async fn outbox_shows_no_bodies_and_retries_a_failed_mail() {
    let url = refusing_smtp().await;
    let app = spawn_app_with(move |c| c.smtp_url = Some(url)).await;
    let staff = app.setup_staff().await;
    let t = app.create_tenant("bounceco").await;
    let tid = t["id"].as_str().unwrap();
    let issued = invite(&app, &staff, tid, "gone@bounce.example", "viewer")
        .await
        .expect(201);
    let page = failed_mails(&app, &staff).await;
    let m = &page["items"][0];
    assert_eq!(
        (&m["recipient"], &m["kind"], &m["state"], &m["attempts"]),
        (
            &json!("gone@bounce.example"),
            &json!("invitation"),
            &json!("failed"),
            &json!(1)
        )
    );
    assert!(
        m["last_error"].as_str().unwrap().contains("no such user"),
        "{m}"
    );
    assert_eq!(page["totals"]["failed"], 1);
    assert_eq!(page["mail_configured"], true);
    let text = page.to_string();
    assert!(
        m.get("body").is_none() && m.get("body_sealed").is_none(),
        "{m}"
    );
    assert!(
        !text.contains(&token_of(&issued)),
        "the outbox must not show the link"
    );
    // Retry: queued at once with its attempts counted from 0 (a new failure waits the
    // first backoff step, not the longest), tried again, refused again (one attempt).
    let id = m["id"].as_str().unwrap();
    let retried = app
        .web(
            &staff,
            "POST",
            &format!("/api/v1/outbox/{id}/retry"),
            None,
            true,
        )
        .await
        .expect(200);
    assert_eq!(
        (&retried["state"], &retried["attempts"]),
        (&json!("queued"), &json!(0))
    );
    let mut again = Value::Null;
    for _ in 0..100 {
        let p = failed_mails(&app, &staff).await;
        if p["items"][0]["id"] == id {
            again = p["items"][0].clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        again["attempts"], 1,
        "the retried mail was tried again: {again}"
    );
    // Who may: staff (cookie or superadmin token); not a tenant member, not anonymous.
    app.admin("GET", "/api/v1/outbox", None).await.expect(200);
    let member_inv = invite(&app, &staff, tid, "owner@bounce.example", "owner")
        .await
        .expect(201);
    let owner = WebSession::from_reply(accept(&app, &token_of(&member_inv)).await);
    app.web(&owner, "GET", "/api/v1/outbox", None, false)
        .await
        .expect_error(403, "forbidden");
    app.web(
        &owner,
        "POST",
        &format!("/api/v1/outbox/{id}/retry"),
        None,
        true,
    )
    .await
    .expect_error(403, "forbidden");
    app.call("GET", "/api/v1/outbox", None, None)
        .await
        .expect_error(401, "unauthorized");
    // Bad input: an unknown mail, a bad filter.
    let unknown = uuid::Uuid::now_v7();
    app.web(
        &staff,
        "POST",
        &format!("/api/v1/outbox/{unknown}/retry"),
        None,
        true,
    )
    .await
    .expect_error(404, "not_found");
    app.web(&staff, "GET", "/api/v1/outbox?state=bounced", None, false)
        .await
        .expect_error(422, "validation_error");
}

#[tokio::test]
async fn retrying_a_mail_that_did_not_fail_is_a_conflict() {
    let app = spawn_app().await;
    let staff = app.setup_staff().await;
    let t = app.create_tenant("queueco").await;
    invite(
        &app,
        &staff,
        t["id"].as_str().unwrap(),
        "q@example.com",
        "viewer",
    )
    .await
    .expect(201);
    let page = app
        .web(&staff, "GET", "/api/v1/outbox", None, false)
        .await
        .expect(200);
    assert_eq!(page["mail_configured"], false);
    let m = &page["items"][0];
    assert_eq!(
        (&m["state"], &page["totals"]["queued"]),
        (&json!("queued"), &json!(1))
    );
    let id = m["id"].as_str().unwrap();
    let r = app
        .web(
            &staff,
            "POST",
            &format!("/api/v1/outbox/{id}/retry"),
            None,
            true,
        )
        .await;
    r.expect_error(409, "conflict");
    assert_eq!(r.body["error"]["details"]["state"], "queued");
}
