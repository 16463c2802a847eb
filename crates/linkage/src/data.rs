//! Loading records from CSV and preparing each field for comparison.

use crate::compare::{Kind, Prepared};
use crate::config::LinkConfig;
use crate::normalize::{document, fold, given_names, name_tokens, parse_date};
use crate::phonetic;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// One field of every record, interned: each distinct prepared value is stored once, and a
/// record holds its value's number. Names repeat (a million records hold a few tens of
/// thousands of distinct given names), so this keeps a million records in tens of
/// megabytes, prepares each distinct spelling once, and lets term frequencies be a table
/// indexed by value.
#[derive(Debug, Default)]
pub struct Column {
    /// Distinct prepared values; number 0 is the missing value.
    values: Vec<Prepared>,
    /// Each record's value number.
    of_record: Vec<u32>,
    /// Raw text → value number, so a spelling seen before is not prepared again.
    by_raw: FxHashMap<String, u32>,
    /// Prepared text → value number (two spellings can prepare to the same value).
    by_text: FxHashMap<String, u32>,
    /// Name fields only (joint surnames, given names): each value's names as token numbers
    /// — the two surnames (0 = none), or the given names in the value's (sorted) order — so
    /// that comparisons can be remembered per pair of names rather than per pair of values.
    parts: Vec<Vec<u32>>,
    tokens: FxHashMap<String, u32>,
    /// Token number → (text, phonetic key); number 0 is the empty token.
    token_text: Vec<(String, String)>,
}

impl Column {
    /// Add a new distinct value; returns its number.
    fn add(&mut self, kind: Kind, p: Prepared) -> u32 {
        let id = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.by_text.insert(p.text.clone(), id);
        if matches!(kind, Kind::Surnames | Kind::GivenName) {
            if self.parts.is_empty() {
                self.parts.push(Vec::new());
                self.token_text.push((String::new(), String::new()));
            }
            let (tokens, token_text) = (&mut self.tokens, &mut self.token_text);
            let mut token = |t: &str, key: &str| {
                if t.is_empty() {
                    return 0;
                }
                let next = u32::try_from(token_text.len()).unwrap_or(u32::MAX);
                *tokens.entry(t.to_owned()).or_insert_with(|| {
                    token_text.push((t.to_owned(), key.to_owned()));
                    next
                })
            };
            let parts = if kind == Kind::Surnames {
                (0..2)
                    .map(|i| {
                        let (t, k) = crate::compare::surname_part(&p, i);
                        token(t, k)
                    })
                    .collect()
            } else {
                p.tokens().zip(p.phonetic.split(' ').chain(std::iter::repeat(""))).map(|(t, k)| token(t, k)).collect()
            };
            self.parts.push(parts);
        }
        self.values.push(p);
        id
    }

    /// A name value's token numbers (see `parts`); empty for other kinds.
    pub fn tokens_of(&self, id: u32) -> &[u32] {
        self.parts.get(id as usize).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A token's text and phonetic key.
    pub fn token(&self, t: u32) -> (&str, &str) {
        self.token_text.get(t as usize).map(|(a, b)| (a.as_str(), b.as_str())).unwrap_or(("", ""))
    }

    /// The number of a raw value, prepared and added if it is new.
    fn intern(&mut self, kind: Kind, raw: &str) -> u32 {
        if self.values.is_empty() {
            self.values.push(Prepared::default());
        }
        if let Some(id) = self.by_raw.get(raw) {
            return *id;
        }
        let p = prepare(kind, raw);
        let id = if p.is_missing() {
            0
        } else if let Some(id) = self.by_text.get(&p.text) {
            *id
        } else {
            self.add(kind, p)
        };
        self.by_raw.insert(raw.to_owned(), id);
        id
    }

    fn push(&mut self, kind: Kind, raw: &str) {
        let id = self.intern(kind, raw);
        self.of_record.push(id);
    }

    /// Give record `r` a new value (its old value stays interned, unused).
    fn set(&mut self, r: usize, kind: Kind, raw: &str) {
        let id = self.intern(kind, raw);
        if let Some(slot) = self.of_record.get_mut(r) {
            *slot = id;
        }
    }

    /// Record `r`'s value number (0 when missing).
    pub fn id(&self, r: usize) -> u32 {
        self.of_record.get(r).copied().unwrap_or(0)
    }

    /// The prepared value with number `id`.
    pub fn value(&self, id: u32) -> &Prepared {
        static MISSING: Prepared = Prepared { text: String::new(), phonetic: String::new(), date: None };
        self.values.get(id as usize).unwrap_or(&MISSING)
    }

    /// Record `r`'s prepared value.
    pub fn of(&self, r: usize) -> &Prepared {
        self.value(self.id(r))
    }

    /// How many distinct values (the missing one included).
    pub fn distinct(&self) -> usize {
        self.values.len().max(1)
    }

    /// Each record's value number.
    pub fn ids(&self) -> &[u32] {
        &self.of_record
    }
}

/// A field's columns as one raw value: joint surnames with `|` between them, others with a
/// space.
fn joined(kind: Kind, columns: Option<&Vec<&str>>) -> String {
    columns.map(|v| v.join(if kind == Kind::Surnames { "|" } else { " " })).unwrap_or_default()
}

/// Records in columnar form: `fields[f]` holds field `f` of every record.
#[derive(Debug, Default)]
pub struct Table {
    pub ids: Vec<String>,
    /// Which input file each record came from (0 or 1), for linking two files.
    pub source: Vec<u8>,
    pub fields: Vec<Column>,
}

impl Table {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// An empty table for the fields of `cfg`.
    pub fn for_config(cfg: &LinkConfig) -> Self {
        Self { fields: cfg.fields.iter().map(|_| Column::default()).collect(), ..Self::default() }
    }

    /// Record `r`'s prepared value of field `f`.
    pub fn value(&self, f: usize, r: usize) -> Option<&Prepared> {
        self.fields.get(f).map(|c| c.of(r))
    }

    /// Add one record. `values[f]` holds the raw column values of field `f` of `cfg`, in the
    /// order of its `columns`; this is how callers with records in memory (the product, which
    /// decrypts persons and never writes them out) fill a table without a CSV file.
    pub fn push(&mut self, cfg: &LinkConfig, id: &str, source: u8, values: &[Vec<&str>]) {
        if self.fields.len() != cfg.fields.len() {
            self.fields = cfg.fields.iter().map(|_| Column::default()).collect();
        }
        self.ids.push(id.to_owned());
        self.source.push(source);
        for (f, spec) in cfg.fields.iter().enumerate() {
            if let Some(c) = self.fields.get_mut(f) {
                c.push(spec.kind, &joined(spec.kind, values.get(f)));
            }
        }
    }

    /// Replace record `r`'s values (a record changed since the table was filled), as
    /// [`Table::push`] takes them. Term frequencies and blocks follow the new values.
    pub fn set(&mut self, cfg: &LinkConfig, r: usize, values: &[Vec<&str>]) {
        for (f, spec) in cfg.fields.iter().enumerate() {
            if let Some(c) = self.fields.get_mut(f) {
                c.set(r, spec.kind, &joined(spec.kind, values.get(f)));
            }
        }
    }

    /// Build a table straight from prepared values of the given kinds, one vector per field
    /// (tests).
    pub fn from_prepared(ids: Vec<String>, source: Vec<u8>, fields: Vec<(Kind, Vec<Prepared>)>) -> Self {
        let fields = fields
            .into_iter()
            .map(|(kind, vals)| {
                let mut c = Column { values: vec![Prepared::default()], ..Column::default() };
                for p in vals {
                    let id = if p.is_missing() {
                        0
                    } else if let Some(id) = c.by_text.get(&p.text) {
                        *id
                    } else {
                        c.add(kind, p)
                    };
                    c.of_record.push(id);
                }
                c
            })
            .collect();
        Self { ids, source, fields }
    }

    /// Forget the raw spellings once loading is done (a million distinct document numbers
    /// are tens of megabytes). Records can still be added, only prepared afresh.
    pub fn seal(&mut self) {
        for c in &mut self.fields {
            c.by_raw = FxHashMap::default();
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{0}: {1}")]
    Read(String, String),
    #[error("{0}: missing column {1:?}")]
    MissingColumn(String, String),
}

/// Prepare one raw value (columns already joined) for a comparison kind.
pub fn prepare(kind: Kind, raw: &str) -> Prepared {
    let mut p = prepare_loose(kind, raw);
    // A million records hold six million of these: no spare capacity.
    p.text.shrink_to_fit();
    p.phonetic.shrink_to_fit();
    p
}

fn prepare_loose(kind: Kind, raw: &str) -> Prepared {
    match kind {
        Kind::GivenName => {
            let tokens = given_names(raw);
            let text = tokens.join(" ");
            let phonetic = tokens.iter().map(|t| phonetic::key(t)).collect::<Vec<_>>().join(" ");
            Prepared { text, phonetic, date: None }
        }
        Kind::Name => {
            let tokens = name_tokens(raw);
            let text = tokens.join(" ");
            let phonetic = tokens.iter().map(|t| phonetic::key(t)).collect::<Vec<_>>().join(" ");
            Prepared { text, phonetic, date: None }
        }
        Kind::Surnames => {
            // Columns arrive joined by '|' (see `load_csv`): first surname, second surname.
            let mut parts = raw.splitn(2, '|');
            let first = name_tokens(parts.next().unwrap_or("")).join(" ");
            let second = name_tokens(parts.next().unwrap_or("")).join(" ");
            let (first, second) = if first.is_empty() { (second, String::new()) } else { (first, second) };
            let phonetic = format!("{}|{}", phonetic::key(&first.replace(' ', "")), phonetic::key(&second.replace(' ', "")));
            let text = if second.is_empty() { first } else { format!("{first}|{second}") };
            Prepared { text, phonetic, date: None }
        }
        Kind::Text | Kind::Exact | Kind::Code => Prepared { text: fold(raw), ..Prepared::default() },
        Kind::Document => Prepared { text: document(raw), ..Prepared::default() },
        Kind::Area => Prepared { text: raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect(), ..Prepared::default() },
        Kind::Date => {
            let date = parse_date(raw);
            // The text (used for exact keys and term frequencies) is the known part, e.g. "1990-04".
            let text = date
                .map(|d| match (d.month, d.day) {
                    (Some(m), Some(day)) => format!("{}-{m:02}-{day:02}", d.year),
                    (Some(m), None) => format!("{}-{m:02}", d.year),
                    _ => d.year.to_string(),
                })
                .unwrap_or_default();
            Prepared { text, date, ..Prepared::default() }
        }
    }
}

/// Read a CSV file into `table`, tagging its records with `source`.
pub fn load_csv(path: &str, source: u8, cfg: &LinkConfig, table: &mut Table) -> Result<(), DataError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| DataError::Read(path.into(), e.to_string()))?;
    let headers: HashMap<String, usize> = rdr
        .headers()
        .map_err(|e| DataError::Read(path.into(), e.to_string()))?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_owned(), i))
        .collect();
    let col = |name: &str| headers.get(name).copied().ok_or_else(|| DataError::MissingColumn(path.into(), name.into()));
    let id_col = col(&cfg.id_column)?;
    let field_cols: Vec<Vec<usize>> =
        cfg.fields.iter().map(|f| f.columns.iter().map(|c| col(c)).collect::<Result<Vec<_>, _>>()).collect::<Result<_, _>>()?;
    // Read every row first, then prepare the fields side by side: each column is
    // independent, and preparing (folding, phonetic keys, interning) is most of the work.
    let mut rows = Vec::new();
    for rec in rdr.records() {
        rows.push(rec.map_err(|e| DataError::Read(path.into(), e.to_string()))?);
    }
    if table.fields.len() != cfg.fields.len() {
        table.fields = cfg.fields.iter().map(|_| Column::default()).collect();
    }
    table.ids.extend(rows.iter().map(|r| r.get(id_col).unwrap_or("").to_owned()));
    table.source.extend(std::iter::repeat_n(source, rows.len()));
    table.fields.par_iter_mut().zip(&cfg.fields).zip(&field_cols).for_each(|((column, spec), cols)| {
        let sep = if spec.kind == Kind::Surnames { "|" } else { " " };
        let mut joined = String::new();
        for row in &rows {
            if let [c] = cols.as_slice() {
                column.push(spec.kind, row.get(*c).unwrap_or(""));
            } else {
                joined.clear();
                for (k, c) in cols.iter().enumerate() {
                    if k > 0 {
                        joined.push_str(sep);
                    }
                    joined.push_str(row.get(*c).unwrap_or(""));
                }
                column.push(spec.kind, &joined);
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_record_takes_its_new_values_and_a_sealed_table_still_grows() {
        let cfg = LinkConfig::parse(
            "id_column = \"id\"\nblocking = [[\"surnames:phonetic\"]]\n[[field]]\nname = \"surnames\"\nkind = \"surnames\"\ncolumns = [\"a\", \"b\"]\n",
        )
        .unwrap();
        let mut table = Table::for_config(&cfg);
        table.push(&cfg, "p1", 0, &[vec!["Quispe", "Mamani"]]);
        table.push(&cfg, "p2", 0, &[vec!["Rojas", ""]]);
        table.seal();
        table.set(&cfg, 1, &[vec!["Quispe", "Mamani"]]);
        let col = &table.fields[0];
        assert_eq!(col.id(0), col.id(1), "the changed record now holds the same value");
        assert_eq!(table.value(0, 1).map(|p| p.text.as_str()), Some("quispe|mamani"));
        // After sealing, a new spelling is prepared afresh and still found by its prepared text.
        table.push(&cfg, "p3", 0, &[vec!["QUISPE", "Mamaní"]]);
        assert_eq!(table.fields[0].id(2), table.fields[0].id(0));
        assert_eq!(table.len(), 3);
    }
}
