//! The linkage configuration (TOML): which CSV column is the id, how each field is compared,
//! how candidate pairs are blocked, and the EM settings.
//!
//! ```toml
//! id_column = "rec_id"
//! threshold = 0.5
//! blocking = [["surname:phonetic"], ["given_name:phonetic", "date_of_birth:year"]]
//!
//! [[field]]
//! name = "surname"
//! kind = "name"
//! columns = ["surname"]
//! tf_adjust = true
//! ```

use crate::compare::Kind;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    pub id_column: String,
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    #[serde(rename = "field")]
    pub fields: Vec<FieldSpec>,
    /// Each rule is a list of keys that must all agree; rules are unioned.
    pub blocking: Vec<Vec<String>>,
    #[serde(default)]
    pub em: EmConfig,
    /// Groups larger than this in one blocking rule are skipped (and reported): a key shared
    /// by thousands of records is not a useful block.
    #[serde(default = "default_max_block")]
    pub max_block_size: usize,
    /// At most this many candidate pairs over all rules (counted before duplicates are
    /// removed). When the rules would give more, the largest groups are skipped first until
    /// the rest fit, and the run reports what it skipped. Memory stays bounded whatever the
    /// data: about 40 bytes a pair at the peak, so 2 GB at the default.
    #[serde(default = "default_max_pairs")]
    pub max_pairs: usize,
}

fn default_threshold() -> f64 {
    0.5
}
fn default_max_block() -> usize {
    5000
}
fn default_max_pairs() -> usize {
    50_000_000
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub name: String,
    pub kind: Kind,
    /// One column, or several joined with a space (e.g. first and second surname).
    pub columns: Vec<String>,
    #[serde(default)]
    pub tf_adjust: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmConfig {
    pub max_iterations: usize,
    pub u_sample_pairs: usize,
    pub seed: u64,
    /// Starting guess for the share of candidate pairs that are matches.
    pub initial_lambda: f64,
}

impl Default for EmConfig {
    fn default() -> Self {
        Self { max_iterations: 30, u_sample_pairs: 1_000_000, seed: 42, initial_lambda: 0.05 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config: {0}")]
    Parse(String),
    #[error("config: blocking key {0:?} must be FIELD:exact|phonetic|phonetic2|each_phonetic|prefixN|year|first_token, naming a [[field]]")]
    BadKey(String),
    #[error("config: needs at least one [[field]] and one blocking rule")]
    Empty,
}

/// A parsed blocking key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySpec {
    pub field: usize,
    pub how: KeyHow,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyHow {
    Exact,
    Phonetic,
    /// The phonetic key of the second part of a joint `surnames` field.
    Phonetic2,
    /// Every token's phonetic key (each given name, both surnames): the record joins one
    /// block per key, so swapped surnames and given names in another order still meet.
    EachPhonetic,
    /// The first N characters (names: `prefix3`; UBIGEO codes: `prefix2` is the
    /// department, `prefix4` the province).
    Prefix(u8),
    Year,
    FirstToken,
}

/// `prefixN` with N from 1 to 9.
fn prefix_len(how: &str) -> Option<u8> {
    how.strip_prefix("prefix").and_then(|d| d.parse::<u8>().ok()).filter(|n| (1..=9).contains(n))
}

impl LinkConfig {
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let c: LinkConfig = toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        if c.fields.is_empty() || c.blocking.is_empty() || c.blocking.iter().any(|r| r.is_empty()) {
            return Err(ConfigError::Empty);
        }
        c.rules()?;
        Ok(c)
    }

    pub fn rules(&self) -> Result<Vec<Vec<KeySpec>>, ConfigError> {
        self.blocking
            .iter()
            .map(|rule| {
                rule.iter()
                    .map(|k| {
                        let (f, how) = k.split_once(':').ok_or_else(|| ConfigError::BadKey(k.clone()))?;
                        let field = self.fields.iter().position(|x| x.name == f).ok_or_else(|| ConfigError::BadKey(k.clone()))?;
                        let how = match how {
                            "exact" => KeyHow::Exact,
                            "phonetic" => KeyHow::Phonetic,
                            "phonetic2" => KeyHow::Phonetic2,
                            "each_phonetic" => KeyHow::EachPhonetic,
                            p if prefix_len(p).is_some() => KeyHow::Prefix(prefix_len(p).unwrap_or(3)),
                            "year" => KeyHow::Year,
                            "first_token" => KeyHow::FirstToken,
                            _ => return Err(ConfigError::BadKey(k.clone())),
                        };
                        Ok(KeySpec { field, how })
                    })
                    .collect()
            })
            .collect()
    }
}
