//! Staff accounts.
//!
//! A user belongs to exactly one organisation and holds one or more roles. E-mail addresses
//! are the login name; they are staff contact data, not victim data, and are stored in clear
//! so that login can look them up.

use crate::Timestamp;
use crate::ids::{OrgId, UserId};
use crate::role::Role;
use crate::validation::{FieldErrors, required_text};
use serde::{Deserialize, Serialize};

pub const MIN_PASSWORD_CHARS: usize = 12;
/// Argon2 cost grows with input; cap it so a huge body cannot pin a core.
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    Es,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Es => "es",
            Locale::En => "en",
        }
    }
    pub fn parse(s: &str) -> Option<Locale> {
        match s.trim().to_ascii_lowercase().get(..2) {
            Some("es") => Some(Locale::Es),
            Some("en") => Some(Locale::En),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub locale: Option<Locale>,
    pub disabled: bool,
    pub mfa_enrolled: bool,
    /// Only `amparo demo` sets this; the UI shows a banner while it is on.
    pub mfa_exempt_demo: bool,
    pub version: i64,
    pub created_at: Timestamp,
}

impl User {
    pub fn requires_mfa(&self) -> bool {
        !self.mfa_exempt_demo && self.roles.iter().any(|r| r.requires_mfa())
    }
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Normalise and check an e-mail address. Deliberately simple: one `@`, a dot in the domain,
/// no spaces, at most 254 bytes. Lower-cased so that logins are case-insensitive.
pub fn parse_email(errors: &mut FieldErrors, field: &str, raw: &str) -> String {
    let e = raw.trim().to_lowercase();
    let ok = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty() && !domain.starts_with('.') && domain.contains('.') && !domain.contains('@') && !domain.ends_with('.')
            }
            None => false,
        };
    if !ok {
        errors.add(field, "invalid_email");
    }
    e
}

/// Password rules: length only (NIST SP 800-63B), plus the byte cap.
pub fn check_password(errors: &mut FieldErrors, field: &str, pw: &str) {
    if pw.chars().count() < MIN_PASSWORD_CHARS {
        errors.add(field, "password_too_short");
    } else if pw.len() > MAX_PASSWORD_BYTES {
        errors.add(field, "too_long");
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct UserInput {
    pub email: String,
    #[schemars(required, extend("pattern" = "\\S"))]
    pub display_name: String,
    pub org_id: String,
    #[serde(default)]
    #[schemars(required, length(min = 1))]
    pub roles: Vec<String>,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub locale: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserFields {
    pub email: String,
    pub display_name: String,
    pub org_id: OrgId,
    pub roles: Vec<Role>,
    pub password: String,
    pub locale: Option<Locale>,
}

impl UserInput {
    pub fn validate(&self) -> Result<UserFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let email = parse_email(&mut e, "email", &self.email);
        let display_name = required_text(&mut e, "display_name", &self.display_name, 120);
        let org_id = OrgId::parse(self.org_id.trim());
        if org_id.is_none() {
            e.add("org_id", "invalid_choice");
        }
        let mut roles = Vec::new();
        for r in &self.roles {
            match Role::parse(r.trim()) {
                Some(role) if !roles.contains(&role) => roles.push(role),
                Some(_) => {}
                None => e.add("roles", "invalid_choice"),
            }
        }
        if roles.is_empty() && e.for_field("roles").is_none() {
            e.add("roles", "required");
        }
        check_password(&mut e, "password", &self.password);
        let locale = self.locale.as_deref().filter(|s| !s.trim().is_empty()).and_then(Locale::parse);
        e.into_result()?;
        match org_id {
            Some(org_id) => Ok(UserFields { email, display_name, org_id, roles, password: self.password.clone(), locale }),
            None => Err(FieldErrors::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        let mut e = FieldErrors::new();
        assert_eq!(parse_email(&mut e, "email", "  Ana@Policia.gob.PE "), "ana@policia.gob.pe");
        assert!(e.is_empty());
        for bad in ["", "ana", "ana@", "@x.pe", "a b@x.pe", "a@x", "a@@x.pe"] {
            let mut e = FieldErrors::new();
            parse_email(&mut e, "email", bad);
            assert_eq!(e.for_field("email"), Some("invalid_email"), "{bad}");
        }
    }

    #[test]
    fn user_input_reports_every_bad_field() {
        let input = UserInput { roles: vec!["wizard".into()], password: "short".into(), ..Default::default() };
        let errs = input.validate().err().unwrap_or_default();
        for f in ["email", "display_name", "org_id", "roles", "password"] {
            assert!(errs.for_field(f).is_some(), "{f}");
        }
    }
}
