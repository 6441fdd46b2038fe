//! HTTP plumbing shared by every route: errors, extractors, field parsing, middleware.

pub mod client_ip;
pub mod error;
pub mod extract;
pub mod fields;
pub mod middleware;

pub use error::{ApiError, ApiResult};
