//! The Rust side of tests/sdk/testbed.py: starts one testbed (a real server, two relays,
//! a control API) per scenario and calls its control API.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::{json, Value};

/// One running testbed; dropping it closes its stdin, which ends it and its server.
pub struct Testbed {
    control: String,
    http: reqwest::Client,
    child: Child,
    stdin: Option<ChildStdin>,
    /// The two addresses of the service (relays) and the server's own.
    pub primary: String,
    pub secondary: String,
}

impl Testbed {
    pub async fn start() -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/sdk/testbed.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--server-bin")
            .arg(env!("CARGO_BIN_EXE_coditect-license"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the SDK testbed");
        let stdin = child.stdin.take();
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("the testbed's first line");
        let line: Value = serde_json::from_str(&first)
            .unwrap_or_else(|e| panic!("the testbed did not start ({e}): {first:?}"));
        let control = line["control"].as_str().expect("control URL").to_owned();
        let mut bed = Self {
            control,
            http: reqwest::Client::new(),
            child,
            stdin,
            primary: String::new(),
            secondary: String::new(),
        };
        let urls = bed.get("/urls").await;
        bed.primary = urls["primary"].as_str().unwrap().to_owned();
        bed.secondary = urls["secondary"].as_str().unwrap().to_owned();
        bed
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> Value {
        let res = req.send().await.expect("the testbed answers");
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "testbed: {status} {body}");
        body
    }

    pub async fn get(&self, path: &str) -> Value {
        self.call(self.http.get(format!("{}{path}", self.control)))
            .await
    }

    pub async fn post(&self, path: &str) -> Value {
        self.call(
            self.http
                .post(format!("{}{path}", self.control))
                .json(&json!({})),
        )
        .await
    }

    /// A license with these fields; returns (key, id).
    pub async fn license(&self, body: Value) -> (String, String) {
        let r = self.call(
            self.http
                .post(format!("{}/licenses", self.control))
                .json(&body),
        );
        let r = r.await;
        (
            r["license_key"].as_str().unwrap().to_owned(),
            r["license_id"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn seats_used(&self, license_id: &str) -> i64 {
        self.get(&format!("/licenses/{license_id}")).await["seats_used"]
            .as_i64()
            .unwrap()
    }

    pub async fn session(&self, session_id: impl std::fmt::Display) -> Value {
        self.get(&format!("/sessions/{session_id}")).await
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.wait();
    }
}
