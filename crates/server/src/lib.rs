//! The CODITECT License Server's HTTP layer. A request enters at [`routes::router`],
//! passes the middleware in [`http::middleware`], is parsed by the extractors in
//! [`http::extract`], and lands in a handler under [`routes`], which calls the
//! [`coditect_storage::Store`] chosen by the database URL.

pub mod app;
pub mod background;
pub mod billing;
pub mod bootstrap;
pub mod config;
pub mod crypto;
pub mod http;
pub mod http_server;
pub mod identity;
pub mod mail;
pub mod openapi;
pub mod outgoing;
pub mod request_limits;
pub mod routes;
pub mod seat_hours;
pub mod state;
pub mod telemetry;
pub mod views;
pub mod views_accounts;
pub mod views_billing;
pub mod views_webhooks;
pub mod waits;

pub use app::{build_state, rewrap_secrets, rotate_signing_key, serve, spawn, RunningServer};
pub use config::{BillingConfig, Config, ConnectionLimits};
pub use crypto::keys::SigningAlg;
pub use state::{open_store, AppState};
