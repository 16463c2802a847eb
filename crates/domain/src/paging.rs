//! Paging: every list is read one page at a time, in a stable order, from a position
//! (keyset paging), never by loading the whole list. A position is the sort key of the last
//! row shown; the next page starts strictly after it, so a row inserted between two pages is
//! neither shown twice nor skipped over the rows already seen.
//!
//! The position travels to the client as an opaque cursor, sealed by core (bound to the
//! caller and the list, so one person's cursor is refused for another's list). This module
//! holds the pure parts: the limit's rules and the cursor's plain text.

use crate::validation::{FieldError, FieldErrors};
use serde::Deserialize;

/// Rows per page when the caller does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// The most rows a page may hold: a slow link should never wait for a whole table.
pub const MAX_LIMIT: usize = 200;

/// Where a page starts: after the row with this sort key. Lists are ordered by `at`
/// descending, then `id` descending (newest first, ties broken by id); `at` is whatever
/// the list sorts by (creation time for most).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct After {
    pub at: i64,
    pub id: String,
}

/// The requested page size: empty means the default; anything but a whole number from 1 to
/// [`MAX_LIMIT`] is refused (`invalid_limit`), rather than silently clamped, so a client
/// that asks for 10,000 learns it gets at most 200.
pub fn parse_limit(raw: Option<&str>) -> Result<usize, FieldErrors> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(DEFAULT_LIMIT) };
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(FieldErrors(vec![FieldError {
            field: "limit".into(),
            code: "invalid_limit".into(),
            detail: Some(format!("1..{MAX_LIMIT}")),
        }])),
    }
}

/// A list's query string as the client sent it (`?limit=&cursor=&status=&region=&from=&to=`):
/// text, so that a bad value becomes a 422 naming the field rather than a framework error.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ListParams {
    #[serde(default)]
    pub limit: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

/// The filters of a list, checked: a status the list knows, an area code, a date range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Empty = the list's default statuses.
    pub statuses: Vec<String>,
    /// An area code: the region and everything inside it.
    pub region: Option<String>,
    /// Created on or after this instant (UTC midnight of `from`).
    pub from: Option<i64>,
    /// Created before this instant (UTC midnight of the day after `to`).
    pub before: Option<i64>,
}

impl ListParams {
    /// The checked filters, for a list whose statuses are `known`. Every bad value is named.
    pub fn filter(&self, known: &[&str]) -> Result<ListFilter, FieldErrors> {
        let mut errs = Vec::new();
        let mut out = ListFilter::default();
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        if let Some(s) = text(&self.status) {
            if known.contains(&s.as_str()) {
                out.statuses = vec![s];
            } else {
                errs.push(FieldError { field: "status".into(), code: "invalid_choice".into(), detail: None });
            }
        }
        if let Some(r) = text(&self.region) {
            let ok = r.len() <= 16
                && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && r.chars().take(2).all(|c| c.is_ascii_uppercase());
            if ok {
                out.region = Some(r)
            } else {
                errs.push(FieldError { field: "region".into(), code: "unknown_area".into(), detail: None })
            }
        }
        let day = |field: &str, v: &Option<String>, errs: &mut Vec<FieldError>| -> Option<i64> {
            let t = text(v)?;
            match crate::protection::is_iso_date(&t).then(|| crate::protection::days_from_civil(&t)).flatten() {
                Some(d) => Some(d * 86_400),
                None => {
                    errs.push(FieldError { field: field.into(), code: "invalid_date".into(), detail: None });
                    None
                }
            }
        };
        out.from = day("from", &self.from, &mut errs);
        out.before = day("to", &self.to, &mut errs).map(|t| t + 86_400);
        if let (Some(a), Some(b)) = (out.from, out.before)
            && a >= b
        {
            errs.push(FieldError { field: "to".into(), code: "before_from".into(), detail: None });
        }
        if errs.is_empty() { Ok(out) } else { Err(FieldErrors(errs)) }
    }
}

/// The plain text of a position in list `list` (core seals it before it leaves).
pub fn cursor_text(list: &str, after: &After) -> String {
    format!("{list}\n{}\n{}", after.at, after.id)
}

/// The position in a cursor's plain text, if it was made for `list`.
pub fn parse_cursor_text(list: &str, text: &str) -> Option<After> {
    let mut parts = text.splitn(3, '\n');
    if parts.next()? != list {
        return None;
    }
    let at = parts.next()?.parse::<i64>().ok()?;
    let id = parts.next()?.to_owned();
    if id.is_empty() || id.len() > 400 || id.contains('\n') {
        return None;
    }
    Some(After { at, id })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_refuse_what_is_out_of_range() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some(" ")).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("1")).unwrap(), 1);
        assert_eq!(parse_limit(Some("200")).unwrap(), 200);
        for bad in ["0", "201", "-3", "ten", "1.5", "99999999999999999999"] {
            let e = parse_limit(Some(bad)).unwrap_err();
            assert_eq!((e.0[0].field.as_str(), e.0[0].code.as_str()), ("limit", "invalid_limit"), "{bad}");
        }
    }

    #[test]
    fn filters_are_checked_and_every_bad_one_named() {
        let p = |status: &str, region: &str, from: &str, to: &str| ListParams {
            status: Some(status.into()),
            region: Some(region.into()),
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        };
        let f = p("open", "PE-16", "2026-01-01", "2026-01-31").filter(&["open", "closed"]).unwrap();
        assert_eq!(f.statuses, vec!["open".to_owned()]);
        assert_eq!(f.region.as_deref(), Some("PE-16"));
        assert_eq!(f.before.unwrap() - f.from.unwrap(), 31 * 86_400, "to is inclusive");
        assert_eq!(ListParams::default().filter(&["open"]).unwrap(), ListFilter::default());
        let e = p("lost", "pe 16; drop", "2026-02-30", "yesterday").filter(&["open"]).unwrap_err();
        let fields: Vec<(&str, &str)> = e.0.iter().map(|x| (x.field.as_str(), x.code.as_str())).collect();
        assert_eq!(
            fields,
            vec![("status", "invalid_choice"), ("region", "unknown_area"), ("from", "invalid_date"), ("to", "invalid_date")]
        );
        let e = p("", "", "2026-03-01", "2026-02-01").filter(&[]).unwrap_err();
        assert_eq!(e.0[0].code, "before_from");
    }

    #[test]
    fn a_cursor_names_its_list_and_its_position() {
        let a = After { at: 1_790_000_000, id: "c7xk2".into() };
        let text = cursor_text("cases", &a);
        assert_eq!(parse_cursor_text("cases", &text), Some(a));
        assert_eq!(parse_cursor_text("persons", &text), None, "another list's cursor");
        for bad in ["cases", "cases\nx\nid", "cases\n1\n", "", "cases\n1\na\nb"] {
            assert_eq!(parse_cursor_text("cases", bad), None, "{bad:?}");
        }
    }
}
