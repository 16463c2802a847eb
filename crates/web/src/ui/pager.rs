//! The filters and the "next page" link under every list. The list's query string is kept as
//! the user typed it (so the form shows it back), and the links carry it on, with the cursor
//! core gave for the next page. Keyset paging has no page numbers to jump to: a list offers
//! the next page and the first one, which is what a long queue needs on a slow link.

use crate::i18n::Tr;
use amparo_domain::paging::ListParams;

/// What a list template needs to show its filters and its page links.
pub struct Pager {
    /// The list's own path (`/cases`).
    pub path: String,
    pub status: String,
    pub region: String,
    pub from: String,
    pub to: String,
    /// (value, label) of the statuses the list can be filtered by; empty = no status filter.
    pub statuses: Vec<(String, String)>,
    /// (code, name) of the places the list can be filtered by; empty = no region filter.
    pub regions: Vec<(String, String)>,
    /// The next page's link, if there is one.
    pub next: Option<String>,
    /// The first page's link, when this is a later page.
    pub first: Option<String>,
    /// Rows on this page.
    pub shown: usize,
}

impl Pager {
    pub fn new(path: &str, q: &ListParams, next_cursor: Option<&str>, shown: usize) -> Pager {
        Pager::with_extra(path, &[], q, next_cursor, shown)
    }

    /// The same, for a list with filters of its own (a service kind) that its links keep.
    pub fn with_extra(path: &str, extra: &[(&str, String)], q: &ListParams, next_cursor: Option<&str>, shown: usize) -> Pager {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut filters: Vec<(&str, String)> = extra.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
        for (k, v) in [("status", &q.status), ("region", &q.region), ("from", &q.from), ("to", &q.to), ("limit", &q.limit)] {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                filters.push((k, v.to_owned()));
            }
        }
        let href = |cursor: Option<&str>| {
            let mut pairs = filters.clone();
            if let Some(c) = cursor {
                pairs.push(("cursor", c.to_owned()));
            }
            let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            if qs.is_empty() { path.to_owned() } else { format!("{path}?{qs}") }
        };
        let on_later_page = q.cursor.as_deref().is_some_and(|c| !c.trim().is_empty());
        Pager {
            path: path.to_owned(),
            status: text(&q.status),
            region: text(&q.region),
            from: text(&q.from),
            to: text(&q.to),
            statuses: Vec::new(),
            regions: Vec::new(),
            next: next_cursor.map(|c| href(Some(c))),
            first: on_later_page.then(|| href(None)),
            shown,
        }
    }

    /// Offer a status filter with these values, labelled `{prefix}-{value}`.
    pub fn with_statuses(mut self, t: Tr, prefix: &str, values: &[&str]) -> Pager {
        self.statuses = values.iter().map(|v| ((*v).to_owned(), t.t(&format!("{prefix}-{}", v.replace('_', "-"))))).collect();
        self
    }

    /// Offer a region filter over these places.
    pub fn with_regions(mut self, regions: Vec<(String, String)>) -> Pager {
        self.regions = regions;
        self
    }
}
