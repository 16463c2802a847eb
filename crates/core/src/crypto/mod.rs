//! Cryptography: the master keyring, field encryption, password hashing, TOTP.

pub mod field;
pub mod keyring;
pub mod password;
pub mod sealed_files;
pub mod totp;

use sha2::{Digest, Sha256};

/// SHA-256 hex, for session ids, token secrets and recovery codes: high-entropy secrets for
/// which a fast hash is right (passwords use Argon2id instead).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Constant-time comparison of two byte strings.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The CSRF token for a cookie value (session or pre-session): HMAC-SHA256 under a key derived
/// from the master key. Every server instance with the same key file computes the same token,
/// and no token is stored.
pub fn csrf_token(keys: &keyring::Keyring, binding: &str) -> String {
    use hmac::{Hmac, Mac};
    let Ok(key) = keys.derive_active("amparo csrf v1") else { return String::new() };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_slice()) else { return String::new() };
    mac.update(b"csrf:");
    mac.update(binding.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A tag over `data` for one purpose (a list cursor), under its own key derived from the
/// master key: any server with the same key file checks it, nothing is stored, and a tag
/// made for one purpose is worthless for another.
pub fn purpose_tag(keys: &keyring::Keyring, purpose: &str, data: &str) -> String {
    use hmac::{Hmac, Mac};
    let Ok(key) = keys.derive_active(&format!("amparo {purpose} v1")) else { return String::new() };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_slice()) else { return String::new() };
    mac.update(data.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}
