//! HTTP plumbing shared by every route: errors, extractors, field parsing, middleware.

pub mod body_limit;
pub mod client_ip;
pub mod csv;
pub mod error;
pub mod extract;
mod failure_limiter;
pub mod fields;
pub mod middleware;
mod sign_in_redis;
pub mod sign_in_throttle;
mod token_auth;
pub mod web_session;

pub use error::{ApiError, ApiResult};
