//! Victim screening with the ILO / European Commission operational indicators (2009).
//!
//! An instrument is *data*: sets, dimensions, indicators with a strength per set, and the
//! combination rules. Nothing about the 2009 brochure is hard-coded here, because the child
//! rule could not be checked against the original and an administrator must be able to
//! publish a corrected version without a release. A published version is never edited; a
//! screening stores the id of the version it used, so re-running it gives the same answer.
//!
//! The result is "indicators of trafficking present / not present", an aid to a trained
//! person. The identification decision is a separate, human act.

use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    Strong,
    Medium,
    Weak,
}

impl Strength {
    pub fn parse(s: &str) -> Option<Strength> {
        match s {
            "strong" => Some(Strength::Strong),
            "medium" => Some(Strength::Medium),
            "weak" => Some(Strength::Weak),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Strong => "strong",
            Strength::Medium => "medium",
            Strength::Weak => "weak",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SetDef {
    pub key: String,
    /// `adult` or `child`: chooses the outcome rule.
    pub age_group: String,
    /// `labour` or `sexual`.
    pub exploitation: String,
    pub label_en: String,
    pub label_es: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DimensionDef {
    pub key: String,
    pub name: String,
    pub label_en: String,
    pub label_es: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IndicatorDef {
    pub set: String,
    pub dimension: String,
    pub id: String,
    pub label_en: String,
    pub label_es: String,
    pub strength: Strength,
    /// How sure we are of the strength (`secondary`, `unverified`, …). Shown to administrators.
    pub strength_source: String,
}

/// `count` distinct present indicators whose strength is one of `of`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Requirement {
    pub count: u32,
    pub of: Vec<Strength>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rules {
    /// A dimension is positive when its present indicators satisfy any one of these patterns;
    /// a pattern is a list of requirements met by *distinct* indicators.
    pub dimension_positive_if_any: Vec<Vec<Requirement>>,
    /// Per age group: every clause must have at least one positive dimension.
    pub outcome_if_all: BTreeMap<String, Vec<Vec<String>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Instrument {
    /// The id of this published version, e.g. `ilo-ec-2009-v1`. Assigned on publication
    /// (ignored in what an administrator submits), as is `version`.
    #[serde(default)]
    pub id: String,
    pub family: String,
    #[serde(default)]
    pub version: i64,
    pub title_en: String,
    pub title_es: String,
    #[serde(default)]
    pub source_note: String,
    pub sets: Vec<SetDef>,
    pub dimensions: Vec<DimensionDef>,
    pub indicators: Vec<IndicatorDef>,
    pub rules: Rules,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DimensionResult {
    pub positive: bool,
    pub present: Vec<String>,
    /// Present indicators by strength, so the UI can say *why*.
    pub strong: u32,
    pub medium: u32,
    pub weak: u32,
    /// Index of the first positivity pattern that matched, if any.
    pub matched_pattern: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    IndicatorsPresent,
    IndicatorsNotPresent,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::IndicatorsPresent => "indicators_present",
            Outcome::IndicatorsNotPresent => "indicators_not_present",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Evaluation {
    pub dimensions: BTreeMap<String, DimensionResult>,
    pub outcome: Outcome,
    pub instrument_version: String,
    pub set: String,
}

impl Instrument {
    pub fn set(&self, key: &str) -> Option<&SetDef> {
        self.sets.iter().find(|s| s.key == key)
    }

    pub fn indicators_of<'a>(&'a self, set: &'a str) -> impl Iterator<Item = &'a IndicatorDef> + 'a {
        self.indicators.iter().filter(move |i| i.set == set)
    }

    /// The set for an age at exploitation (under 18 is a child) and a kind of exploitation.
    pub fn choose_set(&self, age_at_exploitation: Option<i64>, exploitation: &str) -> Option<&SetDef> {
        let group = match age_at_exploitation {
            Some(a) if a < 18 => "child",
            _ => "adult",
        };
        self.sets.iter().find(|s| s.age_group == group && s.exploitation == exploitation)
    }

    /// Check that the instrument is self-consistent before it is published.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if self.family.trim().is_empty() || self.family.len() > 60 || !self.family.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            e.add("family", "invalid_identifier");
        }
        if self.sets.is_empty() {
            e.add("sets", "required");
        }
        let dims: BTreeSet<&str> = self.dimensions.iter().map(|d| d.key.as_str()).collect();
        for s in &self.sets {
            if !self.rules.outcome_if_all.contains_key(&s.age_group) {
                e.add_detail("rules", "no_outcome_rule_for_age_group", &s.age_group);
            }
            if self.indicators_of(&s.key).next().is_none() {
                e.add_detail("indicators", "set_without_indicators", &s.key);
            }
        }
        let mut seen = BTreeSet::new();
        for i in &self.indicators {
            if self.set(&i.set).is_none() {
                e.add_detail("indicators", "unknown_set", &i.set);
            }
            if !dims.contains(i.dimension.as_str()) {
                e.add_detail("indicators", "unknown_dimension", &i.dimension);
            }
            if !seen.insert((i.set.as_str(), i.id.as_str())) {
                e.add_detail("indicators", "duplicate_indicator", &i.id);
            }
        }
        for clauses in self.rules.outcome_if_all.values() {
            for d in clauses.iter().flatten() {
                if !dims.contains(d.as_str()) {
                    e.add_detail("rules", "unknown_dimension", d);
                }
            }
            if clauses.is_empty() || clauses.iter().any(Vec::is_empty) {
                e.add("rules", "empty_clause");
            }
        }
        if self.rules.dimension_positive_if_any.is_empty()
            || self.rules.dimension_positive_if_any.iter().any(|p| p.is_empty() || p.iter().any(|r| r.count == 0 || r.of.is_empty()))
        {
            e.add("rules", "empty_pattern");
        }
        e.into_result()
    }

    /// Evaluate a set of present indicators. Unknown ids, and ids that belong only to another
    /// set, are refused by name: silently ignoring them would change the outcome.
    pub fn evaluate(&self, set: &str, present: &[String]) -> Result<Evaluation, FieldErrors> {
        let mut e = FieldErrors::new();
        let Some(set_def) = self.set(set) else {
            e.add_detail("set", "unknown_set", set);
            return Err(e);
        };
        let mut chosen: BTreeMap<&str, &IndicatorDef> = BTreeMap::new();
        for id in present {
            match self.indicators_of(set).find(|i| &i.id == id) {
                Some(def) => {
                    chosen.insert(def.id.as_str(), def);
                }
                None if self.indicators.iter().any(|i| &i.id == id) => e.add_detail("indicators", "indicator_of_another_set", id),
                None => e.add_detail("indicators", "unknown_indicator", id),
            }
        }
        e.into_result()?;
        let mut dimensions = BTreeMap::new();
        for d in &self.dimensions {
            let here: Vec<&IndicatorDef> = chosen.values().copied().filter(|i| i.dimension == d.key).collect();
            let count = |s: Strength| u32::try_from(here.iter().filter(|i| i.strength == s).count()).unwrap_or(u32::MAX);
            let (strong, medium, weak) = (count(Strength::Strong), count(Strength::Medium), count(Strength::Weak));
            let matched_pattern =
                self.rules.dimension_positive_if_any.iter().position(|pattern| satisfies(pattern, [strong, medium, weak]));
            dimensions.insert(
                d.key.clone(),
                DimensionResult {
                    positive: matched_pattern.is_some(),
                    present: here.iter().map(|i| i.id.clone()).collect(),
                    strong,
                    medium,
                    weak,
                    matched_pattern,
                },
            );
        }
        let clauses = self.rules.outcome_if_all.get(&set_def.age_group).map(Vec::as_slice).unwrap_or(&[]);
        let positive = |k: &String| dimensions.get(k).is_some_and(|r| r.positive);
        let all = !clauses.is_empty() && clauses.iter().all(|clause| clause.iter().any(positive));
        Ok(Evaluation {
            dimensions,
            outcome: if all { Outcome::IndicatorsPresent } else { Outcome::IndicatorsNotPresent },
            instrument_version: self.id.clone(),
            set: set.to_owned(),
        })
    }
}

fn slot(s: Strength) -> usize {
    match s {
        Strength::Strong => 0,
        Strength::Medium => 1,
        Strength::Weak => 2,
    }
}

/// Can the requirements be met by distinct indicators, given counts per strength? A small
/// exhaustive search: patterns have a handful of requirements and counts are tiny.
fn satisfies(pattern: &[Requirement], available: [u32; 3]) -> bool {
    let Some((first, rest)) = pattern.split_first() else { return true };
    take(first.count, &first.of, available, rest)
}

fn take(need: u32, of: &[Strength], available: [u32; 3], rest: &[Requirement]) -> bool {
    if need == 0 {
        return satisfies(rest, available);
    }
    of.iter().any(|s| {
        let k = slot(*s);
        match available.get(k) {
            Some(&n) if n > 0 => {
                let mut left = available;
                if let Some(c) = left.get_mut(k) {
                    *c = n - 1;
                }
                take(need - 1, of, left, rest)
            }
            _ => false,
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A tiny instrument with the 2009 rules and known strengths in every dimension.
    fn instrument() -> Instrument {
        let req = |count, of: &[Strength]| Requirement { count, of: of.to_vec() };
        use Strength::*;
        let mut indicators = Vec::new();
        for set in ["adult_labour", "child_labour"] {
            for d in ["D1", "D2", "D3", "D4", "D5", "D6"] {
                for (n, s) in [("s1", Strong), ("s2", Strong), ("m1", Medium), ("m2", Medium), ("m3", Medium), ("w1", Weak), ("w2", Weak)] {
                    indicators.push(IndicatorDef {
                        set: set.into(),
                        dimension: d.into(),
                        id: format!("{}.{n}", d.to_lowercase()),
                        label_en: n.into(),
                        label_es: n.into(),
                        strength: s,
                        strength_source: "test".into(),
                    });
                }
            }
        }
        indicators.push(IndicatorDef {
            set: "child_labour".into(),
            dimension: "D4".into(),
            id: "d4.child_only".into(),
            label_en: "x".into(),
            label_es: "x".into(),
            strength: Strong,
            strength_source: "test".into(),
        });
        let set = |key: &str, age: &str| SetDef {
            key: key.into(),
            age_group: age.into(),
            exploitation: "labour".into(),
            label_en: key.into(),
            label_es: key.into(),
        };
        let dims = ["D1", "D2", "D3", "D4", "D5", "D6"]
            .iter()
            .map(|k| DimensionDef { key: (*k).into(), name: k.to_lowercase(), label_en: (*k).into(), label_es: (*k).into() })
            .collect();
        let mut outcome = BTreeMap::new();
        outcome
            .insert("adult".into(), vec![vec!["D1".into(), "D2".into(), "D3".into()], vec!["D4".into()], vec!["D5".into(), "D6".into()]]);
        outcome.insert("child".into(), vec![vec!["D1".into(), "D2".into(), "D3".into()], vec!["D4".into()]]);
        Instrument {
            id: "t-v1".into(),
            family: "t".into(),
            version: 1,
            title_en: "t".into(),
            title_es: "t".into(),
            source_note: String::new(),
            sets: vec![set("adult_labour", "adult"), set("child_labour", "child")],
            dimensions: dims,
            indicators,
            rules: Rules {
                dimension_positive_if_any: vec![
                    vec![req(2, &[Strong])],
                    vec![req(1, &[Strong]), req(1, &[Medium, Weak])],
                    vec![req(3, &[Medium])],
                    vec![req(2, &[Medium]), req(1, &[Weak])],
                ],
                outcome_if_all: outcome,
            },
        }
    }

    fn ids(d: &str, names: &[&str]) -> Vec<String> {
        names.iter().map(|n| format!("{d}.{n}")).collect()
    }

    fn d1(names: &[&str]) -> bool {
        let e = instrument().evaluate("adult_labour", &ids("d1", names));
        e.map(|e| e.dimensions.get("D1").is_some_and(|r| r.positive)).unwrap_or(false)
    }

    #[test]
    fn each_positivity_pattern_makes_a_dimension_positive() {
        assert!(d1(&["s1", "s2"]), "two strong");
        assert!(d1(&["s1", "m1"]), "one strong + one medium");
        assert!(d1(&["s1", "w1"]), "one strong + one weak");
        assert!(d1(&["m1", "m2", "m3"]), "three medium");
        assert!(d1(&["m1", "m2", "w1"]), "two medium + one weak");
    }

    #[test]
    fn near_misses_are_not_positive() {
        assert!(!d1(&["s1"]), "one strong alone");
        assert!(!d1(&["m1", "w1", "w2"]), "one medium + two weak");
        assert!(!d1(&["w1", "w2"]), "weak only");
        assert!(!d1(&["m1", "m2"]), "two medium");
        assert!(!d1(&[]), "nothing");
    }

    #[test]
    fn the_matched_pattern_explains_the_result() {
        let e = instrument().evaluate("adult_labour", &ids("d1", &["m1", "m2", "w1"])).unwrap();
        let r = &e.dimensions["D1"];
        assert_eq!((r.strong, r.medium, r.weak, r.matched_pattern), (0, 2, 1, Some(3)));
    }

    fn outcome(set: &str, dims: &[&str]) -> Outcome {
        let mut present = Vec::new();
        for d in dims {
            present.extend(ids(&d.to_lowercase(), &["s1", "s2"]));
        }
        instrument().evaluate(set, &present).unwrap().outcome
    }

    #[test]
    fn adults_need_recruitment_exploitation_and_coercion() {
        use Outcome::*;
        assert_eq!(outcome("adult_labour", &["D1", "D4", "D5"]), IndicatorsPresent);
        assert_eq!(outcome("adult_labour", &["D3", "D4", "D6"]), IndicatorsPresent);
        assert_eq!(outcome("adult_labour", &["D2", "D4"]), IndicatorsNotPresent, "no coercion at destination");
        assert_eq!(outcome("adult_labour", &["D4", "D5", "D6"]), IndicatorsNotPresent, "no recruitment");
        assert_eq!(outcome("adult_labour", &["D1", "D2", "D3", "D5"]), IndicatorsNotPresent, "no exploitation");
    }

    #[test]
    fn children_need_no_means() {
        use Outcome::*;
        assert_eq!(outcome("child_labour", &["D1", "D4"]), IndicatorsPresent);
        assert_eq!(outcome("child_labour", &["D2", "D4"]), IndicatorsPresent);
        assert_eq!(outcome("child_labour", &["D4", "D5", "D6"]), IndicatorsNotPresent);
        assert_eq!(outcome("child_labour", &["D1", "D5"]), IndicatorsNotPresent);
    }

    #[test]
    fn unknown_and_foreign_indicators_are_refused_by_name() {
        let i = instrument();
        let e = i.evaluate("adult_labour", &["d4.child_only".into(), "zz.nope".into()]).unwrap_err();
        assert_eq!(e.0.len(), 2);
        assert_eq!(e.0[0].code, "indicator_of_another_set");
        assert_eq!(e.0[0].detail.as_deref(), Some("d4.child_only"));
        assert_eq!(e.0[1].code, "unknown_indicator");
        assert_eq!(e.0[1].detail.as_deref(), Some("zz.nope"));
        assert!(i.evaluate("martian", &[]).is_err());
    }

    #[test]
    fn the_same_input_gives_the_same_answer() {
        let i = instrument();
        let a = i.evaluate("adult_labour", &ids("d1", &["s1", "w1"])).unwrap();
        let b = i.evaluate("adult_labour", &ids("d1", &["w1", "s1", "s1"])).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn the_set_follows_age_at_exploitation() {
        let i = instrument();
        assert_eq!(i.choose_set(Some(17), "labour").map(|s| s.key.as_str()), Some("child_labour"));
        assert_eq!(i.choose_set(Some(18), "labour").map(|s| s.key.as_str()), Some("adult_labour"));
        assert_eq!(i.choose_set(None, "labour").map(|s| s.key.as_str()), Some("adult_labour"));
    }

    #[test]
    fn inconsistent_instruments_are_refused() {
        let mut i = instrument();
        assert!(i.validate().is_ok());
        i.rules.outcome_if_all.remove("child");
        i.rules.dimension_positive_if_any.push(vec![]);
        let e = i.validate().unwrap_err();
        assert!(e.0.iter().any(|x| x.code == "no_outcome_rule_for_age_group"));
        assert!(e.0.iter().any(|x| x.code == "empty_pattern"));
    }

    #[test]
    fn strengths_and_outcomes_have_their_names_as_serialized() {
        for st in [Strength::Strong, Strength::Medium, Strength::Weak] {
            assert_eq!(Strength::parse(st.as_str()), Some(st));
            assert_eq!(serde_json::to_string(&st).unwrap(), format!("\"{}\"", st.as_str()));
        }
        assert_eq!((Strength::Strong.as_str(), Strength::Medium.as_str(), Strength::Weak.as_str()), ("strong", "medium", "weak"));
        assert_eq!(Strength::parse("very"), None);
        for o in [Outcome::IndicatorsPresent, Outcome::IndicatorsNotPresent] {
            assert_eq!(serde_json::to_string(&o).unwrap(), format!("\"{}\"", o.as_str()));
        }
        assert_eq!(Outcome::IndicatorsPresent.as_str(), "indicators_present");
    }

    /// Each of the family name's conditions refuses on its own.
    #[test]
    fn a_family_name_must_be_a_short_identifier() {
        let refused = |family: &str| {
            let mut i = instrument();
            i.family = family.into();
            i.validate().err().is_some_and(|e| e.0.iter().any(|x| x.field == "family" && x.code == "invalid_identifier"))
        };
        assert!(!refused("ilo-ec-2009"));
        assert!(refused(""), "empty");
        assert!(refused("   "), "blank");
        assert!(refused(&"a".repeat(61)), "too long");
        assert!(!refused(&"a".repeat(60)), "60 is the limit");
        assert!(refused("ilo ec"), "a space");
        assert!(refused("ilo_ec"), "an underscore");
    }

    /// Each rule's conditions refuse on their own.
    #[test]
    fn empty_clauses_and_patterns_are_refused_one_by_one() {
        let code_of = |i: &Instrument, code: &str| i.validate().err().is_some_and(|e| e.0.iter().any(|x| x.code == code));
        let mut i = instrument();
        if let Some(c) = i.rules.outcome_if_all.values_mut().next() {
            c.push(vec![]);
        }
        assert!(code_of(&i, "empty_clause"), "one empty clause among others");
        let mut i = instrument();
        if let Some(c) = i.rules.outcome_if_all.values_mut().next() {
            c.clear();
        }
        assert!(code_of(&i, "empty_clause"), "no clause at all");
        let mut i = instrument();
        i.rules.dimension_positive_if_any.clear();
        assert!(code_of(&i, "empty_pattern"), "no pattern");
        let mut i = instrument();
        if let Some(p) = i.rules.dimension_positive_if_any.first_mut()
            && let Some(r) = p.first_mut()
        {
            r.count = 0;
        }
        assert!(code_of(&i, "empty_pattern"), "a requirement of zero");
        let mut i = instrument();
        if let Some(p) = i.rules.dimension_positive_if_any.first_mut()
            && let Some(r) = p.first_mut()
        {
            r.of.clear();
        }
        assert!(code_of(&i, "empty_pattern"), "a requirement of no strength");
        assert!(!code_of(&instrument(), "empty_pattern") && !code_of(&instrument(), "empty_clause"));
    }
}
