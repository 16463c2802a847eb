//! Pages of a list and the cursors between them. A cursor carries the position of the last
//! row shown (see `amparo_domain::paging`), sealed with a tag bound to the caller and the
//! list: a cursor copied from another person's session, or from another list, is refused
//! with `invalid_cursor` rather than answered with someone else's position.

use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::kernel::Kernel;
use amparo_domain::paging::{After, ListParams, cursor_text, parse_cursor_text, parse_limit};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

/// What a caller asked for: how many rows, from where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<After>,
}

impl PageRequest {
    /// The first page of `limit` rows.
    pub fn first(limit: usize) -> PageRequest {
        PageRequest { limit, after: None }
    }
}

/// One page of a list, with the cursor of the next page (`None` on the last page).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    /// In the list's stable order.
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; null on the last page. Made for this caller and
    /// this list only.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

/// Rows read for a page: up to `limit + 1`, so that the extra row says whether a next page
/// exists. `keep` drops rows the caller may not see after all (a restricted case); the cursor
/// still advances past them, so no row is lost and none shown twice.
pub(crate) struct Scanned<T> {
    pub rows: Vec<T>,
    pub next: Option<After>,
}

/// Split `rows` (read with `limit + 1`) into the page's rows and the position after them.
pub(crate) fn scanned<T>(mut rows: Vec<T>, limit: usize, key: impl Fn(&T) -> After) -> Scanned<T> {
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(&key);
        Scanned { rows, next }
    } else {
        Scanned { rows, next: None }
    }
}

fn who(ctx: &Ctx) -> String {
    ctx.user().map(|u| u.user_id.to_string()).unwrap_or_else(|| "system".into())
}

impl Kernel {
    /// Read `?limit=&cursor=` for list `list`: 422 `invalid_limit` / `invalid_cursor` when they
    /// are not what this server gave this caller.
    pub(crate) fn page_request(&self, ctx: &Ctx, list: &str, limit: Option<&str>, cursor: Option<&str>) -> CoreResult<PageRequest> {
        let limit = parse_limit(limit).map_err(CoreError::Validation)?;
        let after = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(self.open_cursor(ctx, list, c).ok_or_else(|| CoreError::field("cursor", "invalid_cursor"))?),
        };
        Ok(PageRequest { limit, after })
    }

    /// The cursor that resumes `list` after `after`, for this caller only.
    pub(crate) fn seal_cursor(&self, ctx: &Ctx, list: &str, after: &After) -> String {
        let text = cursor_text(list, after);
        let tag = crate::crypto::purpose_tag(&self.keys, "cursor", &format!("{}\n{text}", who(ctx)));
        format!("{}.{}", URL_SAFE_NO_PAD.encode(text.as_bytes()), tag.get(..32).unwrap_or(""))
    }

    pub(crate) fn open_cursor(&self, ctx: &Ctx, list: &str, cursor: &str) -> Option<After> {
        if cursor.len() > 1_000 {
            return None;
        }
        let (body, tag) = cursor.split_once('.')?;
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        let want = crate::crypto::purpose_tag(&self.keys, "cursor", &format!("{}\n{text}", who(ctx)));
        if tag.len() != 32 || !crate::crypto::ct_eq(tag.as_bytes(), want.get(..32)?.as_bytes()) {
            return None;
        }
        parse_cursor_text(list, &text)
    }

    /// A page of a short list already read whole and authorized by its use case (reference
    /// data: organisations, statutes, countries, areas, instruments; a bounded result such as
    /// search hits), in the order of `key`, which must be unique per item. The cursor carries
    /// the last key shown, so an item added meanwhile is neither repeated nor skipped.
    pub(crate) fn page_in_memory<T>(
        &self,
        ctx: &Ctx,
        list: &str,
        mut items: Vec<T>,
        key: impl Fn(&T) -> String,
        q: &ListParams,
    ) -> CoreResult<Page<T>> {
        let page = self.page_request(ctx, list, q.limit.as_deref(), q.cursor.as_deref())?;
        items.sort_by_cached_key(|x| key(x));
        let start = page.after.as_ref().map_or(0, |a| items.partition_point(|x| key(x) <= a.id));
        let rest: Vec<T> = items.into_iter().skip(start).take(page.limit + 1).collect();
        let seen = scanned(rest, page.limit, |x| After { at: 0, id: key(x) });
        Ok(self.page_of(ctx, list, seen.rows, seen.next))
    }

    /// A page from scanned rows: the cursor of the next page, if any.
    pub(crate) fn page_of<T>(&self, ctx: &Ctx, list: &str, items: Vec<T>, next: Option<After>) -> Page<T> {
        Page { items, next_cursor: next.map(|a| self.seal_cursor(ctx, list, &a)) }
    }
}

impl Kernel {
    /// Up to `limit + 1` rows of `table` matching `base` with the list's filters and position
    /// applied (the extra row says whether there is a next page).
    pub(crate) async fn scan_rows(
        &self,
        table: crate::store::RecordTable,
        base: crate::store::RowFilter,
        filter: &amparo_domain::paging::ListFilter,
        page: &PageRequest,
    ) -> CoreResult<Vec<crate::store::RecordRow>> {
        let statuses = if filter.statuses.is_empty() { base.statuses.clone() } else { filter.statuses.clone() };
        let f = crate::store::RowFilter {
            statuses,
            area_prefix: filter.region.clone().or(base.area_prefix.clone()),
            created_from: filter.from,
            created_before: filter.before,
            after: page.after.clone(),
            limit: Some(page.limit as i64 + 1),
            ..base
        };
        Ok(self.store.find_rows(table, &f).await?)
    }
}

/// Rows from several scans of one list, in the list order, without repeats.
pub(crate) fn merge_rows(mut rows: Vec<crate::store::RecordRow>) -> Vec<crate::store::RecordRow> {
    rows.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
    rows.dedup_by(|a, b| a.id == b.id);
    rows
}

/// The position of a record row in the list order.
pub(crate) fn row_key(r: &crate::store::RecordRow) -> After {
    After { at: r.created_at, id: r.id.clone() }
}
