//! Cryptography: the master keyring, field encryption, password hashing, TOTP.

pub mod field;
pub mod keyring;
pub mod password;
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
