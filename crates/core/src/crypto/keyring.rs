//! The master keyring.
//!
//! Master keys live outside the database, in a file that only the service account can read
//! (mode 0600): `DIR/master.key` or the path in `AMPARO_MASTER_KEY_FILE`. Each line is
//! `v<N> <base64 of 32 bytes>`; the highest version encrypts, older versions still decrypt
//! (so old backups and half-finished rotations stay readable). Purpose keys are derived with
//! HKDF-SHA256 so one master key never serves two purposes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hkdf::Hkdf;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::path::Path;
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {0} could not be read: {1}")]
    Read(String, String),
    #[error("key file {0} is readable by group or others (mode {1:o}); run: chmod 600 {0}")]
    Permissions(String, u32),
    #[error("key file {0} is malformed at line {1}")]
    Malformed(String, usize),
    #[error("key file {0} holds no key")]
    Empty(String),
    #[error("key version {0} is not in the key file")]
    UnknownVersion(u32),
    #[error("could not write key file {0}: {1}")]
    Write(String, String),
}

pub struct Keyring {
    keys: BTreeMap<u32, Zeroizing<[u8; 32]>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("versions", &self.keys.keys().collect::<Vec<_>>()).finish()
    }
}

impl Keyring {
    /// A keyring from raw keys (tests).
    pub fn from_keys(keys: Vec<(u32, [u8; 32])>) -> Result<Self, KeyError> {
        if keys.is_empty() {
            return Err(KeyError::Empty("<memory>".into()));
        }
        Ok(Self { keys: keys.into_iter().map(|(v, k)| (v, Zeroizing::new(k))).collect() })
    }

    pub fn parse(path_label: &str, text: &str) -> Result<Self, KeyError> {
        let mut keys = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || KeyError::Malformed(path_label.to_owned(), i + 1);
            let (v, k) = line.split_once(' ').ok_or_else(bad)?;
            let version: u32 = v.strip_prefix('v').and_then(|n| n.parse().ok()).ok_or_else(bad)?;
            let raw = Zeroizing::new(B64.decode(k.trim()).map_err(|_| bad())?);
            let arr: [u8; 32] = raw.as_slice().try_into().map_err(|_| bad())?;
            keys.insert(version, Zeroizing::new(arr));
        }
        if keys.is_empty() {
            return Err(KeyError::Empty(path_label.to_owned()));
        }
        Ok(Self { keys })
    }

    /// Load the key file, refusing one that others can read.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let label = path.display().to_string();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(path).map_err(|e| KeyError::Read(label.clone(), e.to_string()))?;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::Permissions(label, mode));
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| KeyError::Read(label.clone(), e.to_string()))?);
        Self::parse(&label, &text)
    }

    /// Create a key file with one fresh key, mode 0600, failing if it already exists.
    pub fn create(path: &Path, fresh_key: [u8; 32]) -> Result<Self, KeyError> {
        let ring = Self::from_keys(vec![(1, fresh_key)])?;
        ring.write_new(path)?;
        Ok(ring)
    }

    fn serialise(&self) -> Zeroizing<String> {
        let mut s = String::from("# Amparo master keys. Keep this file secret and backed up apart from the data.\n");
        for (v, k) in &self.keys {
            s.push_str(&format!("v{} {}\n", v, B64.encode(k.as_slice())));
        }
        Zeroizing::new(s)
    }

    fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        use std::io::Write;
        let label = path.display().to_string();
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| KeyError::Write(label.clone(), e.to_string()))?;
        f.write_all(self.serialise().as_bytes()).map_err(|e| KeyError::Write(label.clone(), e.to_string()))?;
        f.sync_all().map_err(|e| KeyError::Write(label, e.to_string()))
    }

    /// Add a new active key and rewrite the file atomically (write beside, fsync, rename).
    pub fn add_key_and_save(&mut self, path: &Path, fresh_key: [u8; 32]) -> Result<u32, KeyError> {
        let next = self.active_version() + 1;
        self.keys.insert(next, Zeroizing::new(fresh_key));
        let tmp = path.with_extension("key.new");
        let _ = std::fs::remove_file(&tmp);
        self.write_new(&tmp)?;
        std::fs::rename(&tmp, path).map_err(|e| KeyError::Write(path.display().to_string(), e.to_string()))?;
        Ok(next)
    }

    pub fn active_version(&self) -> u32 {
        self.keys.keys().next_back().copied().unwrap_or(0)
    }

    pub fn versions(&self) -> Vec<u32> {
        self.keys.keys().copied().collect()
    }

    /// Derive a 32-byte purpose key from master key `version`.
    pub fn derive(&self, version: u32, purpose: &str) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        let master = self.keys.get(&version).ok_or(KeyError::UnknownVersion(version))?;
        let hk = Hkdf::<Sha256>::new(Some(b"amparo-kdf-v1"), master.as_slice());
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is always a valid HKDF-SHA256 output length.
        hk.expand(purpose.as_bytes(), out.as_mut_slice()).map_err(|_| KeyError::UnknownVersion(version))?;
        Ok(out)
    }

    pub fn derive_active(&self, purpose: &str) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        self.derive(self.active_version(), purpose)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_the_file_format() {
        let ring = Keyring::from_keys(vec![(1, [7; 32]), (3, [9; 32])]).map_err(|e| e.to_string());
        let ring = ring.unwrap_or_else(|_| std::process::abort());
        let text = ring.serialise();
        let again = Keyring::parse("t", &text).map_err(|e| e.to_string());
        assert_eq!(again.as_ref().map(|r| r.versions()), Ok(vec![1, 3]));
        assert_eq!(again.map(|r| r.active_version()), Ok(3));
    }

    #[test]
    fn malformed_key_files_are_rejected_with_the_line() {
        assert!(matches!(Keyring::parse("k", "v1 notbase64!!"), Err(KeyError::Malformed(_, 1))));
        assert!(matches!(Keyring::parse("k", "# only a comment\n"), Err(KeyError::Empty(_))));
    }

    #[test]
    fn purposes_derive_different_keys() {
        let ring = Keyring::from_keys(vec![(1, [7; 32])]).unwrap_or_else(|_| std::process::abort());
        let a = ring.derive(1, "a").map(|k| *k).ok();
        let b = ring.derive(1, "b").map(|k| *k).ok();
        assert!(a.is_some() && a != b);
    }
}
