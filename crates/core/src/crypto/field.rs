//! Field encryption: XChaCha20-Poly1305 with the ciphertext bound to its row and column.
//!
//! Blob layout: `0x01 | key version (u32 BE) | nonce (24) | ciphertext+tag`. The associated
//! data is `table/column/row id/key version`, so a ciphertext copied into another row or
//! column fails to decrypt instead of showing the wrong person's data.

use super::keyring::Keyring;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const FORMAT: u8 = 1;
const PURPOSE: &str = "amparo field encryption v1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FieldError {
    #[error("ciphertext is malformed")]
    Malformed,
    #[error("key version {0} unavailable")]
    UnknownKey(u32),
    #[error("ciphertext does not authenticate for this row and column")]
    Authentication,
}

fn aad(table: &str, column: &str, row_id: &str, version: u32) -> Vec<u8> {
    format!("{table}/{column}/{row_id}/{version}").into_bytes()
}

pub fn seal(ring: &Keyring, nonce: [u8; 24], table: &str, column: &str, row_id: &str, plaintext: &[u8]) -> Result<Vec<u8>, FieldError> {
    let version = ring.active_version();
    seal_with(ring, version, nonce, table, column, row_id, plaintext)
}

pub fn seal_with(
    ring: &Keyring,
    version: u32,
    nonce: [u8; 24],
    table: &str,
    column: &str,
    row_id: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, FieldError> {
    let key = ring.derive(version, PURPOSE).map_err(|_| FieldError::UnknownKey(version))?;
    let cipher = XChaCha20Poly1305::new(key.as_slice().into());
    let ad = aad(table, column, row_id, version);
    let ct = cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: &ad }).map_err(|_| FieldError::Authentication)?;
    let mut out = Vec::with_capacity(1 + 4 + 24 + ct.len());
    out.push(FORMAT);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// The key version a blob was sealed with.
pub fn key_version(blob: &[u8]) -> Result<u32, FieldError> {
    let v: [u8; 4] = blob.get(1..5).and_then(|s| s.try_into().ok()).ok_or(FieldError::Malformed)?;
    Ok(u32::from_be_bytes(v))
}

pub fn open(ring: &Keyring, table: &str, column: &str, row_id: &str, blob: &[u8]) -> Result<Vec<u8>, FieldError> {
    if blob.first() != Some(&FORMAT) || blob.len() < 1 + 4 + 24 + 16 {
        return Err(FieldError::Malformed);
    }
    let version = key_version(blob)?;
    let nonce = blob.get(5..29).ok_or(FieldError::Malformed)?;
    let ct = blob.get(29..).ok_or(FieldError::Malformed)?;
    let key = ring.derive(version, PURPOSE).map_err(|_| FieldError::UnknownKey(version))?;
    let cipher = XChaCha20Poly1305::new(key.as_slice().into());
    let ad = aad(table, column, row_id, version);
    cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &ad }).map_err(|_| FieldError::Authentication)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        Keyring::from_keys(vec![(1, [1; 32]), (2, [2; 32])]).unwrap_or_else(|_| std::process::abort())
    }

    #[test]
    fn sealed_fields_open_only_in_their_own_row_and_column() {
        let r = ring();
        let blob = seal(&r, [3; 24], "persons", "given_names", "p1", b"Rosa").unwrap_or_default();
        assert_eq!(open(&r, "persons", "given_names", "p1", &blob), Ok(b"Rosa".to_vec()));
        assert_eq!(open(&r, "persons", "given_names", "p2", &blob), Err(FieldError::Authentication));
        assert_eq!(open(&r, "persons", "aliases", "p1", &blob), Err(FieldError::Authentication));
        assert!(!blob.windows(4).any(|w| w == b"Rosa"));
    }

    #[test]
    fn blobs_name_the_key_version_that_sealed_them() {
        let r = ring();
        let blob = seal(&r, [3; 24], "t", "c", "r", b"x").unwrap_or_default();
        assert_eq!(key_version(&blob), Ok(2));
        let old = seal_with(&r, 1, [3; 24], "t", "c", "r", b"x").unwrap_or_default();
        assert_eq!(open(&r, "t", "c", "r", &old), Ok(b"x".to_vec()));
    }

    #[test]
    fn truncated_or_garbage_blobs_are_errors_not_panics() {
        let r = ring();
        for b in [&b""[..], &[1u8][..], &[1u8, 0, 0, 0, 1, 9, 9][..], &[9u8; 80][..]] {
            assert!(open(&r, "t", "c", "r", b).is_err());
        }
    }
}
