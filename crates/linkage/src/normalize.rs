//! Normalisation of names, dates and document numbers, tuned for Spanish and Peruvian data.

use unicode_normalization::UnicodeNormalization;

/// NFKD, drop combining marks (accents), lower-case, keep letters/digits/spaces only, collapse
/// spaces. `Ñ` becomes `n` here; the phonetic key keeps it distinct where it matters.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    for c in s.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        for lc in c.to_lowercase() {
            if lc.is_alphanumeric() {
                out.push(lc);
                last_space = false;
            } else if !last_space {
                out.push(' ');
                last_space = true;
            }
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Particles that join surnames and carry no identity: "de la Cruz" ~ "Cruz".
const PARTICLES: [&str; 8] = ["de", "del", "la", "las", "los", "y", "e", "da"];

/// Folded tokens without particles.
pub fn name_tokens(s: &str) -> Vec<String> {
    fold(s).split(' ').filter(|t| !t.is_empty() && !PARTICLES.contains(t)).map(str::to_owned).collect()
}

/// Common Spanish nicknames and hypocoristics → the formal given name (folded).
const NICKNAMES: &[(&str, &str)] = &[
    ("pepe", "jose"),
    ("pepito", "jose"),
    ("chema", "jose"),
    ("pancho", "francisco"),
    ("paco", "francisco"),
    ("curro", "francisco"),
    ("lucho", "luis"),
    ("nacho", "ignacio"),
    ("memo", "guillermo"),
    ("lupe", "guadalupe"),
    ("charo", "rosario"),
    ("chayo", "rosario"),
    ("concha", "concepcion"),
    ("conchita", "concepcion"),
    ("chabela", "isabel"),
    ("chabe", "isabel"),
    ("toño", "antonio"),
    ("tono", "antonio"),
    ("quique", "enrique"),
    ("kike", "enrique"),
    ("beto", "alberto"),
    ("chucho", "jesus"),
    ("chuy", "jesus"),
    ("lola", "dolores"),
    ("maru", "maria"),
    ("mari", "maria"),
    ("meche", "mercedes"),
    ("nando", "fernando"),
    ("rafa", "rafael"),
    ("manolo", "manuel"),
    ("manu", "manuel"),
    ("chelo", "consuelo"),
    ("tere", "teresa"),
    ("juancho", "juan"),
    ("pili", "pilar"),
    ("susy", "susana"),
    ("rosy", "rosa"),
    ("vicho", "vicente"),
    ("goyo", "gregorio"),
];

/// The formal name for a folded token, if it is a known nickname.
pub fn formal_name(token: &str) -> &str {
    NICKNAMES.iter().find(|(n, _)| *n == token).map(|(_, f)| *f).unwrap_or(token)
}

/// Given names: folded tokens with nicknames expanded, sorted so that order does not matter
/// ("María Rosa" ~ "Rosa María").
pub fn given_names(s: &str) -> Vec<String> {
    let mut t: Vec<String> = name_tokens(s).iter().map(|x| formal_name(x).to_owned()).collect();
    t.sort();
    t
}

/// Two surnames as recorded, either possibly missing. Returns folded tokens of each.
pub fn surnames(first: &str, second: &str) -> (Vec<String>, Vec<String>) {
    let a = name_tokens(first);
    let b = name_tokens(second);
    // "Quispe Mamani" typed into the first-surname field alone: split it.
    if b.is_empty() && a.len() == 2 {
        return (vec![a.first().cloned().unwrap_or_default()], vec![a.get(1).cloned().unwrap_or_default()]);
    }
    (a, b)
}

/// A date that may be partly known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialDate {
    pub year: i32,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

/// Parse `YYYYMMDD`, `YYYY-MM-DD`, `DD/MM/YYYY`, `YYYY-MM` or `YYYY`. Anything else is `None`
/// (treated as missing, not as an error: the data is messy by nature).
pub fn parse_date(s: &str) -> Option<PartialDate> {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let sep_parts: Vec<&str> = s.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty()).collect();
    let mk = |y: i32, m: Option<u32>, d: Option<u32>| {
        let month = m.filter(|m| (1..=12).contains(m)).map(|m| m as u8);
        let day = d.filter(|d| (1..=31).contains(d)).map(|d| d as u8);
        ((1880..=2100).contains(&y)).then_some(PartialDate { year: y, month, day: if month.is_some() { day } else { None } })
    };
    match sep_parts.as_slice() {
        [d, m, y] if y.len() == 4 && d.len() <= 2 => mk(y.parse().ok()?, m.parse().ok(), d.parse().ok()),
        [y, m, d] if y.len() == 4 => mk(y.parse().ok()?, m.parse().ok(), d.parse().ok()),
        [y, m] if y.len() == 4 => mk(y.parse().ok()?, m.parse().ok(), None),
        [one] if one.len() == 8 => mk(digits.get(..4)?.parse().ok()?, digits.get(4..6)?.parse().ok(), digits.get(6..8)?.parse().ok()),
        [one] if one.len() == 6 => mk(digits.get(..4)?.parse().ok()?, digits.get(4..6)?.parse().ok(), None),
        [one] if one.len() == 4 => mk(one.parse().ok()?, None, None),
        _ => None,
    }
}

/// Document numbers: letters and digits only, upper-cased ("40.912.377" ~ "40912377").
pub fn document(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_strips_accents_case_and_punctuation() {
        assert_eq!(fold("  MARÍA  José-Ñahui "), "maria jose nahui");
        assert_eq!(fold("Pérez\u{0301}"), "perez");
    }

    #[test]
    fn particles_are_dropped_from_names() {
        assert_eq!(name_tokens("de la Cruz y Huamán"), vec!["cruz", "huaman"]);
    }

    #[test]
    fn given_names_ignore_order_and_nicknames() {
        assert_eq!(given_names("Rosa María"), given_names("María Rosa"));
        assert_eq!(given_names("Pepe"), vec!["jose"]);
        assert_eq!(given_names("Lucho Alberto"), given_names("Alberto Luis"));
    }

    #[test]
    fn two_surnames_typed_in_one_field_are_split() {
        assert_eq!(surnames("Quispe Mamani", ""), (vec!["quispe".to_owned()], vec!["mamani".to_owned()]));
        assert_eq!(surnames("Quispe", ""), (vec!["quispe".to_owned()], vec![]));
    }

    #[test]
    fn partial_dates_parse_in_the_common_shapes() {
        let full = Some(PartialDate { year: 1990, month: Some(4), day: Some(9) });
        assert_eq!(parse_date("19900409"), full);
        assert_eq!(parse_date("1990-04-09"), full);
        assert_eq!(parse_date("09/04/1990"), full);
        assert_eq!(parse_date("1990-04"), Some(PartialDate { year: 1990, month: Some(4), day: None }));
        assert_eq!(parse_date("1990"), Some(PartialDate { year: 1990, month: None, day: None }));
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("unknown"), None);
        assert_eq!(parse_date("1990-13-40"), Some(PartialDate { year: 1990, month: None, day: None }));
    }

    #[test]
    fn document_numbers_lose_their_separators() {
        assert_eq!(document("40.912.377-k"), "40912377K");
    }
}
