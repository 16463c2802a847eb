//! Administrative geography: countries (ISO 3166) and areas inside them.
//!
//! Areas form a tree by code. Peru's areas are INEI UBIGEO codes: 2 digits for a department,
//! 4 for a province and 6 for a district, so a code's prefix is its ancestor. Other countries
//! import their own areas (`amparo geo import`) with an explicit parent code, so nothing here
//! assumes Peru.

use crate::validation::{FieldErrors, required_text};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Country {
    pub alpha2: String,
    pub alpha3: String,
    pub name_es: String,
    pub name_en: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Area {
    /// Globally unique code: `<ISO alpha-2>-<national code>`, e.g. `PE-160101`.
    pub code: String,
    pub country: String,
    /// 1 = first-level division (department/region), 2 = second, 3 = third.
    pub level: i64,
    pub parent_code: Option<String>,
    pub name: String,
}

impl Area {
    /// The national part of the code (`160101` for `PE-160101`).
    pub fn national_code(&self) -> &str {
        self.code.split_once('-').map(|(_, c)| c).unwrap_or(&self.code)
    }
}

/// Build the global code of a national area code.
pub fn area_code(country: &str, national: &str) -> String {
    format!("{}-{}", country.to_ascii_uppercase(), national)
}

/// Validate an area row coming from an import file.
pub fn validate_area(country: &str, level: &str, code: &str, parent: &str, name: &str) -> Result<Area, FieldErrors> {
    let mut e = FieldErrors::new();
    let country = country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        e.add("country", "invalid_country");
    }
    let level: i64 = match level.trim().parse() {
        Ok(l @ 1..=4) => l,
        _ => {
            e.add("level", "invalid_level");
            0
        }
    };
    let code = code.trim();
    if code.is_empty() || code.len() > 20 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_') {
        e.add("code", "invalid_code");
    }
    let parent = parent.trim();
    if level > 1 && parent.is_empty() {
        e.add("parent", "required");
    }
    let name = required_text(&mut e, "name", name, 200);
    e.into_result()?;
    Ok(Area {
        code: area_code(&country, code),
        parent_code: (!parent.is_empty()).then(|| area_code(&country, parent)),
        country,
        level,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_rows_are_validated_field_by_field() {
        let a = validate_area("co", "2", "05001", "05", "Medellín").map_err(|e| e.0);
        assert_eq!(a.as_ref().map(|a| a.code.as_str()), Ok("CO-05001"));
        let err = validate_area("Colombia", "9", "", "", "").err().map(|e| e.0.len());
        assert_eq!(err, Some(4));
    }
}
