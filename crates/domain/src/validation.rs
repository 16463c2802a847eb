//! Field-level validation errors.
//!
//! Validation produces a list of (field, code) pairs. The code is stable: the API returns it
//! as is, and the UI turns it into a message in the user's language (`err-<code>` keys).

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    /// The offending value when naming it helps (an unknown indicator id). Never personal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, code: &str) {
        self.0.push(FieldError { field: field.to_owned(), code: code.to_owned(), detail: None });
    }
    pub fn add_detail(&mut self, field: &str, code: &str, detail: &str) {
        self.0.push(FieldError { field: field.to_owned(), code: code.to_owned(), detail: Some(detail.to_owned()) });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.code.as_str())
    }
    /// `Ok(())` when nothing was added, so validators can end with `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// Trim and check a required free-text field with a maximum length in characters.
pub fn required_text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.add(field, "required");
    } else if v.chars().count() > max {
        errors.add(field, "too_long");
    } else if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        errors.add(field, "invalid_characters");
    }
    v.to_owned()
}

/// Trim an optional free-text field; empty becomes `None`.
pub fn optional_text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.chars().count() > max {
        errors.add(field, "too_long");
    } else if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        errors.add(field, "invalid_characters");
    }
    Some(v.to_owned())
}

/// A required code (area, country, region): trimmed; empty is `required`. Whether it exists
/// is checked by the use case against the reference data.
pub fn required_code(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    let v = value.trim().to_owned();
    if v.is_empty() {
        errors.add(field, "required");
    }
    v
}
