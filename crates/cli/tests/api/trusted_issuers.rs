//! Machine access with JWTs from an identity platform a tenant trusts: access tokens of a
//! real OpenID provider's client-credentials grant act as tokens of that tenant with the
//! mapped role, are `404` on another tenant, and a token signed by another key, for
//! another audience, expired, or naming an unmapped role is `401`. Registration refuses
//! private JWKS addresses and a second registration of an issuer and audience.

use serde_json::{json, Value};

use crate::support::helpers::*;
use crate::support::oidc::OidcProvider;

const AUDIENCE: &str = "https://licensing.example.test/api";

struct World {
    app: TestApp,
    idp: OidcProvider,
    a: crate::support::fixtures::TenantFixture,
    b: crate::support::fixtures::TenantFixture,
    registration: Value,
}

async fn world(roles: Value) -> World {
    let idp = OidcProvider::start().await;
    let app = spawn_app_with(|c| c.identity.allow_http = true).await;
    let (a, b) = (app.tenant_fixture().await, app.tenant_fixture().await);
    let body = json!({"issuer": idp.issuer, "jwks_url": idp.jwks_url(), "audience": AUDIENCE,
        "role_claim": "coditect_role", "roles": roles});
    let r = app
        .call(
            "POST",
            &format!("/api/v1/tenants/{}/trusted-issuers", a.id),
            Some(&a.admin),
            Some(body),
        )
        .await;
    let registration = r.expect(201);
    World {
        app,
        idp,
        a,
        b,
        registration,
    }
}

impl World {
    async fn machine(&self, client: &str, role: &str) -> String {
        self.idp
            .client(
                client,
                "machine-secret-1",
                "http://127.0.0.1:9/unused",
                json!({"coditect_role": role}),
            )
            .await;
        self.idp
            .machine_token(client, "machine-secret-1", AUDIENCE)
            .await
    }

    fn claims(&self, extra: Value) -> Value {
        let now = chrono::Utc::now().timestamp();
        let mut c = json!({"iss": self.idp.issuer, "aud": AUDIENCE, "sub": "ci-runner",
            "iat": now, "exp": now + 300, "coditect_role": "admin"});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    }
}

#[tokio::test]
async fn a_trusted_issuers_token_reads_and_writes_its_tenant_and_is_404_on_another() {
    let w = world(json!({"admin": "admin", "*": "read_only"})).await;
    assert_eq!(
        w.registration["roles"],
        json!({"*": "read_only", "admin": "admin"})
    );
    let jwt = w.machine("deployer", "admin").await;
    assert_eq!(jwt.split('.').count(), 3, "a JWT access token");
    let r = w
        .app
        .call(
            "GET",
            &format!("/api/v1/tenants/{}/licenses", w.a.id),
            Some(&jwt),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let made = w
        .app
        .call(
            "POST",
            &format!("/api/v1/tenants/{}/licenses", w.a.id),
            Some(&jwt),
            Some(json!({"seats_total": 3, "product_id": "jwt-made"})),
        )
        .await
        .expect(201);
    let audit = w.app.audit_entries(&w.a.id).await;
    let entry = audit
        .iter()
        .find(|e| e["action"] == "license.create" && e["resource_id"] == made["id"])
        .expect("the creation is audited");
    assert_eq!(entry["actor"]["type"], "jwt");
    assert_eq!(entry["actor"]["id"], w.registration["id"]);
    assert_eq!(entry["actor"]["name"], "deployer");
    let r = w
        .app
        .call(
            "GET",
            &format!("/api/v1/tenants/{}/licenses", w.b.id),
            Some(&jwt),
            None,
        )
        .await;
    r.expect_error(404, "not_found");

    // The default role reads only.
    let reader = w.machine("dashboard-bot", "observer").await;
    let r = w
        .app
        .call(
            "GET",
            &format!("/api/v1/tenants/{}/licenses", w.a.id),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    w.app
        .call(
            "POST",
            &format!("/api/v1/tenants/{}/licenses", w.a.id),
            Some(&reader),
            Some(json!({"seats_total": 1})),
        )
        .await
        .expect_error(403, "forbidden");
}

#[tokio::test]
async fn a_token_of_another_key_audience_or_expired_is_401() {
    let w = world(json!({"admin": "admin"})).await;
    let path = format!("/api/v1/tenants/{}/licenses", w.a.id);
    let good = w.idp.mint(w.claims(json!({})), "provider").await;
    assert_eq!(
        w.app.call("GET", &path, Some(&good), None).await.status,
        200
    );
    let now = chrono::Utc::now().timestamp();
    let bad = [
        (w.claims(json!({})), "foreign"),
        (
            w.claims(json!({"aud": "https://other.example/api"})),
            "provider",
        ),
        (
            w.claims(json!({"exp": now - 120, "iat": now - 400})),
            "provider",
        ),
        (w.claims(json!({"nbf": now + 600})), "provider"),
        (
            w.claims(json!({"iss": "https://not-trusted.example"})),
            "provider",
        ),
        (w.claims(json!({"coditect_role": "guest"})), "provider"),
        (w.claims(json!({"exp": null})), "provider"),
    ];
    for (claims, key) in bad {
        let t = w.idp.mint(claims.clone(), key).await;
        let r = w.app.call("GET", &path, Some(&t), None).await;
        assert_eq!(r.status, 401, "{claims} {key}: {}", r.body);
        assert_eq!(r.code(), "unauthorized");
    }
    // Removing the registration stops its tokens.
    let id = w.registration["id"].as_str().unwrap();
    w.app
        .call(
            "DELETE",
            &format!("/api/v1/tenants/{}/trusted-issuers/{id}", w.a.id),
            Some(&w.a.admin),
            None,
        )
        .await
        .expect(200);
    w.app
        .call("GET", &path, Some(&good), None)
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn registrations_refuse_private_addresses_duplicates_and_bad_role_maps() {
    let w = world(json!({"admin": "admin"})).await;
    let path = format!("/api/v1/tenants/{}/trusted-issuers", w.b.id);
    let base = json!({"issuer": w.idp.issuer, "jwks_url": w.idp.jwks_url(), "audience": AUDIENCE,
        "role_claim": "coditect_role", "roles": {"admin": "admin"}});
    let r = w
        .app
        .call("POST", &path, Some(&w.b.admin), Some(base.clone()))
        .await;
    r.expect_error(409, "conflict");
    assert_eq!(r.body["error"]["details"]["field"], "issuer");
    let mut cases = Vec::new();
    for (field, value) in [
        ("jwks_url", json!("https://169.254.169.254/jwks")),
        ("jwks_url", json!("https://10.0.0.7/jwks")),
        ("jwks_url", json!("http://idp.example/jwks")),
        ("roles", json!({"admin": "superadmin"})),
        ("roles", json!({})),
        ("role_claim", json!("")),
    ] {
        let mut b = base.clone();
        b[field] = value.clone();
        b["audience"] = json!("another-audience");
        cases.push((field, value, b));
    }
    for (field, value, body) in cases {
        let r = w
            .app
            .call("POST", &path, Some(&w.b.admin), Some(body))
            .await;
        r.expect_error(422, "validation_error");
        assert!(
            r.body["error"]["details"]["fields"][field].is_string(),
            "{field} = {value}: {}",
            r.body
        );
    }
    // Readers may not see or register them.
    w.app
        .call("GET", &path, Some(&w.b.reader), None)
        .await
        .expect_error(403, "forbidden");
    let list = w
        .app
        .call(
            "GET",
            &format!("/api/v1/tenants/{}/trusted-issuers", w.a.id),
            Some(&w.a.admin),
            None,
        )
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
