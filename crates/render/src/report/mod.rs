//! The annual report in every format people ask for: JSON (for other tools), CSV and XLSX
//! (for spreadsheets), PDF (to print and file) and the web page. All of them are drawn from
//! one list of labelled lines (`lines`), so the formats cannot disagree.
//!
//! Lives in the web crate because labels come from the same Fluent messages as the UI; the
//! command line (`amparo report annual`) calls `render` too.

mod charts;
mod map;
mod pdf;
mod xlsx;

pub use charts::{Bar, BarChart, bar_svg, funnel_bars};
pub use map::choropleth;

use crate::i18n::{Lang, Tr};
use amparo_core::usecases::statistics::AnnualReport;
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
    Pdf,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }
}

/// One figure of the report: its JSON path, a label in the reader's language, and the
/// value for the year and the year before (`None`: no value, e.g. no sentence handed down).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub metric: String,
    pub label: String,
    /// 0 for a section heading, 1 for its figures, 2 for a breakdown cell.
    pub depth: usize,
    /// The label with its parents' (`Victims identified › by sex › Woman`), for flat tables.
    pub full_label: String,
    pub value: Option<i64>,
    pub previous: Option<i64>,
    pub heading: bool,
}

/// The sections of the report, in reading order.
pub const SECTIONS: [&str; 11] = [
    "prosecutions",
    "convictions",
    "sentences",
    "victims_identified",
    "possible_victims",
    "persons_rescued_in_operations",
    "operations",
    "victims_referred",
    "foreign_victims_repatriated",
    "trainings",
    "case_flow",
];

/// The headline figures, first on the page and in the PDF.
pub const KEY_METRICS: [&str; 13] = [
    "prosecutions.cases.total",
    "prosecutions.cases.sexual",
    "prosecutions.cases.labour",
    "prosecutions.defendants.total",
    "convictions.defendants.total",
    "sentences.min_months.total",
    "sentences.max_months.total",
    "victims_identified.total",
    "possible_victims.total",
    "persons_rescued_in_operations.total",
    "victims_referred.total",
    "foreign_victims_repatriated.total",
    "trainings.persons_trained",
];

/// The headline figures' lines, in `KEY_METRICS` order.
pub fn key_lines(lines: &[Line]) -> Vec<Line> {
    KEY_METRICS.iter().filter_map(|m| lines.iter().find(|l| l.metric == *m).cloned()).collect()
}

/// Keys in reading order: totals first, then the exploitation types, then the rest.
fn ordered_keys(m: &serde_json::Map<String, Value>) -> Vec<&String> {
    const FIRST: [&str; 18] = [
        "total",
        "records",
        "count",
        "cases",
        "defendants",
        "min_months",
        "max_months",
        "sexual",
        "labour",
        "other",
        "unknown",
        "by_type",
        "reported",
        "screened",
        "identified",
        "referred",
        "prosecuted",
        "convicted",
    ];
    let mut keys: Vec<&String> = m.iter().map(|(k, _)| k).collect();
    keys.sort_by_key(|k| {
        (FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()), !m.get(*k).is_some_and(Value::is_object), (*k).clone())
    });
    keys
}

/// The vocabulary prefix for the cells of a breakdown (`sex` → `sex-female`).
fn vocabulary(parent: &str) -> Option<&'static str> {
    Some(match parent {
        "sex" => "sex",
        "labour_sectors" => "sector",
        "by_service" => "skind",
        "by_status" => "refstatus",
        "by_audience" => "audience",
        "age_group" | "by_type" => "stat",
        _ => return None,
    })
}

fn label_of(t: &Tr, r: &AnnualReport, parent: &str, key: &str) -> String {
    if parent == "region" {
        return r.region_names.get(key).cloned().unwrap_or_else(|| key.to_owned());
    }
    if parent == "nationality"
        && let Some([es, en]) = r.country_names.get(key)
    {
        return if t.code() == "en" { en.clone() } else { es.clone() };
    }
    if let Some(prefix) = vocabulary(parent) {
        let k = format!("{prefix}-{}", key.replace('_', "-"));
        if t.has(&k) {
            return t.t(&k);
        }
    }
    let k = format!("stat-{}", key.replace('_', "-"));
    if t.has(&k) { t.t(&k) } else { key.to_owned() }
}

struct Walk<'a> {
    t: &'a Tr,
    r: &'a AnnualReport,
    out: Vec<Line>,
}

impl Walk<'_> {
    fn push(
        &mut self,
        metric: String,
        label: String,
        trail: &str,
        depth: usize,
        (value, previous): (Option<i64>, Option<i64>),
        heading: bool,
    ) {
        // "Prosecutions › cases" reads better than "Prosecutions › cases › total".
        let full_label = match (trail.is_empty(), metric.ends_with(".total")) {
            (true, _) => label.clone(),
            (false, true) => trail.to_owned(),
            (false, false) => format!("{trail} › {label}"),
        };
        self.out.push(Line { metric, label, depth, full_label, value, previous, heading });
    }

    fn object(&mut self, path: &str, parent: &str, trail: &str, m: &serde_json::Map<String, Value>, prev: Option<&Value>, depth: usize) {
        // In a breakdown, a missing cell was zero, unless the breakdown had small cells
        // hidden (then it is unknown to this reader); a missing range has no value.
        let hidden = |p: &str| self.r.suppressed.iter().any(|s| s == p);
        let zero = |hidden: bool| if hidden || matches!(parent, "min_months" | "max_months") { None } else { Some(0) };
        let (missing_now, missing) = (zero(hidden(path)), zero(hidden(&format!("previous.{path}"))));
        for k in ordered_keys(m) {
            let Some(v) = m.get(k) else { continue };
            let p = prev.and_then(|p| p.get(k));
            let metric = format!("{path}.{k}");
            let label = label_of(self.t, self.r, parent, k);
            if let Value::Object(inner) = v {
                self.push(metric.clone(), label.clone(), trail, depth, (None, None), true);
                let trail = format!("{trail} › {label}");
                self.object(&metric, k, &trail, inner, p, depth + 1);
            } else {
                let previous = match p {
                    Some(x) => x.as_i64(),
                    None => missing,
                };
                self.push(metric, label, trail, depth, (v.as_i64(), previous), false);
            }
        }
        // Cells present only last year still belong in the table.
        if let Some(Value::Object(pm)) = prev {
            for (k, v) in pm.iter().filter(|(k, v)| !m.contains_key(*k) && v.is_number()) {
                let label = label_of(self.t, self.r, parent, k);
                self.push(format!("{path}.{k}"), label, trail, depth, (missing_now, v.as_i64()), false);
            }
        }
    }
}

/// Every figure of the report as labelled lines, sections in reading order.
pub fn lines(r: &AnnualReport, lang: Lang) -> Vec<Line> {
    let t = Tr::new(lang);
    let cur = serde_json::to_value(&r.current).unwrap_or(Value::Null);
    let prev = serde_json::to_value(&r.previous).unwrap_or(Value::Null);
    let mut w = Walk { t: &t, r, out: Vec::new() };
    for s in SECTIONS {
        let (Some(c), p) = (cur.get(s), prev.get(s)) else { continue };
        let label = t.t(&format!("stat-{}", s.replace('_', "-")));
        match c {
            Value::Object(m) => {
                w.push(s.to_owned(), label.clone(), "", 0, (None, None), true);
                w.object(s, s, &label, m, p, 1);
            }
            v => w.push(s.to_owned(), label, "", 0, (v.as_i64(), p.and_then(Value::as_i64)), false),
        }
    }
    w.out
}

/// A title for the report in the reader's language: year, and the scope when there is one.
pub fn title(r: &AnnualReport, lang: Lang) -> String {
    let t = Tr::new(lang);
    let mut s = t.t_args("stat-title", &[("year", r.current.year.to_string())]);
    if let Some(n) = &r.region_name {
        s.push_str(" — ");
        s.push_str(n);
    }
    if let Some(n) = &r.org_name {
        s.push_str(" — ");
        s.push_str(n);
    }
    s
}

/// The report as bytes in `format`. Errors are internal (a writer failed), never user input.
pub fn render(r: &AnnualReport, format: Format, lang: Lang) -> Result<Vec<u8>, String> {
    match format {
        Format::Json => serde_json::to_vec_pretty(r).map_err(|e| e.to_string()),
        Format::Csv => csv_bytes(r, lang),
        Format::Xlsx => xlsx::render(r, &lines(r, lang), lang),
        Format::Pdf => Ok(pdf::render(r, &lines(r, lang), lang)),
    }
}

/// Text that a spreadsheet would run as a formula gets a leading apostrophe.
pub(crate) fn neutralise(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() }
}

fn csv_bytes(r: &AnnualReport, lang: Lang) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let y = r.current.year.to_string();
    let p = r.previous.year.to_string();
    w.write_record(["metric", "label", y.as_str(), p.as_str()]).map_err(|e| e.to_string())?;
    let num = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    for l in lines(r, lang).iter().filter(|l| !l.heading) {
        w.write_record([l.metric.as_str(), &neutralise(&l.full_label), &num(l.value), &num(l.previous)]).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}
