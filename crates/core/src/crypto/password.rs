//! Password hashing with Argon2id.
//!
//! Hashing is CPU- and memory-heavy by design, so it runs on the blocking pool behind a
//! semaphore (at most two at once on a two-core server). Unknown users are checked against a
//! dummy hash so that the response time does not reveal which e-mail addresses exist.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    dummy: Arc<String>,
}

impl PasswordHasher {
    pub fn new(memory_kib: u32, iterations: u32, dummy_salt: [u8; 16]) -> Result<Self, String> {
        let params = Params::new(memory_kib, iterations, 1, None).map_err(|e| e.to_string())?;
        let dummy = hash_sync(&params, b"amparo dummy password for timing", &dummy_salt)?;
        Ok(Self { params, permits: Arc::new(Semaphore::new(2)), dummy: Arc::new(dummy) })
    }

    pub async fn hash(&self, password: &str, salt: [u8; 16]) -> Result<String, String> {
        let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
        let params = self.params.clone();
        let pw = zeroize::Zeroizing::new(password.as_bytes().to_vec());
        tokio::task::spawn_blocking(move || hash_sync(&params, &pw, &salt)).await.map_err(|e| e.to_string())?
    }

    /// Verify `password` against `stored`, or against the dummy hash when `stored` is `None`
    /// (unknown user) — the answer is then always false, but it takes as long.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else { return false };
        let (hash, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => ((*self.dummy).clone(), false),
        };
        let pw = zeroize::Zeroizing::new(password.as_bytes().to_vec());
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).map(|parsed| Argon2::default().verify_password(&pw, &parsed).is_ok()).unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        ok && real
    }
}

fn hash_sync(params: &Params, pw: &[u8], salt: &[u8; 16]) -> Result<String, String> {
    let salt = SaltString::encode_b64(salt).map_err(|e| e.to_string())?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon.hash_password(pw, &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}
