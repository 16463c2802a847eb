//! Persons recorded by an organisation: victims, possible victims, suspects, witnesses,
//! reporters.
//!
//! The foundation carries the identity fields that must never reach the disk in clear; the
//! protection pillar extends the record. Screens show the pseudonymous `code`; the identity is
//! revealed only for a stated purpose, and every reveal is audited.

use crate::Timestamp;
use crate::ids::{OrgId, PersonId};
use crate::validation::{FieldErrors, optional_text};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonRole {
    PossibleVictim,
    Victim,
    Suspect,
    Witness,
    Reporter,
}

impl PersonRole {
    pub const ALL: [PersonRole; 5] =
        [PersonRole::PossibleVictim, PersonRole::Victim, PersonRole::Suspect, PersonRole::Witness, PersonRole::Reporter];
    pub fn as_str(self) -> &'static str {
        match self {
            PersonRole::PossibleVictim => "possible_victim",
            PersonRole::Victim => "victim",
            PersonRole::Suspect => "suspect",
            PersonRole::Witness => "witness",
            PersonRole::Reporter => "reporter",
        }
    }
    pub fn parse(s: &str) -> Option<PersonRole> {
        PersonRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The identifying part of a person. Every field here is encrypted at rest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Identity {
    pub given_names: Option<String>,
    pub first_surname: Option<String>,
    pub second_surname: Option<String>,
    pub aliases: Option<String>,
    pub document_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub narrative: Option<String>,
    /// `YYYY-MM-DD`; a date of birth identifies, an approximate age does not.
    pub birth_date: Option<String>,
}

impl Identity {
    /// (column name, value) for each encrypted field, in a fixed order.
    pub fn columns(&self) -> [(&'static str, Option<&str>); 9] {
        [
            ("given_names", self.given_names.as_deref()),
            ("first_surname", self.first_surname.as_deref()),
            ("second_surname", self.second_surname.as_deref()),
            ("aliases", self.aliases.as_deref()),
            ("document_number", self.document_number.as_deref()),
            ("phone", self.phone.as_deref()),
            ("address", self.address.as_deref()),
            ("narrative", self.narrative.as_deref()),
            ("birth_date", self.birth_date.as_deref()),
        ]
    }

    pub const COLUMNS: [&'static str; 9] =
        ["given_names", "first_surname", "second_surname", "aliases", "document_number", "phone", "address", "narrative", "birth_date"];

    pub fn set(&mut self, column: &str, value: Option<String>) {
        match column {
            "given_names" => self.given_names = value,
            "first_surname" => self.first_surname = value,
            "second_surname" => self.second_surname = value,
            "aliases" => self.aliases = value,
            "document_number" => self.document_number = value,
            "phone" => self.phone = value,
            "address" => self.address = value,
            "narrative" => self.narrative = value,
            "birth_date" => self.birth_date = value,
            _ => {}
        }
    }
}

/// A person as stored: public metadata plus the identity (decrypted only when revealed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Person {
    pub id: PersonId,
    pub org_id: OrgId,
    pub code: String,
    pub role: PersonRole,
    pub sex: Option<String>,
    pub approx_age: Option<i64>,
    #[serde(flatten)]
    pub profile: PersonProfile,
    pub version: i64,
    pub created_at: Timestamp,
}

/// Clear, non-identifying person fields used for routing, screening and statistics.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PersonProfile {
    /// `report`, `operation`, `inspection` or none.
    pub source_type: Option<String>,
    pub source_id: Option<String>,
    /// ISO alpha-2.
    pub nationality: Option<String>,
    /// Comma-separated language codes (see `LANGUAGES`).
    pub languages: Option<String>,
    /// See `DOCUMENT_TYPES`; the number itself is sealed.
    pub document_type: Option<String>,
    /// Place of origin inside the country (area code)…
    pub origin_area: Option<String>,
    /// …or a country (ISO alpha-2) for foreign nationals.
    pub origin_country: Option<String>,
}

/// Languages offered on the form: Spanish, the main Andean and Amazonian languages of the
/// Peru profile, and common languages of foreign victims. Other profiles extend this list.
pub const LANGUAGES: &[&str] = &["es", "qu", "ay", "cni", "agr", "shp", "en", "pt", "zh", "other"];
pub const DOCUMENT_TYPES: &[&str] = &["national_id", "passport", "foreign_resident_card", "birth_certificate", "other"];
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct PersonInput {
    #[serde(default)]
    #[schemars(with = "crate::person::PersonRole")]
    pub role: String,
    #[serde(default)]
    pub sex: String,
    #[schemars(schema_with = "crate::intake::number_text_schema")]
    #[serde(default, deserialize_with = "crate::intake::number_text")]
    pub approx_age: String,
    #[serde(default)]
    pub given_names: String,
    #[serde(default)]
    pub first_surname: String,
    #[serde(default)]
    pub second_surname: String,
    #[serde(default)]
    pub aliases: String,
    #[serde(default)]
    pub document_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub narrative: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub nationality: String,
    /// Comma-separated, or repeated in a form.
    #[serde(default)]
    pub languages: String,
    #[serde(default)]
    pub document_type: String,
    #[serde(default)]
    pub origin_area: String,
    #[serde(default)]
    pub origin_country: String,
    /// `report`/`operation`/`inspection` and its id, when recorded from one of those.
    #[serde(default)]
    pub source_type: String,
    #[serde(default)]
    pub source_id: String,
    /// The version being edited (updates only).
    #[schemars(schema_with = "crate::intake::number_text_schema")]
    #[serde(default, deserialize_with = "crate::intake::version_text")]
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonFields {
    pub role: PersonRole,
    pub sex: Option<String>,
    pub approx_age: Option<i64>,
    pub identity: Identity,
    pub profile: PersonProfile,
}

impl PersonInput {
    /// Missing names and documents are normal: victims often carry no papers. Only the role
    /// is required, plus at least one way to tell the person apart (a name, alias or age).
    pub fn validate(&self) -> Result<PersonFields, FieldErrors> {
        let mut e = FieldErrors::new();
        let role = PersonRole::parse(self.role.trim());
        if role.is_none() {
            e.add("role", "invalid_choice");
        }
        let sex = match self.sex.trim() {
            "" => None,
            s @ ("female" | "male" | "other" | "unknown") => Some(s.to_owned()),
            _ => {
                e.add("sex", "invalid_choice");
                None
            }
        };
        let approx_age = match self.approx_age.trim() {
            "" => None,
            a => match a.parse::<i64>() {
                Ok(n @ 0..=120) => Some(n),
                _ => {
                    e.add("approx_age", "invalid_number");
                    None
                }
            },
        };
        let identity = Identity {
            given_names: optional_text(&mut e, "given_names", &self.given_names, 200),
            first_surname: optional_text(&mut e, "first_surname", &self.first_surname, 100),
            second_surname: optional_text(&mut e, "second_surname", &self.second_surname, 100),
            aliases: optional_text(&mut e, "aliases", &self.aliases, 300),
            document_number: optional_text(&mut e, "document_number", &self.document_number, 40),
            phone: optional_text(&mut e, "phone", &self.phone, 40),
            address: optional_text(&mut e, "address", &self.address, 300),
            narrative: optional_text(&mut e, "narrative", &self.narrative, 20_000),
            birth_date: None,
        };
        let mut identity = identity;
        match self.birth_date.trim() {
            "" => {}
            d if crate::protection::is_iso_date(d) => identity.birth_date = Some(d.to_owned()),
            _ => e.add("birth_date", "invalid_date"),
        }
        let code = |e: &mut FieldErrors, field: &str, v: &str| -> Option<String> {
            let v = v.trim().to_uppercase();
            if v.is_empty() {
                None
            } else if v.len() == 2 && v.chars().all(|c| c.is_ascii_uppercase()) {
                Some(v)
            } else {
                e.add(field, "invalid_choice");
                None
            }
        };
        let nationality = code(&mut e, "nationality", &self.nationality);
        let origin_country = code(&mut e, "origin_country", &self.origin_country);
        let mut languages = Vec::new();
        for l in self.languages.split(',').map(str::trim).filter(|l| !l.is_empty()) {
            if LANGUAGES.contains(&l) {
                if !languages.contains(&l) {
                    languages.push(l);
                }
            } else {
                e.add("languages", "invalid_choice");
            }
        }
        let document_type = match self.document_type.trim() {
            "" => None,
            d if DOCUMENT_TYPES.contains(&d) => Some(d.to_owned()),
            _ => {
                e.add("document_type", "invalid_choice");
                None
            }
        };
        let origin_area = Some(self.origin_area.trim().to_owned()).filter(|a| !a.is_empty());
        if origin_area.as_ref().is_some_and(|a| a.len() > 20 || !a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) {
            e.add("origin_area", "invalid_choice");
        }
        let source_type = match self.source_type.trim() {
            "" => None,
            t @ ("report" | "operation" | "inspection") => Some(t.to_owned()),
            _ => {
                e.add("source_type", "invalid_choice");
                None
            }
        };
        let source_id = Some(self.source_id.trim().to_owned()).filter(|a| !a.is_empty());
        if source_type.is_some() != source_id.is_some() {
            e.add("source_id", "required");
        }
        let profile = PersonProfile {
            source_type,
            source_id,
            nationality,
            languages: Some(languages.join(",")).filter(|l| !l.is_empty()),
            document_type,
            origin_area,
            origin_country,
        };
        if identity.given_names.is_none() && identity.aliases.is_none() && identity.first_surname.is_none() && approx_age.is_none() {
            e.add("given_names", "person_needs_a_distinguishing_detail");
        }
        e.into_result()?;
        match role {
            Some(role) => Ok(PersonFields { role, sex, approx_age, identity, profile }),
            None => Err(FieldErrors::new()),
        }
    }
}

/// A short pseudonymous code shown instead of the name, e.g. `P-7K3F-Q2XM`, from 8 random
/// symbols. It says nothing about the person.
pub fn pseudonym(random: &[u8; 8]) -> String {
    const A: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let s: String = random.iter().map(|b| A.get((*b as usize) % A.len()).copied().unwrap_or(b'X') as char).collect();
    format!("P-{}-{}", s.get(..4).unwrap_or(""), s.get(4..).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_without_documents_is_valid() {
        let input =
            PersonInput { role: "possible_victim".into(), aliases: "La Flaca".into(), approx_age: "16".into(), ..Default::default() };
        let p = input.validate();
        assert!(p.is_ok());
        assert_eq!(p.ok().and_then(|p| p.identity.document_number), None);
    }

    #[test]
    fn a_person_needs_at_least_one_distinguishing_detail() {
        let input = PersonInput { role: "witness".into(), ..Default::default() };
        assert!(input.validate().is_err());
    }

    #[test]
    fn pseudonyms_have_a_fixed_shape() {
        let p = pseudonym(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(p.len(), 11);
        assert!(p.starts_with("P-"));
    }
}
