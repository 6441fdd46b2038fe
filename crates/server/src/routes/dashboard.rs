//! The web dashboard, embedded in the binary from `web/dist` at build time and served
//! under `/dashboard/`: a file when one matches, else `index.html` so the single-page
//! app's own routes survive a reload. Hashed assets are cached for a year; `index.html`
//! never, so a new build reaches browsers at once.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use include_dir::{include_dir, Dir};

use crate::http::ApiError;

static DIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../web/dist");

fn mime(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

fn file_response(path: &str, body: &'static [u8], immutable: bool) -> Response {
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime(path)));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "referrer-policy",
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    res
}

fn index() -> Response {
    match DIST.get_file("index.html") {
        Some(f) => file_response("index.html", f.contents(), false),
        None => ApiError::not_found().into_response(),
    }
}

/// `/` and `/dashboard`: to the dashboard.
pub async fn to_dashboard() -> Redirect {
    Redirect::temporary("/dashboard/")
}

/// `/dashboard/`: the app.
pub async fn root() -> Response {
    index()
}

/// `/dashboard/{*path}`: a built file, or the app for any route of its own. A missing
/// file under `assets/` (a stale hashed name) is a `404`, not the app.
pub async fn asset(Path(path): Path<String>) -> Response {
    if let Some(f) = DIST.get_file(&path) {
        let immutable = path.starts_with("assets/");
        return file_response(&path, f.contents(), immutable);
    }
    if path.starts_with("assets/") {
        return ApiError::not_found().into_response();
    }
    index()
}
