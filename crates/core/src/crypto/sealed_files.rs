//! A set of named files sealed into one stream: how the search index's snapshot reaches the
//! disk without a word of plaintext (the index holds decrypted names and narratives).
//!
//! Layout: a header — magic, key version, the audit position the files stand for (sequence
//! number and that entry's hash) and the number of files — then each file as its name, a
//! random 24-byte nonce and its XChaCha20-Poly1305 ciphertext. Every file's associated data
//! is the whole header plus the file's place and name, so a file moved, renamed, dropped,
//! or taken from another snapshot does not open, and a stream cut short is told apart from
//! a complete one by the count. The key is derived from the master key for one purpose.

use super::keyring::Keyring;
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::io::{Read, Write};

const MAGIC: &[u8; 8] = b"AMPSEAL1";
/// No one file of an index comes near this; a larger length is a damaged stream, refused
/// before anything is allocated for it.
const MAX_FILE_BYTES: u64 = 16 << 30;
const MAX_NAME_BYTES: usize = 255;

/// What the files stand for: the audit trail up to `seq`, whose entry has `hash`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub seq: i64,
    pub hash: Vec<u8>,
}

fn header(key_version: u32, at: &Position, count: u32) -> Result<Vec<u8>, String> {
    let hash_len = u16::try_from(at.hash.len()).map_err(|_| "hash too long")?;
    let mut h = Vec::with_capacity(26 + at.hash.len());
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&key_version.to_be_bytes());
    h.extend_from_slice(&at.seq.to_be_bytes());
    h.extend_from_slice(&hash_len.to_be_bytes());
    h.extend_from_slice(&at.hash);
    h.extend_from_slice(&count.to_be_bytes());
    Ok(h)
}

fn aad(header: &[u8], index: u32, name: &str) -> Vec<u8> {
    let mut a = header.to_vec();
    a.extend_from_slice(&index.to_be_bytes());
    a.extend_from_slice(name.as_bytes());
    a
}

fn cipher(keys: &Keyring, version: u32, purpose: &str) -> Result<XChaCha20Poly1305, String> {
    let key = keys.derive(version, purpose).map_err(|e| e.to_string())?;
    Ok(XChaCha20Poly1305::new(key.as_slice().into()))
}

/// Seal the files named by `names`, each read by `read` when its turn comes (so a large set
/// is never in memory at once), into `out` under the active key. `nonce` gives a fresh
/// random nonce per file (randomness is passed in). Returns the bytes written.
pub fn seal(
    out: &mut dyn Write,
    keys: &Keyring,
    purpose: &str,
    at: &Position,
    names: &[String],
    mut read: impl FnMut(&str) -> Result<Vec<u8>, String>,
    mut nonce: impl FnMut() -> [u8; 24],
) -> Result<u64, String> {
    let version = keys.active_version();
    let cipher = cipher(keys, version, purpose)?;
    let count = u32::try_from(names.len()).map_err(|_| "too many files")?;
    let head = header(version, at, count)?;
    let io = |e: std::io::Error| e.to_string();
    out.write_all(&head).map_err(io)?;
    let mut written = head.len() as u64;
    for (i, name) in (0u32..).zip(names) {
        let mut bytes = read(name)?;
        if name.len() > MAX_NAME_BYTES {
            return Err(format!("file name too long: {name}"));
        }
        let n = nonce();
        cipher.encrypt_in_place(XNonce::from_slice(&n), &aad(&head, i, name), &mut bytes).map_err(|_| "seal failed")?;
        out.write_all(&(name.len() as u16).to_be_bytes()).map_err(io)?;
        out.write_all(name.as_bytes()).map_err(io)?;
        out.write_all(&n).map_err(io)?;
        out.write_all(&(bytes.len() as u64).to_be_bytes()).map_err(io)?;
        out.write_all(&bytes).map_err(io)?;
        written += 2 + name.len() as u64 + 24 + 8 + bytes.len() as u64;
    }
    out.flush().map_err(io)?;
    Ok(written)
}

/// A sealed stream being opened: its position, then its files one at a time (so a large
/// set never sits in memory twice).
pub struct Opened<'a, R: Read + ?Sized> {
    pub at: Position,
    pub count: u32,
    input: &'a mut R,
    cipher: XChaCha20Poly1305,
    head: Vec<u8>,
    next: u32,
    failed: bool,
}

fn read_exact<const N: usize, R: Read + ?Sized>(r: &mut R) -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    r.read_exact(&mut b).map_err(|_| "the sealed stream ends early".to_owned())?;
    Ok(b)
}

/// Read the header of a sealed stream and ready its files for opening.
pub fn open<'a, R: Read + ?Sized>(input: &'a mut R, keys: &Keyring, purpose: &str) -> Result<Opened<'a, R>, String> {
    let magic: [u8; 8] = read_exact(input)?;
    if &magic != MAGIC {
        return Err("not a sealed file set".into());
    }
    let version = u32::from_be_bytes(read_exact(input)?);
    let seq = i64::from_be_bytes(read_exact(input)?);
    let hash_len = u16::from_be_bytes(read_exact(input)?) as usize;
    let mut hash = vec![0u8; hash_len];
    input.read_exact(&mut hash).map_err(|_| "the sealed stream ends early".to_owned())?;
    let count = u32::from_be_bytes(read_exact(input)?);
    let at = Position { seq, hash };
    let head = header(version, &at, count)?;
    let cipher = cipher(keys, version, purpose)?;
    Ok(Opened { at, count, input, cipher, head, next: 0, failed: false })
}

impl<R: Read + ?Sized> Opened<'_, R> {
    fn read_one(&mut self) -> Result<(String, Vec<u8>), String> {
        let name_len = u16::from_be_bytes(read_exact(&mut *self.input)?) as usize;
        if name_len > MAX_NAME_BYTES {
            return Err("damaged sealed stream (name length)".into());
        }
        let mut name = vec![0u8; name_len];
        self.input.read_exact(&mut name).map_err(|_| "the sealed stream ends early".to_owned())?;
        let name = String::from_utf8(name).map_err(|_| "damaged sealed stream (name)".to_owned())?;
        let nonce: [u8; 24] = read_exact(&mut *self.input)?;
        let len = u64::from_be_bytes(read_exact(&mut *self.input)?);
        if len > MAX_FILE_BYTES {
            return Err("damaged sealed stream (length)".into());
        }
        let mut bytes = Vec::new();
        let got = (&mut *self.input).take(len).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        if got as u64 != len {
            return Err("the sealed stream ends early".into());
        }
        self.cipher
            .decrypt_in_place(XNonce::from_slice(&nonce), &aad(&self.head, self.next, &name), &mut bytes)
            .map_err(|_| format!("file {} of the sealed stream does not open (damaged, or sealed under another key)", self.next))?;
        Ok((name, bytes))
    }
}

impl<R: Read + ?Sized> Iterator for Opened<'_, R> {
    type Item = Result<(String, Vec<u8>), String>;

    /// The next file, opened; after the last, a check that nothing follows it.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if self.next == self.count {
            self.next += 1;
            let mut extra = [0u8; 1];
            return match self.input.read(&mut extra) {
                Ok(0) => None,
                _ => {
                    self.failed = true;
                    Some(Err("the sealed stream has bytes after its last file".into()))
                }
            };
        }
        if self.next > self.count {
            return None;
        }
        let out = self.read_one();
        self.next += 1;
        self.failed = out.is_err();
        Some(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const P: &str = "amparo test sealed files v1";

    fn keys() -> Keyring {
        Keyring::from_keys(vec![(1, [7; 32])]).unwrap()
    }

    fn sealed(files: Files) -> Vec<u8> {
        let mut out = Vec::new();
        let mut n = 0u8;
        let at = Position { seq: 42, hash: vec![1, 2, 3] };
        let names: Vec<String> = files.iter().map(|f| f.0.clone()).collect();
        let read = |name: &str| Ok(files.iter().find(|f| f.0 == name).map(|f| f.1.clone()).unwrap_or_default());
        seal(&mut out, &keys(), P, &at, &names, read, || {
            n += 1;
            [n; 24]
        })
        .unwrap();
        out
    }

    type Files = Vec<(String, Vec<u8>)>;

    fn open_all(bytes: &[u8]) -> Result<(Position, Files), String> {
        let mut r = bytes;
        let k = keys();
        let o = open(&mut r, &k, P)?;
        let at = o.at.clone();
        Ok((at, o.collect::<Result<Vec<_>, _>>()?))
    }

    fn two() -> Files {
        vec![("meta.json".into(), b"{\"segments\":[]}".to_vec()), ("a.idx".into(), b"Rosa Quispe Mamani".to_vec())]
    }

    #[test]
    fn files_come_back_as_they_went_in_and_no_plaintext_is_written() {
        let bytes = sealed(two());
        assert!(!bytes.windows(5).any(|w| w == b"Quisp"), "a name in the sealed bytes");
        let (at, files) = open_all(&bytes).unwrap();
        assert_eq!(at, Position { seq: 42, hash: vec![1, 2, 3] });
        assert_eq!(files, two());
    }

    #[test]
    fn a_changed_cut_or_extended_stream_does_not_open() {
        let bytes = sealed(two());
        for i in [9, 14, 30, bytes.len() - 1] {
            let mut b = bytes.clone();
            b[i] ^= 1;
            assert!(open_all(&b).is_err(), "flipped byte {i} went unnoticed");
        }
        assert!(open_all(&bytes[..bytes.len() - 20]).is_err(), "a cut stream opened");
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(open_all(&longer).is_err(), "trailing bytes went unnoticed");
    }

    #[test]
    fn another_key_or_purpose_does_not_open_it() {
        let bytes = sealed(two());
        let mut r = bytes.as_slice();
        let other = Keyring::from_keys(vec![(1, [8; 32])]).unwrap();
        assert!(open(&mut r, &other, P).unwrap().any(|f| f.is_err()));
        let mut r = bytes.as_slice();
        assert!(open(&mut r, &keys(), "another purpose").unwrap().any(|f| f.is_err()));
    }
}
