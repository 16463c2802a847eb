//! Randomness, passed in. Production draws from the operating system; tests use a seeded,
//! reproducible stream.

use sha2::{Digest, Sha256};
use std::sync::Mutex;

pub trait Random: Send + Sync {
    fn fill(&self, buf: &mut [u8]);
}

pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        // getrandom only fails when the OS has no entropy source at all; there is no safe
        // fallback for key material, so stop rather than continue with zeros.
        if getrandom::getrandom(buf).is_err() {
            std::process::abort();
        }
    }
}

/// Deterministic stream: SHA-256(seed || counter). For tests and demo generation only.
pub struct SeededRandom {
    seed: [u8; 32],
    counter: Mutex<u64>,
}

impl SeededRandom {
    pub fn new(seed: u64) -> Self {
        Self { seed: Sha256::digest(seed.to_be_bytes()).into(), counter: Mutex::new(0) }
    }
}

impl Random for SeededRandom {
    fn fill(&self, buf: &mut [u8]) {
        let mut guard = match self.counter.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        for chunk in buf.chunks_mut(32) {
            *guard += 1;
            let mut h = Sha256::new();
            h.update(self.seed);
            h.update(guard.to_be_bytes());
            let block = h.finalize();
            for (d, s) in chunk.iter_mut().zip(block.iter()) {
                *d = *s;
            }
        }
    }
}

/// Helpers over any `Random`.
pub trait RandomExt {
    fn bytes<const N: usize>(&self) -> [u8; N];
    fn new_id(&self) -> String;
    fn token(&self) -> String;
}

impl<R: Random + ?Sized> RandomExt for R {
    fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut b = [0u8; N];
        self.fill(&mut b);
        b
    }
    fn new_id(&self) -> String {
        amparo_domain::ids::encode_id(&self.bytes::<16>())
    }
    /// 32 random bytes, URL-safe base64 without padding (43 chars).
    fn token(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.bytes::<32>())
    }
}
