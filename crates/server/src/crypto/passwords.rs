//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes) on a small pool
//! of threads of its own, [`hashing_threads`] of them. Each hash holds 19 MiB while it
//! runs, so without a bound a burst of requests (200 unauthenticated ones took the server
//! to 3.9 GB) turns into memory exhaustion; and on tokio's blocking pool each of up to 512
//! threads would keep its 19 MiB in its own allocator arena after the hash is done. A few
//! long-lived threads keep it at `threads × 19 MiB`; requests beyond them wait in line,
//! and the async workers are never stalled.

use std::sync::mpsc;
use std::sync::{LazyLock, Mutex};

use std::cell::RefCell;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// How many argon2 computations run at once: one per core (at least 2, at most 8),
/// which keeps the cores busy and the memory held small.
pub fn hashing_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 8)
}

type Job = Box<dyn FnOnce() + Send>;

/// The queue of the hashing threads, started on first use.
static POOL: LazyLock<Mutex<mpsc::Sender<Job>>> = LazyLock::new(|| {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = std::sync::Arc::new(Mutex::new(rx));
    for i in 0..hashing_threads() {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || loop {
                let job = match rx.lock().unwrap_or_else(|e| e.into_inner()).recv() {
                    Ok(job) => job,
                    Err(_) => return,
                };
                job();
            })
            .expect("start a password hashing thread");
    }
    Mutex::new(tx)
});

/// Runs an argon2 computation on the hashing threads and waits for its answer.
async fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    POOL.lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job)
        .map_err(|_| anyhow::anyhow!("the password hashing threads are gone"))?;
    rx.await
        .map_err(|_| anyhow::anyhow!("a password hashing thread died"))?
}

thread_local! {
    /// The argon2 working memory of this hashing thread, allocated once and reused by
    /// every hash it computes (a fresh 19 MiB allocation per hash is not handed back to
    /// the system reliably, and the process grew by one block per hash in a burst).
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Computes argon2 of `password` with `salt` into `out`, in this thread's memory.
fn argon2_into(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    MEMORY.with(|m| {
        let mut m = m.borrow_mut();
        let blocks = params.block_count();
        if m.len() < blocks {
            m.resize(blocks, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut m[..blocks])
    })
}

/// Hashes a password into a PHC string (`$argon2id$v=19$...`).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    on_hashing_thread(move || {
        let fail = |e: &dyn std::fmt::Display| anyhow::anyhow!("argon2 hashing failed: {e}");
        let params = Params::default();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(|e| fail(&e))?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        argon2_into(&argon, &params, password.as_bytes(), salt_bytes, &mut out)
            .map_err(|e| fail(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| fail(&e))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
        };
        Ok(phc.to_string())
    })
    .await
}

/// Checks a password against a PHC string. With `None` (no such account) it still
/// spends one hash's time against a fixed hash, so response time does not tell whether
/// an e-mail has an account.
pub async fn verify_password(password: String, phc: Option<String>) -> anyhow::Result<bool> {
    on_hashing_thread(move || {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let bad =
            |e: &dyn std::fmt::Display| anyhow::anyhow!("stored password hash is malformed: {e}");
        let parsed = PasswordHash::new(&phc).map_err(|e| bad(&e))?;
        let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| bad(&e))?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(|e| bad(&e))?
            .unwrap_or_default();
        let params = Params::try_from(&parsed).map_err(|e| bad(&e))?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(anyhow::anyhow!("stored password hash has no salt or hash"));
        };
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(|e| bad(&e))?;
        let argon = Argon2::new(algorithm, version, params.clone());
        let mut out = vec![0u8; expected.len()];
        let ok = argon2_into(&argon, &params, password.as_bytes(), salt_bytes, &mut out).is_ok()
            // `Output` compares in constant time.
            && Output::new(&out).is_ok_and(|o| o == expected);
        Ok(ok && known)
    })
    .await
}

/// The argon2id hash of a random password nobody knows, with the default parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0Qx3bdcfOQ2H2eM+8dVt+p/Zg1d2UtyRSk0tFw1ZuuI";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_per_salt() {
        let a = hash_password("correct horse battery".into()).await.unwrap();
        let b = hash_password("correct horse battery".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(
            verify_password("correct horse battery".into(), Some(a.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong horse battery".into(), Some(a))
            .await
            .unwrap());
        // Hashes made by the argon2 crate's own PHC API (every stored hash so far) verify.
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = Argon2::default()
            .hash_password(b"old password 123", &salt)
            .unwrap()
            .to_string();
        assert!(
            verify_password("old password 123".into(), Some(theirs.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("old password 124".into(), Some(theirs))
            .await
            .unwrap());
        assert!(!verify_password("anything at all".into(), None)
            .await
            .unwrap());
    }
}
