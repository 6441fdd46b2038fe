//! The README's walk-through: `coditect-license stripe sign-event` signs the example
//! events in `examples/stripe/`, and the server takes them as it takes Stripe's.

use serde_json::json;

use crate::support::billing::{billing_app, SECRET};

async fn signed(file: &std::path::Path) -> String {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_coditect-license"))
        .args(["stripe", "sign-event"])
        .arg(file)
        .env_clear()
        .env(
            "CODITECT_STRIPE_WEBHOOK_SECRETS",
            format!("{SECRET},whsec_other_secret_0123456789"),
        )
        .output()
        .await
        .expect("run the binary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn the_example_events_signed_by_the_binary_sell_and_end_a_license() {
    let (app, _smtp) = billing_app().await;
    app.admin(
        "POST",
        "/api/v1/products",
        Some(json!({"slug": "cad-pro", "name": "CAD Pro",
        "seats_per_unit": 2, "stripe_price_ids": ["price_cad_pro_monthly"]})),
    )
    .await
    .expect(201);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/stripe");
    let post = |name: &'static str| {
        let dir = dir.clone();
        let app = &app;
        async move {
            let file = dir.join(format!("{name}.json"));
            let sig = signed(&file).await;
            assert!(sig.starts_with("t=") && sig.contains(",v1="), "{sig}");
            let body = std::fs::read(&file).unwrap();
            let req = app
                .http
                .post(app.url("/api/v1/billing/stripe/webhook"))
                .header("stripe-signature", sig)
                .header("content-type", "application/json")
                .body(body);
            app.send(req).await.expect(200)
        }
    };
    post("checkout.session.completed").await;
    post("customer.subscription.created").await;
    let l = app.license_of("cus_example", "sub_example").await;
    assert_eq!(l["seats_total"], 6);
    assert_eq!(l["subscription"]["status"], "active");
    let t = app.tenant_of_customer("cus_example").await.unwrap();
    assert_eq!(t["name"], "Buyer Corp");
    post("customer.subscription.deleted").await;
    let l = app.license_of("cus_example", "sub_example").await;
    assert_eq!(l["subscription"]["status"], "canceled");
    assert_eq!(l["expires_at"], "2027-01-02T00:00:00Z");
    assert!(app
        .billing_events()
        .await
        .iter()
        .all(|e| e["status"] == "applied"));
}
