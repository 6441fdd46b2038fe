//! HTTP plumbing shared by every route: errors, extractors, field parsing, middleware.

pub mod body_limit;
pub mod client_ip;
pub mod csv;
pub mod error;
pub mod extract;
pub mod fields;
pub mod middleware;
pub mod sign_in_throttle;
pub mod web_session;

pub use error::{ApiError, ApiResult};
