//! Time-based one-time passwords (RFC 6238) and recovery codes.
//!
//! Codes are accepted for the current 30-second step and one step either side, and only for
//! a step newer than the last one accepted (the store enforces that atomically), so a code
//! seen over someone's shoulder cannot be replayed.

use totp_rs::{Algorithm, TOTP};

pub const STEP_SECS: i64 = 30;

pub fn build(secret: &[u8], issuer: &str, account: &str) -> Result<TOTP, String> {
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECS as u64, secret.to_vec(), Some(issuer.to_owned()), account.to_owned())
        .map_err(|e| e.to_string())
}

/// The step at which `code` is valid within ±1 step of `now`, if any.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = build(secret, "amparo", "x").ok()?;
    let step = now / STEP_SECS;
    [step, step - 1, step + 1].into_iter().find(|s| {
        let t = (*s * STEP_SECS).max(0) as u64;
        super::ct_eq(totp.generate(t).as_bytes(), code.as_bytes())
    })
}

/// The otpauth:// URL and an SVG QR code of it, for enrolment.
pub fn enrolment(secret: &[u8], issuer: &str, account: &str) -> Result<(String, String, String), String> {
    let totp = build(secret, issuer, account)?;
    let url = totp.get_url();
    let qr = qrcode::QrCode::new(url.as_bytes()).map_err(|e| e.to_string())?;
    let svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    Ok((url, svg, totp.get_secret_base32()))
}

/// Format 10 random bytes as a recovery code like `k7d2-9xq4-mz3p-...`.
pub fn recovery_code(bytes: &[u8; 10]) -> String {
    const A: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let chars: Vec<char> = bytes.iter().map(|b| A.get((*b as usize) % A.len()).copied().unwrap_or(b'x') as char).collect();
    chars.chunks(5).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// Normalise a typed recovery code before hashing (case, spaces).
pub fn normalise_recovery(code: &str) -> String {
    code.trim().to_lowercase().chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_neighbours_only() {
        let secret = [42u8; 20];
        let now = 1_700_000_000;
        let totp = build(&secret, "amparo", "a@b.pe").unwrap_or_else(|_| std::process::abort());
        let code = totp.generate(now as u64);
        assert_eq!(matching_step(&secret, &code, now), Some(now / 30));
        assert!(matching_step(&secret, &code, now + 30).is_some());
        assert_eq!(matching_step(&secret, &code, now + 300), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn enrolment_yields_an_svg_qr_code() {
        let (url, svg, b32) = enrolment(&[1u8; 20], "Amparo", "ana@x.pe").unwrap_or_default();
        assert!(url.starts_with("otpauth://totp/"));
        assert!(svg.contains("<svg"));
        assert!(!b32.is_empty());
    }
}
