//! Field comparisons. Each comparison turns a pair of prepared values into a small level:
//! `0` always means "one side is missing" and contributes nothing to the score (a missing
//! document neither rewards nor punishes a pair); higher levels mean closer agreement, and
//! level `1` always means "clearly different".

use crate::normalize::PartialDate;
use strsim::jaro_winkler;

pub const MISSING: u8 = 0;

/// How a field is compared. Each kind has a fixed list of levels (see `level_names`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Given names: token sets, order-free, nicknames expanded.
    GivenName,
    /// A surname (or any name-like text): exact, phonetic, Jaro–Winkler levels.
    Name,
    /// Both surnames together (columns: first, second). Either may be missing, or the two
    /// swapped — both common in Peruvian records.
    Surnames,
    /// Free text like an address line: exact, Jaro–Winkler levels.
    Text,
    /// Codes that must match exactly (sex, state).
    Exact,
    /// Short codes and numbers with typos (postcodes, street numbers): exact, one edit.
    Code,
    /// Dates, possibly partial, with day/month swaps.
    Date,
    /// Identity documents: exact, one edit (typo).
    Document,
    /// UBIGEO-like hierarchical area codes: same district, province, department.
    Area,
}

impl Kind {
    /// Level names, index = level. Index 0 is always "missing".
    pub fn level_names(self) -> &'static [&'static str] {
        match self {
            Kind::GivenName => &["missing", "different", "jaro_winkler>=0.80", "jaro_winkler>=0.92", "phonetic_or_partial", "exact"],
            Kind::Name => &["missing", "different", "jaro_winkler>=0.80", "jaro_winkler>=0.92", "phonetic", "exact"],
            Kind::Surnames => &["missing", "different", "one_close", "one_agrees", "both_close", "swapped", "exact"],
            Kind::Text => &["missing", "different", "jaro_winkler>=0.80", "jaro_winkler>=0.92", "exact"],
            Kind::Exact => &["missing", "different", "exact"],
            Kind::Code | Kind::Document => &["missing", "different", "one_edit", "exact"],
            Kind::Date => &["missing", "different", "partial_year_apart", "partial_agrees", "same_month", "one_edit_or_swap", "exact"],
            Kind::Area => &["missing", "different", "same_department", "same_province", "exact"],
        }
    }
    pub fn levels(self) -> usize {
        self.level_names().len()
    }
    /// The level that means "exact agreement" (used for term-frequency adjustment).
    pub fn exact_level(self) -> u8 {
        (self.levels() - 1) as u8
    }
}

/// A prepared value, ready for fast comparison.
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    /// Normalised text: given names' tokens joined with spaces (sorted, so order-free); for
    /// joint surnames "first|second" (or just "first"). The tokens are read back from it —
    /// six million of these at a million records, so no separate token vectors.
    pub text: String,
    /// Phonetic key of the text (names).
    pub phonetic: String,
    pub date: Option<PartialDate>,
}

impl Prepared {
    /// Given-name tokens.
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.text.split(' ').filter(|t| !t.is_empty())
    }

    pub fn is_missing(&self) -> bool {
        self.text.is_empty() && self.date.is_none()
    }
}

fn jw_level(a: &str, b: &str, hi: u8) -> u8 {
    let s = jaro_winkler(a, b);
    if s >= 0.92 {
        hi
    } else if s >= 0.80 {
        hi - 1
    } else {
        1
    }
}

/// Compare two prepared values of the same kind.
pub fn compare(kind: Kind, a: &Prepared, b: &Prepared) -> u8 {
    if a.is_missing() || b.is_missing() {
        return MISSING;
    }
    match kind {
        Kind::Exact => {
            if a.text == b.text {
                2
            } else {
                1
            }
        }
        Kind::Code | Kind::Document => {
            if a.text == b.text {
                3
            } else if within_one_edit(a.text.as_bytes(), b.text.as_bytes()) {
                2
            } else {
                1
            }
        }
        Kind::Text => {
            if a.text == b.text {
                4
            } else {
                jw_level(&a.text, &b.text, 3)
            }
        }
        Kind::Name => {
            if a.text == b.text {
                5
            } else if !a.phonetic.is_empty() && a.phonetic == b.phonetic {
                4
            } else {
                jw_level(&a.text, &b.text, 3)
            }
        }
        Kind::GivenName => {
            if a.text == b.text {
                return 5;
            }
            // One name contained in the other ("María" ~ "María Rosa") or same sounds.
            let shared = a.tokens().any(|t| b.tokens().any(|u| u == t));
            if shared || (!a.phonetic.is_empty() && a.phonetic == b.phonetic) {
                return 4;
            }
            // Best pairing of first tokens, order-free.
            let best = a
                .tokens()
                .flat_map(|x| b.tokens().map(move |y| jaro_winkler(x, y)))
                .fold(0.0_f64, f64::max)
                .max(jaro_winkler(&a.text, &b.text));
            if best >= 0.92 {
                3
            } else if best >= 0.80 {
                2
            } else {
                1
            }
        }
        Kind::Surnames => surnames_level(a, b),
        Kind::Date => match (a.date, b.date) {
            (Some(x), Some(y)) => date_level(x, y),
            _ => MISSING,
        },
        Kind::Area => {
            let common = a.text.bytes().zip(b.text.bytes()).take_while(|(x, y)| x == y).count();
            if a.text == b.text {
                4
            } else if common >= 4 {
                3
            } else if common >= 2 {
                2
            } else {
                1
            }
        }
    }
}

/// One surname against another: 3 = exact, 2 = sounds alike or Jaro–Winkler ≥ 0.92,
/// 1 = Jaro–Winkler ≥ 0.80, 0 = different or missing.
fn surname_agreement(a: &str, ka: &str, b: &str, kb: &str) -> u8 {
    if a.is_empty() || b.is_empty() {
        0
    } else if a == b {
        3
    } else if ka == kb {
        2
    } else {
        match jaro_winkler(a, b) {
            s if s >= 0.92 => 2,
            s if s >= 0.80 => 1,
            _ => 0,
        }
    }
}

/// Damerau–Levenshtein distance ≤ 1 (one substitution, insertion, deletion or swap of two
/// neighbours), without building the distance matrix: this runs for every candidate pair.
pub fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (a.get(prefix..).unwrap_or(&[]), b.get(prefix..).unwrap_or(&[]));
    match a.len().abs_diff(b.len()) {
        0 if a.is_empty() => true,
        0 => {
            let rest = |k: usize| a.get(k..) == b.get(k..);
            rest(1) || (a.len() >= 2 && a.first() == b.get(1) && a.get(1) == b.first() && rest(2))
        }
        1 => {
            let (long, short) = if a.len() > b.len() { (a, b) } else { (b, a) };
            long.get(1..) == Some(short)
        }
        _ => false,
    }
}

fn surnames_level(a: &Prepared, b: &Prepared) -> u8 {
    fn part(p: &Prepared, i: usize) -> (&str, &str) {
        (p.text.split('|').nth(i).unwrap_or(""), p.phonetic.split('|').nth(i).unwrap_or(""))
    }
    let (a1, ka1) = part(a, 0);
    let (a2, ka2) = part(a, 1);
    let (b1, kb1) = part(b, 0);
    let (b2, kb2) = part(b, 1);
    let same1 = surname_agreement(a1, ka1, b1, kb1);
    let same2 = surname_agreement(a2, ka2, b2, kb2);
    let cross1 = surname_agreement(a1, ka1, b2, kb2);
    let cross2 = surname_agreement(a2, ka2, b1, kb1);
    let all_four = !a1.is_empty() && !a2.is_empty() && !b1.is_empty() && !b2.is_empty();
    if all_four && same1 == 3 && same2 == 3 {
        6
    } else if all_four && cross1 == 3 && cross2 == 3 {
        5
    } else if all_four && ((same1 >= 2 && same2 >= 2) || (cross1 >= 2 && cross2 >= 2)) {
        4
    } else if [same1, same2, cross1, cross2].iter().any(|x| *x >= 2) {
        3
    } else if [same1, same2, cross1, cross2].iter().any(|x| *x >= 1) {
        2
    } else {
        1
    }
}

/// Levels: 6 exact; 5 one typo or day/month swapped (both dates complete); 4 both complete,
/// same year and month, another day; 3 one side is partial (a year, an approximate age) and
/// agrees with everything the other says; 2 one side is partial and a year out; 1 different.
/// Two complete dates that merely share the year are *different*: that is what two people
/// born the same year look like, and half an agreement there let near-namesakes link.
fn date_level(x: PartialDate, y: PartialDate) -> u8 {
    let complete = |d: PartialDate| d.month.is_some() && d.day.is_some();
    // Two equal *years* (two approximate ages) are far weaker evidence than two equal
    // birthdays: only complete dates can be exact.
    if !complete(x) || !complete(y) {
        let compatible = x.year == y.year
            && (x.month.is_none() || y.month.is_none() || x.month == y.month)
            && (x.day.is_none() || y.day.is_none() || x.day == y.day);
        return if compatible {
            3
        } else if (x.year - y.year).abs() <= 1 && (x.month.is_none() || y.month.is_none()) {
            2
        } else {
            1
        };
    }
    if x == y {
        return 6;
    }
    let digits = |d: PartialDate| {
        let (y, m, dd) = (d.year.max(0) as u32, u32::from(d.month.unwrap_or(0)), u32::from(d.day.unwrap_or(0)));
        let v = y * 10_000 + m * 100 + dd;
        let mut out = [0u8; 8];
        for (k, slot) in out.iter_mut().enumerate() {
            *slot = ((v / 10u32.pow(7 - k as u32)) % 10) as u8;
        }
        out
    };
    let swapped = x.year == y.year && x.month == y.day && x.day == y.month;
    if swapped || within_one_edit(&digits(x), &digits(y)) {
        5
    } else if x.year == y.year && x.month == y.month {
        4
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::parse_date;

    fn p(text: &str) -> Prepared {
        Prepared { text: text.into(), phonetic: crate::phonetic::key(text), date: None }
    }
    fn d(s: &str) -> Prepared {
        Prepared { text: s.into(), date: parse_date(s), ..Prepared::default() }
    }

    #[test]
    fn missing_values_are_level_zero_whatever_the_kind() {
        for k in [Kind::Name, Kind::Text, Kind::Exact, Kind::Code, Kind::Date, Kind::Document, Kind::Area, Kind::GivenName] {
            assert_eq!(compare(k, &p(""), &p("x")), MISSING, "{k:?}");
        }
    }

    #[test]
    fn names_grade_from_exact_through_phonetic_to_different() {
        assert_eq!(compare(Kind::Name, &p("quispe"), &p("quispe")), 5);
        assert_eq!(compare(Kind::Name, &p("vasquez"), &p("basques")), 4);
        assert_eq!(compare(Kind::Name, &p("huaman"), &p("huamani")), 3);
        assert_eq!(compare(Kind::Name, &p("quispe"), &p("rodriguez")), 1);
    }

    #[test]
    fn dates_forgive_swaps_typos_and_partial_knowledge() {
        assert_eq!(compare(Kind::Date, &d("1990-04-09"), &d("1990-04-09")), 6);
        assert_eq!(compare(Kind::Date, &d("09/04/1990"), &d("1990-04-09")), 6, "written either way");
        assert_eq!(compare(Kind::Date, &d("1990-04-09"), &d("1990-09-04")), 5, "day/month swap");
        assert_eq!(compare(Kind::Date, &d("1990-04-09"), &d("1990-04-08")), 5, "one typo");
        assert_eq!(compare(Kind::Date, &d("1990-04-09"), &d("1990-04-27")), 4, "same month, another day");
        assert_eq!(compare(Kind::Date, &d("1990-04-09"), &d("1990")), 3, "partial but compatible");
        assert_eq!(compare(Kind::Date, &d("1990-04-09"), &d("1990-04")), 3, "year and month only, compatible");
        assert_eq!(compare(Kind::Date, &d("1990-04-09"), &d("1990-11-23")), 1, "two complete dates sharing only the year differ");
        assert_eq!(compare(Kind::Date, &d("1990-04-09"), &d("1975-11-23")), 1);
        assert_eq!(compare(Kind::Date, &d("1975"), &d("1971")), 1, "year-only dates compare years");
        assert_eq!(compare(Kind::Date, &d("1975"), &d("1975")), 3, "two equal years are not an exact birthday");
        assert_eq!(compare(Kind::Date, &d("1975"), &d("1976-02-01")), 2, "approximate age, a year out");
    }

    #[test]
    fn codes_and_documents_allow_one_typo() {
        assert_eq!(compare(Kind::Document, &p("40912377"), &p("40912377")), 3);
        assert_eq!(compare(Kind::Document, &p("40912377"), &p("40912737")), 2, "transposition");
        assert_eq!(compare(Kind::Document, &p("40912377"), &p("11111111")), 1);
    }

    #[test]
    fn two_surnames_handle_swaps_and_missing_ones() {
        let s = |a: &str, b: &str| crate::data::prepare(Kind::Surnames, &format!("{a}|{b}"));
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Huaman", "Quispe")), 6);
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Quispe", "Huamán")), 5, "swapped");
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Guamán", "Kispe")), 4, "both sound alike");
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Huamán", "")), 3, "second missing");
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Mamani", "Huamán")), 3, "one agrees, crossed");
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Rojas", "Flores")), 1);
        assert_eq!(compare(Kind::Surnames, &s("", ""), &s("Rojas", "Flores")), 0);
    }

    #[test]
    fn areas_are_near_by_shared_prefix() {
        assert_eq!(compare(Kind::Area, &p("160101"), &p("160101")), 4);
        assert_eq!(compare(Kind::Area, &p("160101"), &p("160108")), 3, "same province (Maynas)");
        assert_eq!(compare(Kind::Area, &p("160101"), &p("160201")), 2, "same department (Loreto)");
        assert_eq!(compare(Kind::Area, &p("160101"), &p("080101")), 1);
    }

    #[test]
    fn given_names_match_in_any_order_and_by_nickname() {
        let g = |s: &str| {
            let t = crate::normalize::given_names(s);
            Prepared { text: t.join(" "), phonetic: String::new(), date: None }
        };
        assert_eq!(compare(Kind::GivenName, &g("Rosa María"), &g("María Rosa")), 5);
        assert_eq!(compare(Kind::GivenName, &g("Pepe"), &g("José")), 5);
        assert_eq!(compare(Kind::GivenName, &g("María"), &g("María Rosa")), 4);
        assert_eq!(compare(Kind::GivenName, &g("Jhon"), &g("John")), 3);
        assert_eq!(compare(Kind::GivenName, &g("Pedro"), &g("Lucía")), 1);
    }
}

#[cfg(test)]
mod edit_tests {
    use super::within_one_edit;

    /// Against the textbook distance on a few hundred pairs, including every edit kind.
    #[test]
    fn one_edit_agrees_with_damerau_levenshtein() {
        let words = ["40912377", "40912737", "4091237", "409123777", "04912377", "40912378", "", "4", "44", "AB1234", "BA1234", "AB1243"];
        for a in words {
            for b in words {
                let want = strsim::damerau_levenshtein(a, b) <= 1;
                assert_eq!(within_one_edit(a.as_bytes(), b.as_bytes()), want, "{a:?} vs {b:?}");
            }
        }
    }
}
