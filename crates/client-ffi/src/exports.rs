//! The exported C functions. This is the only module with `unsafe`: raw pointers from C
//! are turned into references and strings here, each at one place with its reasoning, and
//! everything past that is the safe blocking client.

#![allow(unsafe_code)]

use std::ffi::{c_char, CStr, CString};
use std::sync::Mutex;
use std::time::Duration;

use coditect_license_client::{blocking, ClientConfig, VerifiedToken};

use crate::errors::{self, guard, invalid, CoditectLeaseState, CoditectStatus, Failure};

/// A client for one license on one server (opaque).
pub struct CoditectClient {
    inner: blocking::LicenseClient,
}

/// A held seat that heartbeats on a background thread (opaque).
pub struct CoditectLease {
    inner: Mutex<Option<blocking::Lease>>,
}

/// A token that passed offline verification (opaque).
pub struct CoditectToken {
    inner: VerifiedToken,
}

/// Reads a required string argument.
///
/// # Safety
/// `p` must be null or point to a NUL-terminated string valid for the call.
unsafe fn arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(invalid(format!("{name} is null")));
    }
    // SAFETY: non-null, and the caller guarantees a NUL-terminated string that outlives
    // this call; the borrow does not escape the exported function.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map_err(|_| invalid(format!("{name} is not valid UTF-8")))
}

/// Reads an optional string argument (null or empty means absent).
///
/// # Safety
/// As [`arg`].
unsafe fn opt_arg<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: same contract as `arg`, which this forwards to.
    let s = unsafe { arg(p, name) }?;
    Ok(Some(s).filter(|s| !s.is_empty()))
}

/// Borrows a handle.
///
/// # Safety
/// `p` must be null or a pointer this library returned and that was not freed yet.
unsafe fn handle<'a, T>(p: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller guarantees `p` is null or a live handle from `Box::into_raw`.
    unsafe { p.as_ref() }.ok_or_else(|| invalid(format!("{name} is null")))
}

/// Stores a value in an out-parameter.
///
/// # Safety
/// `out` must be null or valid for a write of one `*mut T`.
unsafe fn put<T>(out: *mut *mut T, value: *mut T) -> Result<(), Failure> {
    if out.is_null() {
        return Err(invalid("the out pointer is null"));
    }
    // SAFETY: non-null and, by the caller's contract, valid for writes.
    unsafe { out.write(value) };
    Ok(())
}

/// Checks an out-parameter before any work is done, so a failure leaks nothing.
fn need_out<T>(out: *mut *mut T) -> Result<(), Failure> {
    if out.is_null() {
        return Err(invalid("the out pointer is null"));
    }
    Ok(())
}

fn c_string(s: &str) -> Result<*mut c_char, Failure> {
    CString::new(s)
        .map(CString::into_raw)
        .map_err(|_| invalid("the string contains a NUL byte"))
}

/// Creates a client. `hardware_id` and `jwks_cache_path` may be null (defaults: the
/// machine's hashed id or `CODITECT_HARDWARE_ID`; the user's cache directory).
///
/// # Safety
/// String arguments must be null or NUL-terminated; `out_client` must be writable.
#[no_mangle]
pub unsafe extern "C" fn coditect_client_new(
    server_url: *const c_char,
    license_key: *const c_char,
    product: *const c_char,
    hardware_id: *const c_char,
    jwks_cache_path: *const c_char,
    out_client: *mut *mut CoditectClient,
) -> CoditectStatus {
    guard(|| {
        need_out(out_client)?;
        // SAFETY: the caller passes NUL-terminated strings or null (documented above).
        let (url, key, product, hw, cache) = unsafe {
            (
                arg(server_url, "server_url")?,
                arg(license_key, "license_key")?,
                arg(product, "product")?,
                opt_arg(hardware_id, "hardware_id")?,
                opt_arg(jwks_cache_path, "jwks_cache_path")?,
            )
        };
        let mut cfg = ClientConfig::new(url, key, product);
        cfg.hardware_id = hw.map(str::to_owned);
        cfg.jwks_cache = cache.map(Into::into);
        let client = blocking::LicenseClient::new(cfg)?;
        let raw = Box::into_raw(Box::new(CoditectClient { inner: client }));
        // SAFETY: `out_client` was checked non-null and the caller guarantees it writable.
        unsafe { put(out_client, raw) }
    })
}

/// Frees a client (null is ignored). Leases made from it stay valid.
///
/// # Safety
/// `client` must be null or a live client handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn coditect_client_free(client: *mut CoditectClient) {
    if !client.is_null() {
        // SAFETY: a live handle from `Box::into_raw` in `coditect_client_new`, freed once.
        drop(unsafe { Box::from_raw(client) });
    }
}

/// The hardware id the client acquires with (free it with `coditect_string_free`).
///
/// # Safety
/// `client` must be a live handle; `out` must be writable.
#[no_mangle]
pub unsafe extern "C" fn coditect_client_hardware_id(
    client: *const CoditectClient,
    out: *mut *mut c_char,
) -> CoditectStatus {
    guard(|| {
        need_out(out)?;
        // SAFETY: the caller passes a live client handle.
        let c = unsafe { handle(client, "client") }?;
        let s = c_string(c.inner.hardware_id())?;
        // SAFETY: `out` was checked non-null and is writable by contract.
        unsafe { put(out, s) }
    })
}

/// Takes a seat; when the license is full, waits up to `wait_seconds` (0–300) for one.
/// The lease heartbeats on a background thread until released or freed.
///
/// # Safety
/// `client` must be a live handle; `out_lease` must be writable.
#[no_mangle]
pub unsafe extern "C" fn coditect_acquire(
    client: *const CoditectClient,
    wait_seconds: u32,
    out_lease: *mut *mut CoditectLease,
) -> CoditectStatus {
    guard(|| {
        need_out(out_lease)?;
        if wait_seconds > 300 {
            return Err(invalid("wait_seconds must be at most 300"));
        }
        // SAFETY: the caller passes a live client handle.
        let c = unsafe { handle(client, "client") }?;
        let lease = c
            .inner
            .acquire_waiting(Duration::from_secs(u64::from(wait_seconds)))?;
        let raw = Box::into_raw(Box::new(CoditectLease {
            inner: Mutex::new(Some(lease)),
        }));
        // SAFETY: `out_lease` was checked non-null and is writable by contract.
        unsafe { put(out_lease, raw) }
    })
}

fn with_lease<T>(
    lease: &CoditectLease,
    f: impl FnOnce(&blocking::Lease) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let guard = lease.inner.lock().unwrap_or_else(|p| p.into_inner());
    match guard.as_ref() {
        Some(l) => f(l),
        None => Err(invalid("the lease was already released")),
    }
}

/// Heartbeats now (the lease also does so by itself at the server's interval).
///
/// # Safety
/// `lease` must be a live lease handle.
#[no_mangle]
pub unsafe extern "C" fn coditect_lease_heartbeat(lease: *const CoditectLease) -> CoditectStatus {
    guard(|| {
        // SAFETY: the caller passes a live lease handle.
        let l = unsafe { handle(lease, "lease") }?;
        with_lease(l, |l| l.heartbeat_now().map(|_| ()).map_err(Into::into))
    })
}

/// The lease's state; `CODITECT_LEASE_STATE_RELEASED` for a released or null lease.
///
/// # Safety
/// `lease` must be null or a live lease handle.
#[no_mangle]
pub unsafe extern "C" fn coditect_lease_state(lease: *const CoditectLease) -> CoditectLeaseState {
    // SAFETY: the caller passes null or a live lease handle.
    let Some(l) = (unsafe { lease.as_ref() }) else {
        return CoditectLeaseState::Released;
    };
    let guard = l.inner.lock().unwrap_or_else(|p| p.into_inner());
    guard
        .as_ref()
        .map_or(CoditectLeaseState::Released, |l| (&l.state()).into())
}

/// Whether the application may use its seat now: active, or in grace before the token's
/// `exp`. False for a lost, released or null lease.
///
/// # Safety
/// `lease` must be null or a live lease handle.
#[no_mangle]
pub unsafe extern "C" fn coditect_lease_is_usable(lease: *const CoditectLease) -> bool {
    // SAFETY: the caller passes null or a live lease handle.
    let Some(l) = (unsafe { lease.as_ref() }) else {
        return false;
    };
    let guard = l.inner.lock().unwrap_or_else(|p| p.into_inner());
    guard.as_ref().is_some_and(|l| l.is_usable())
}

/// The current session id (free it with `coditect_string_free`).
///
/// # Safety
/// `lease` must be a live lease handle; `out` must be writable.
#[no_mangle]
pub unsafe extern "C" fn coditect_lease_session_id(
    lease: *const CoditectLease,
    out: *mut *mut c_char,
) -> CoditectStatus {
    guard(|| {
        need_out(out)?;
        // SAFETY: the caller passes a live lease handle.
        let l = unsafe { handle(lease, "lease") }?;
        let s = with_lease(l, |l| c_string(&l.session_id().to_string()))?;
        // SAFETY: `out` was checked non-null and is writable by contract.
        unsafe { put(out, s) }
    })
}

/// The latest signed token of the lease (free it with `coditect_string_free`).
///
/// # Safety
/// `lease` must be a live lease handle; `out` must be writable.
#[no_mangle]
pub unsafe extern "C" fn coditect_lease_token(
    lease: *const CoditectLease,
    out: *mut *mut c_char,
) -> CoditectStatus {
    guard(|| {
        need_out(out)?;
        // SAFETY: the caller passes a live lease handle.
        let l = unsafe { handle(lease, "lease") }?;
        let s = with_lease(l, |l| c_string(&l.token()))?;
        // SAFETY: `out` was checked non-null and is writable by contract.
        unsafe { put(out, s) }
    })
}

/// Releases the seat now and waits for the server's answer. The handle must still be
/// freed with `coditect_lease_free`.
///
/// # Safety
/// `lease` must be a live lease handle.
#[no_mangle]
pub unsafe extern "C" fn coditect_lease_release(lease: *const CoditectLease) -> CoditectStatus {
    guard(|| {
        // SAFETY: the caller passes a live lease handle.
        let l = unsafe { handle(lease, "lease") }?;
        let taken = l.inner.lock().unwrap_or_else(|p| p.into_inner()).take();
        match taken {
            Some(lease) => lease.release().map(|_| ()).map_err(Into::into),
            None => Err(invalid("the lease was already released")),
        }
    })
}

/// Frees a lease, releasing its seat first if it is still held (null is ignored).
///
/// # Safety
/// `lease` must be null or a live lease handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn coditect_lease_free(lease: *mut CoditectLease) {
    if !lease.is_null() {
        // SAFETY: a live handle from `Box::into_raw` in `coditect_acquire`, freed once.
        let boxed = unsafe { Box::from_raw(lease) };
        // Dropping the blocking lease releases the seat; a panic must not reach C.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(boxed)));
    }
}

/// Fetches the server's JWKS into the cache (done automatically on acquire).
///
/// # Safety
/// `client` must be a live handle.
#[no_mangle]
pub unsafe extern "C" fn coditect_refresh_jwks(client: *const CoditectClient) -> CoditectStatus {
    guard(|| {
        // SAFETY: the caller passes a live client handle.
        let c = unsafe { handle(client, "client") }?;
        c.inner.refresh_jwks().map(|_| ()).map_err(Into::into)
    })
}

/// Verifies a token offline against the cached JWKS: signature, expiry, issued to this
/// installation. On success `*out_token` holds the verified token.
///
/// # Safety
/// `client` must be a live handle, `token` NUL-terminated, `out_token` writable.
#[no_mangle]
pub unsafe extern "C" fn coditect_verify(
    client: *const CoditectClient,
    token: *const c_char,
    out_token: *mut *mut CoditectToken,
) -> CoditectStatus {
    guard(|| {
        need_out(out_token)?;
        // SAFETY: the caller passes a live client handle and a NUL-terminated string.
        let (c, t) = unsafe { (handle(client, "client")?, arg(token, "token")?) };
        let verified = c.inner.verify_offline(t)?;
        let raw = Box::into_raw(Box::new(CoditectToken { inner: verified }));
        // SAFETY: `out_token` was checked non-null and is writable by contract.
        unsafe { put(out_token, raw) }
    })
}

/// 1 when the verified token grants `entitlement`, 0 when not, -1 on a bad argument.
///
/// # Safety
/// `token` must be a live token handle; `entitlement` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn coditect_token_has_entitlement(
    token: *const CoditectToken,
    entitlement: *const c_char,
) -> i32 {
    let mut answer = -1;
    let status = guard(|| {
        // SAFETY: the caller passes a live token handle and a NUL-terminated string.
        let (t, e) = unsafe { (handle(token, "token")?, arg(entitlement, "entitlement")?) };
        answer = i32::from(t.inner.has_entitlement(e));
        Ok(())
    });
    if status == CoditectStatus::Ok {
        answer
    } else {
        -1
    }
}

/// When the verified token expires (seconds since the Unix epoch); 0 for a null token.
///
/// # Safety
/// `token` must be null or a live token handle.
#[no_mangle]
pub unsafe extern "C" fn coditect_token_expires_at(token: *const CoditectToken) -> i64 {
    // SAFETY: the caller passes null or a live token handle.
    unsafe { token.as_ref() }.map_or(0, |t| t.inner.expires_at())
}

/// The verified token's claims as a JSON object (free it with `coditect_string_free`).
///
/// # Safety
/// `token` must be a live token handle; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn coditect_token_claims_json(
    token: *const CoditectToken,
    out: *mut *mut c_char,
) -> CoditectStatus {
    guard(|| {
        need_out(out)?;
        // SAFETY: the caller passes a live token handle.
        let t = unsafe { handle(token, "token") }?;
        let json =
            serde_json::to_string(&t.inner.claims).map_err(|e| invalid(format!("claims: {e}")))?;
        let s = c_string(&json)?;
        // SAFETY: `out` was checked non-null and is writable by contract.
        unsafe { put(out, s) }
    })
}

/// Frees a verified token (null is ignored).
///
/// # Safety
/// `token` must be null or a live token handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn coditect_token_free(token: *mut CoditectToken) {
    if !token.is_null() {
        // SAFETY: a live handle from `Box::into_raw` in `coditect_verify`, freed once.
        drop(unsafe { Box::from_raw(token) });
    }
}

/// Frees a string this library returned (null is ignored).
///
/// # Safety
/// `s` must be null or a string from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn coditect_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: `s` came from `CString::into_raw` in this library and is freed once.
        drop(unsafe { CString::from_raw(s) });
    }
}

/// The stable code of the last failure on this thread (e.g. `no_seats_available`), or
/// an empty string. Valid until the next call on this thread; do not free.
#[no_mangle]
pub extern "C" fn coditect_last_error_code() -> *const c_char {
    errors::last_code_ptr()
}

/// A human-readable description of the last failure on this thread, or an empty string.
/// Valid until the next call on this thread; do not free.
#[no_mangle]
pub extern "C" fn coditect_last_error_message() -> *const c_char {
    errors::last_message_ptr()
}

/// The library's version (static; do not free).
#[no_mangle]
pub extern "C" fn coditect_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
