//! Field comparisons. Each comparison turns a pair of prepared values into a small level:
//! `0` always means "one side is missing" and contributes nothing to the score (a missing
//! document neither rewards nor punishes a pair); higher levels mean closer agreement, and
//! level `1` always means "clearly different".

use crate::normalize::PartialDate;

/// Jaro–Winkler similarity (prefix weight 0.1), bit-parallel from `rapidfuzz`: this runs
/// millions of times per linkage run, and the textbook version allocates on every call.
/// Scores under `cutoff` come back as 0 (the levels only ask whether a score reaches 0.80
/// or 0.92, and the cut-off lets it stop early).
pub fn jaro_winkler_at_least(a: &str, b: &str, cutoff: f64) -> f64 {
    rapidfuzz::distance::jaro_winkler::normalized_similarity_with_args(
        a.chars(),
        b.chars(),
        &rapidfuzz::distance::jaro_winkler::Args::default().score_cutoff(cutoff),
    )
    .unwrap_or(0.0)
}

fn jaro_winkler(a: &str, b: &str) -> f64 {
    jaro_winkler_at_least(a, b, 0.80)
}

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
            Kind::GivenName => &[
                "missing",
                "different",
                "jaro_winkler>=0.80",
                "jaro_winkler>=0.92",
                "one_agrees_other_differs",
                "phonetic_or_partial",
                "exact",
            ],
            Kind::Name => &["missing", "different", "jaro_winkler>=0.80", "jaro_winkler>=0.92", "phonetic", "exact"],
            Kind::Surnames => {
                &["missing", "different", "one_close", "one_agrees_other_differs", "one_agrees", "both_close", "swapped", "exact"]
            }
            Kind::Text => &["missing", "different", "jaro_winkler>=0.80", "jaro_winkler>=0.92", "exact"],
            Kind::Exact => &["missing", "different", "exact"],
            Kind::Code | Kind::Document => &["missing", "different", "one_edit", "exact"],
            Kind::Date => &["missing", "different", "partial_year_apart", "partial_agrees", "same_month", "one_edit_or_swap", "exact"],
            Kind::Area => {
                &["missing", "different", "same_department", "same_province", "partial_same_department", "partial_same_province", "exact"]
            }
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
        Kind::GivenName => given_names_level(a, b),
        Kind::Surnames => surnames_level(a, b),
        Kind::Date => match (a.date, b.date) {
            (Some(x), Some(y)) => date_level(x, y),
            _ => MISSING,
        },
        Kind::Area => area_level(&a.text, &b.text),
    }
}

/// Given names, order-free. 6 exact; 5 every name of the shorter side agrees with one of the
/// other's (exactly, by sound or by one typo: "María" ~ "María Rosa", "Yesenia" ~ "Yesnia");
/// 4 one name agrees but another contradicts ("María Rosa" ~ "María Elena": sisters and
/// namesakes look like that, so it must not count as much as 5); 3/2 the best Jaro–Winkler
/// of any two names ≥ 0.92 / ≥ 0.80; 1 different.
fn given_names_level(a: &Prepared, b: &Prepared) -> u8 {
    let ta: Vec<(&str, &str)> = a.tokens().zip(a.phonetic.split(' ').chain(std::iter::repeat(""))).collect();
    let tb: Vec<(&str, &str)> = b.tokens().zip(b.phonetic.split(' ').chain(std::iter::repeat(""))).collect();
    given_names_level_by(a, b, ta.len(), tb.len(), &mut |x, y| {
        let ((t, k), (u, l)) = (ta.get(x).copied().unwrap_or_default(), tb.get(y).copied().unwrap_or_default());
        given_name_agreement(t, k, u, l)
    })
}

/// Two given names agree when equal, alike in sound, or (from five letters) one typo apart.
/// A typo is one edit; a mere high Jaro–Winkler would make "Maribel" agree with "Marisol"
/// (long shared prefixes are common among given names).
pub fn given_name_agreement(t: &str, key: &str, u: &str, ukey: &str) -> bool {
    t == u || (!key.is_empty() && key == ukey) || (t.len().min(u.len()) >= 5 && within_one_edit(t.as_bytes(), u.as_bytes()))
}

/// The given-names level, with `agree(x, y)` comparing name `x` of `a` (of `na`) with name
/// `y` of `b` (of `nb`); the engine passes a version cached by name.
pub fn given_names_level_by(a: &Prepared, b: &Prepared, na: usize, nb: usize, agree: &mut dyn FnMut(usize, usize) -> bool) -> u8 {
    if a.text == b.text {
        return 6;
    }
    // Every name of the side with fewer names must agree with one of the other's.
    let a_is_short = na <= nb;
    let (ns, nl) = if a_is_short { (na, nb) } else { (nb, na) };
    let mut agreeing = 0;
    for x in 0..ns {
        let agrees = (0..nl).any(|y| if a_is_short { agree(x, y) } else { agree(y, x) });
        agreeing += usize::from(agrees);
    }
    if ns > 0 && agreeing == ns {
        return 5;
    }
    if agreeing > 0 {
        return 4;
    }
    // Nothing agrees: how close are the closest two names (or the whole texts)?
    let best = a.tokens().flat_map(|x| b.tokens().map(move |y| jaro_winkler(x, y))).fold(jaro_winkler(&a.text, &b.text), f64::max);
    if best >= 0.92 {
        3
    } else if best >= 0.80 {
        2
    } else {
        1
    }
}

/// UBIGEO-like codes (2 digits department, 2 province, 2 district). 6 exact; 5/4 one side
/// names only the province / only the department and the other lies inside it (an agency
/// that recorded less, not a contradiction); 3/2 both complete, same province / department;
/// 1 different.
fn area_level(a: &str, b: &str) -> u8 {
    if a == b {
        return 6;
    }
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let shorter = a.len().min(b.len());
    if common == shorter && common >= 4 {
        5
    } else if common == shorter && common >= 2 {
        4
    } else if common >= 4 {
        3
    } else if common >= 2 {
        2
    } else {
        1
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

/// Two surnames against two. 7 exact; 6 swapped; 5 both agree (sound or typo); 4 one
/// agrees and the other is missing on a side or similar (a record that left it out);
/// 3 one agrees and the other plainly differs (what relatives and namesakes sharing one
/// common surname look like); 2 one is similar; 1 different.
fn surnames_level(a: &Prepared, b: &Prepared) -> u8 {
    let ((a1, a2), (b1, b2)) = ((surname_part(a, 0).0, surname_part(a, 1).0), (surname_part(b, 0).0, surname_part(b, 1).0));
    let shape = SurnamesShape { all_four: ![a1, a2, b1, b2].iter().any(|s| s.is_empty()), crossed_equal: a1 == b2 && a2 == b1 };
    surnames_level_by(shape, &mut |x, y| surname_parts_agreement(a, x, b, y))
}

/// What the surnames level needs to know besides the agreements: whether both sides have
/// two surnames, and whether each side's first is the other's second.
#[derive(Clone, Copy, Debug)]
pub struct SurnamesShape {
    pub all_four: bool,
    pub crossed_equal: bool,
}

/// Surname `i` (0 first, 1 second) of a prepared joint surnames value, with its phonetic key.
pub fn surname_part(p: &Prepared, i: usize) -> (&str, &str) {
    fn half(s: &str, i: usize) -> &str {
        let (x, y) = s.split_once('|').unwrap_or((s, ""));
        if i == 0 { x } else { y }
    }
    (half(&p.text, i), half(&p.phonetic, i))
}

/// One surname against another, by their parts: 3 exact, 2 sound alike or Jaro–Winkler
/// ≥ 0.92, 1 ≥ 0.80, 0 different or missing (see [`surname_agreement`]).
pub fn surname_parts_agreement(a: &Prepared, i: usize, b: &Prepared, j: usize) -> u8 {
    let ((s, k), (t, l)) = (surname_part(a, i), surname_part(b, j));
    surname_agreement(s, k, t, l)
}

/// The surnames level, with `agree(i, j)` comparing surname `i` of `a` with surname `j` of
/// `b` (the engine passes a cached version: surname *tokens* repeat far more than pairs of
/// surnames do).
pub fn surnames_level_by(shape: SurnamesShape, agree: &mut dyn FnMut(usize, usize) -> u8) -> u8 {
    let SurnamesShape { all_four, crossed_equal } = shape;
    let same1 = agree(0, 0);
    let same2 = agree(1, 1);
    if all_four && same1 == 3 && same2 == 3 {
        return 7;
    }
    // Both agree in order but not both exactly: the crossed comparison could only say
    // "swapped" if each side held one surname twice, so it is not worth two more
    // Jaro–Winklers on every such pair.
    if all_four && same1 >= 2 && same2 >= 2 && !crossed_equal {
        return 5;
    }
    let cross1 = agree(0, 1);
    let cross2 = agree(1, 0);
    if all_four && cross1 == 3 && cross2 == 3 {
        return 6;
    }
    if all_four && ((same1 >= 2 && same2 >= 2) || (cross1 >= 2 && cross2 >= 2)) {
        return 5;
    }
    // One surname agrees; what does its partner in the same alignment say?
    let consistent = |x: u8, y: u8, other_missing: bool| (x >= 2 && (y >= 1 || other_missing)) || (y >= 2 && (x >= 1 || other_missing));
    let straight_missing = !all_four;
    if consistent(same1, same2, straight_missing) || consistent(cross1, cross2, straight_missing) {
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
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Huaman", "Quispe")), 7);
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Quispe", "Huamán")), 6, "swapped");
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Guamán", "Kispe")), 5, "both sound alike");
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Huamán", "")), 4, "second missing: one agrees, nothing contradicts");
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Huamán", "Rojas")), 3, "one agrees, the other contradicts");
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Mamani", "Huamán")), 3, "one agrees, crossed");
        assert_eq!(compare(Kind::Surnames, &s("Huamán", "Quispe"), &s("Rojas", "Flores")), 1);
        assert_eq!(compare(Kind::Surnames, &s("", ""), &s("Rojas", "Flores")), 0);
    }

    #[test]
    fn areas_are_near_by_shared_prefix() {
        assert_eq!(compare(Kind::Area, &p("160101"), &p("160101")), 6);
        assert_eq!(compare(Kind::Area, &p("1601"), &p("160101")), 5, "one side knows only the province, and agrees");
        assert_eq!(compare(Kind::Area, &p("160101"), &p("16")), 4, "one side knows only the department, and agrees");
        assert_eq!(compare(Kind::Area, &p("160101"), &p("160108")), 3, "same province (Maynas)");
        assert_eq!(compare(Kind::Area, &p("160101"), &p("160201")), 2, "same department (Loreto)");
        assert_eq!(compare(Kind::Area, &p("160101"), &p("080101")), 1);
    }

    #[test]
    fn given_names_match_in_any_order_and_by_nickname() {
        let g = |s: &str| crate::data::prepare(Kind::GivenName, s);
        assert_eq!(compare(Kind::GivenName, &g("Rosa María"), &g("María Rosa")), 6);
        assert_eq!(compare(Kind::GivenName, &g("Pepe"), &g("José")), 6);
        assert_eq!(compare(Kind::GivenName, &g("María"), &g("María Rosa")), 5, "one side gave one name");
        assert_eq!(compare(Kind::GivenName, &g("Edith Yesenia"), &g("Yesnia Edith")), 5, "a typo in one name");
        assert_eq!(compare(Kind::GivenName, &g("María Rosa"), &g("María Elena")), 4, "one agrees, one contradicts");
        assert_eq!(compare(Kind::GivenName, &g("Maribel"), &g("Marisol")), 2);
        assert_eq!(compare(Kind::GivenName, &g("Pedro"), &g("Lucía")), 1);
    }
}

#[cfg(test)]
mod edit_tests {
    use super::{jaro_winkler_at_least, within_one_edit};

    /// The fast Jaro–Winkler gives the textbook score wherever it reaches the cut-off, and
    /// 0 below it.
    #[test]
    fn fast_jaro_winkler_agrees_with_the_textbook_one() {
        let words = [
            "quispe",
            "kispe",
            "quispee",
            "huaman",
            "guaman",
            "huamani",
            "rodriguez",
            "rodrigues",
            "maribel",
            "marisol",
            "yesenia",
            "yesnia",
            "a",
            "",
        ];
        for a in words {
            for b in words {
                let want = strsim::jaro_winkler(a, b);
                let got = jaro_winkler_at_least(a, b, 0.80);
                if want >= 0.80 {
                    assert!((got - want).abs() < 1e-9, "{a:?} vs {b:?}: {got} vs {want}");
                } else {
                    assert!(got < 0.80, "{a:?} vs {b:?}: {got} below the cut-off must stay below it");
                }
            }
        }
    }

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
