//! Test tools for the dashboard API: a tiny SMTP server started by the test itself, and
//! a signed-in browser session (cookie + CSRF token) without a cookie jar.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::support::helpers::*;

/// A mail the test SMTP server accepted.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Mail {
    /// The mail's text with quoted-printable soft breaks and `=3D` undone.
    pub fn text(&self) -> String {
        self.data.replace("=\r\n", "").replace("=3D", "=")
    }

    /// The text after `token=` in the mail's link, quoted-printable soft breaks undone.
    pub fn token(&self) -> String {
        let text = self.data.replace("=\r\n", "").replace("=3D", "=");
        let start = text.find("token=").expect("a link with a token") + "token=".len();
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

/// A minimal SMTP server on 127.0.0.1 speaking just enough of RFC 5321 to accept mail.
pub struct SmtpServer {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpServer {
    /// Listens on `port` (0: any free port).
    pub async fn start(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind SMTP");
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let sink = mails.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let sink = sink.clone();
                tokio::spawn(async move {
                    let _ = session(sock, sink).await;
                });
            }
        });
        Self { port, mails, task }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Waits until `n` mails arrived (panics after `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            {
                let m = self.mails.lock().unwrap();
                if m.len() >= n {
                    return m.clone();
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} mails within {secs} s, got {}",
                self.mails.lock().unwrap().len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The last mail to `to`.
    pub async fn mail_to(&self, to: &str, secs: u64) -> Mail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(m) = self
                .mails
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|m| m.to.iter().any(|t| t.contains(to)))
            {
                return m.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no mail to {to} within {secs} s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first mail to `to` whose text (quoted-printable undone) contains `needle`.
    pub async fn mail_with(&self, to: &str, needle: &str, secs: u64) -> Mail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(m) = self.mails.lock().unwrap().iter().find(|m| {
                m.to.iter()
                    .any(|t| t.to_lowercase().contains(&to.to_lowercase()))
                    && m.text().contains(needle)
            }) {
                return m.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no mail to {to} with {needle:?} within {secs} s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

async fn session(sock: tokio::net::TcpStream, sink: Arc<Mutex<Vec<Mail>>>) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut lines = BufReader::new(r).lines();
    w.write_all(b"220 test-smtp ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            w.write_all(b"250-test-smtp\r\n250 8BITMIME\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().to_owned();
            to.clear();
            w.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(line[8..].trim().to_owned());
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                // Dot-stuffing: a leading ".." stands for ".".
                data.push_str(if l.starts_with("..") { &l[1..] } else { &l });
                data.push_str("\r\n");
            }
            sink.lock().unwrap().push(Mail {
                from: from.clone(),
                to: to.clone(),
                data,
            });
            w.write_all(b"250 queued\r\n").await?;
        } else if upper == "QUIT" {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            w.write_all(b"250 OK\r\n").await?;
        }
    }
    Ok(())
}

/// A signed-in dashboard session.
#[derive(Clone, Debug)]
pub struct WebSession {
    pub cookie: String,
    pub csrf: String,
    pub user: Value,
}

/// The `coditect_session=…` pair of a response's `Set-Cookie`.
pub fn session_cookie(r: &Reply) -> String {
    let set = r
        .headers
        .get("set-cookie")
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap();
    set.split(';').next().unwrap().trim().to_owned()
}

impl WebSession {
    pub fn from_reply(r: Reply) -> Self {
        let cookie = session_cookie(&r);
        Self {
            cookie,
            csrf: r.body["csrf_token"]
                .as_str()
                .expect("csrf_token")
                .to_owned(),
            user: r.body["user"].clone(),
        }
    }
}

impl TestApp {
    /// A request authenticated by the session cookie, with or without its CSRF token.
    pub async fn web(
        &self,
        s: &WebSession,
        method: &str,
        path: &str,
        body: Option<Value>,
        with_csrf: bool,
    ) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(m, self.url(path))
            .header("cookie", &s.cookie);
        if with_csrf {
            req = req.header("x-csrf-token", &s.csrf);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    /// First-run setup of the staff user `staff@example.com`.
    pub async fn setup_staff(&self) -> WebSession {
        let r = self
            .call(
                "POST",
                "/api/v1/auth/setup",
                None,
                Some(
                    json!({"bootstrap_token": ADMIN_TOKEN, "email": "Staff@Example.com",
                    "name": "Staff", "password": "staff-password-1"}),
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        WebSession::from_reply(r)
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    /// Invites `email` to a tenant as `role` (as the staff session), reads the link from
    /// the mail and accepts it; returns the new member's session.
    pub async fn invite_and_accept(
        &self,
        smtp: &SmtpServer,
        staff: &WebSession,
        tenant_id: &str,
        email: &str,
        role: &str,
    ) -> WebSession {
        self.web(
            staff,
            "POST",
            &format!("/api/v1/tenants/{tenant_id}/invitations"),
            Some(json!({"email": email, "role": role})),
            true,
        )
        .await
        .expect(201);
        let mail = smtp.mail_to(email, 10).await;
        let r = self
            .call(
                "POST",
                "/api/v1/invitations/accept",
                None,
                Some(
                    json!({"token": mail.token(), "name": email, "password": "member-password-1"}),
                ),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        WebSession::from_reply(r)
    }
}

/// A test server whose mails go to a fresh test SMTP server.
pub async fn app_with_mail() -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(move |c| c.smtp_url = Some(url)).await;
    (app, smtp)
}
