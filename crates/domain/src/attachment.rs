//! Attachments: which files are accepted, decided from their content, not their name.
//!
//! Only documents and photographs an investigation needs — PDF, PNG, JPEG and plain text —
//! up to 10 MiB. Anything else (executables, office files with macros, HTML, SVG with
//! scripts) is refused. Files are always served as downloads, never shown inline.

use crate::validation::FieldErrors;

pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The type of a file from its first bytes, if it is one we accept.
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(("image/png", "png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() && !looks_like_markup(bytes) {
        Some(("text/plain", "txt"))
    } else {
        None
    }
}

/// Text that a browser might treat as a page or script is refused even as text.
fn looks_like_markup(bytes: &[u8]) -> bool {
    let head: String = String::from_utf8_lossy(bytes.get(..512.min(bytes.len())).unwrap_or(&[])).to_lowercase();
    ["<html", "<script", "<svg", "<!doctype", "<?xml"].iter().any(|m| head.contains(m))
}

/// A safe download name: the last path part, letters, digits, `-`, `_` and `.`, at most 100
/// characters, ending in the extension of the detected type.
pub fn clean_filename(name: &str, ext: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base);
    let cleaned: String = stem.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(100).collect();
    let stem = if cleaned.trim_matches('_').is_empty() { "adjunto".to_owned() } else { cleaned };
    format!("{stem}.{ext}")
}

/// Check an upload; returns (mime type, safe file name).
pub fn check_upload(name: &str, bytes: &[u8]) -> Result<(&'static str, String), FieldErrors> {
    let mut e = FieldErrors::new();
    if bytes.is_empty() {
        e.add("file", "required");
        return Err(e);
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        e.add("file", "file_too_large");
        return Err(e);
    }
    match sniff(bytes) {
        Some((mime, ext)) => Ok((mime, clean_filename(name, ext))),
        None => {
            e.add("file", "unsupported_file_type");
            Err(e)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_not_the_name() {
        assert_eq!(check_upload("acta.pdf", b"%PDF-1.7 ...").unwrap(), ("application/pdf", "acta.pdf".into()));
        assert_eq!(check_upload("foto.exe", &[0xFF, 0xD8, 0xFF, 0xE0]).unwrap().1, "foto.jpg", "a JPEG named .exe is a JPEG");
        assert!(check_upload("virus.pdf", b"MZ\x90\x00\x03").is_err(), "an executable named .pdf is refused");
        assert!(check_upload("page.txt", b"<html><script>alert(1)</script>").is_err());
        assert!(check_upload("x.txt", &vec![b'a'; MAX_ATTACHMENT_BYTES + 1]).is_err());
        assert_eq!(check_upload("../../etc/passwd.txt", b"hola").unwrap().1, "passwd.txt");
        assert_eq!(check_upload("declaración final.txt", b"hola").unwrap().1, "declaración_final.txt");
    }
}
