//! The annual report as a PDF to print and file: a title page with the key figures and
//! charts, then every figure in a table, the year beside the year before.
//!
//! Written with `pdf-writer` (small, no fonts to embed): the standard Helvetica faces with
//! WinAnsi encoding cover Spanish and English. User text never becomes PDF syntax: strings
//! go through `Str`, which escapes them.

use super::{Line, title};
use crate::i18n::{Lang, Tr};
use amparo_core::usecases::statistics::AnnualReport;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

const W: f32 = 595.0;
const H: f32 = 842.0;
const MARGIN: f32 = 50.0;

/// A character in WinAnsi (Windows-1252); what it cannot show becomes '?'.
fn winansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '–' => 0x96,
            '—' => 0x97,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '…' => 0x85,
            '›' => 0x9b,
            '€' => 0x80,
            _ => b'?',
        })
        .collect()
}

/// Helvetica advance widths (per 1000 em) for what we right-align; an average elsewhere.
fn width(s: &str, size: f32) -> f32 {
    let units: u32 = s
        .chars()
        .map(|c| match c {
            '0'..='9' => 556,
            ' ' | '.' | ',' => 278,
            '-' => 333,
            '—' => 1000,
            'A'..='Z' => 667,
            _ => 520,
        })
        .sum();
    units as f32 * size / 1000.0
}

struct Doc {
    pages: Vec<Vec<u8>>,
    cur: Content,
    y: f32,
    page_label: String,
}

impl Doc {
    fn new(page_label: String) -> Doc {
        Doc { pages: Vec::new(), cur: Content::new(), y: H - MARGIN, page_label }
    }
    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, s: &str) {
        let bytes = winansi(s);
        self.cur.begin_text();
        self.cur.set_font(Name(if bold { b"F2" } else { b"F1" }), size);
        self.cur.next_line(x, y);
        self.cur.show(Str(&bytes));
        self.cur.end_text();
    }
    fn text_right(&mut self, right: f32, y: f32, size: f32, bold: bool, s: &str) {
        let w = width(s, size);
        self.text(right - w, y, size, bold, s);
    }
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: (f32, f32, f32)) {
        self.cur.set_fill_rgb(rgb.0, rgb.1, rgb.2);
        self.cur.rect(x, y, w, h);
        self.cur.fill_nonzero();
        self.cur.set_fill_rgb(0.0, 0.0, 0.0);
    }
    fn rule(&mut self, y: f32) {
        self.cur.set_line_width(0.4);
        self.cur.move_to(MARGIN, y);
        self.cur.line_to(W - MARGIN, y);
        self.cur.stroke();
    }
    /// Start a new page when fewer than `need` points are left.
    fn room(&mut self, need: f32) {
        if self.y - need < MARGIN + 20.0 {
            self.break_page();
        }
    }
    fn break_page(&mut self) {
        let n = self.pages.len() + 1;
        let label = format!("{} {n}", self.page_label);
        self.text_right(W - MARGIN, MARGIN - 20.0, 8.0, false, &label);
        let done = std::mem::replace(&mut self.cur, Content::new());
        self.pages.push(done.finish().into_vec());
        self.y = H - MARGIN;
    }
    /// Wrapped paragraph (by an average character width).
    fn paragraph(&mut self, s: &str, size: f32) {
        let per_line = ((W - 2.0 * MARGIN) / (size * 0.5)) as usize;
        let mut line = String::new();
        for word in s.split_whitespace() {
            if line.chars().count() + word.chars().count() + 1 > per_line && !line.is_empty() {
                self.room(size + 4.0);
                self.text(MARGIN, self.y, size, false, &line);
                self.y -= size + 3.0;
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            self.room(size + 4.0);
            self.text(MARGIN, self.y, size, false, &line);
            self.y -= size + 3.0;
        }
    }
}

fn num(v: Option<i64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
}

/// A horizontal bar chart: this year dark, the year before light beneath.
fn chart(d: &mut Doc, c: &super::BarChart, year: &str, previous: &str) {
    if c.bars.is_empty() {
        return;
    }
    let row = 20.0;
    d.room(30.0 + row * c.bars.len() as f32);
    d.text(MARGIN, d.y, 11.0, true, &c.title);
    d.y -= 14.0;
    d.rect(MARGIN + 170.0, d.y, 8.0, 7.0, (0.12, 0.37, 0.55));
    d.text(MARGIN + 182.0, d.y, 8.0, false, year);
    d.rect(MARGIN + 230.0, d.y, 8.0, 7.0, (0.66, 0.78, 0.86));
    d.text(MARGIN + 242.0, d.y, 8.0, false, previous);
    d.y -= 14.0;
    let max = c.max() as f32;
    let span = W - 2.0 * MARGIN - 200.0;
    for b in &c.bars {
        let label: String = b.label.chars().take(34).collect();
        d.text_right(MARGIN + 165.0, d.y, 9.0, false, &label);
        let w = span * b.value as f32 / max;
        d.rect(MARGIN + 170.0, d.y - 1.0, w.max(0.5), 9.0, (0.12, 0.37, 0.55));
        d.text(MARGIN + 174.0 + w, d.y, 8.0, false, &b.value.to_string());
        if let Some(p) = b.previous {
            let pw = span * p as f32 / max;
            d.rect(MARGIN + 170.0, d.y - 7.0, pw.max(0.5), 5.0, (0.66, 0.78, 0.86));
        }
        d.y -= row;
    }
    d.y -= 8.0;
}

pub(super) fn render(r: &AnnualReport, lines: &[Line], lang: Lang) -> Vec<u8> {
    let t = Tr::new(lang);
    let year = r.current.year.to_string();
    let prev = r.previous.year.to_string();
    let mut d = Doc::new(t.t("stat-page"));

    d.text(MARGIN, d.y, 18.0, true, &title(r, lang));
    d.y -= 20.0;
    d.text(MARGIN, d.y, 9.0, false, &t.t_args("stat-generated", &[("date", r.generated_at.clone())]));
    d.y -= 18.0;
    d.paragraph(&t.t("stat-definitions"), 9.0);
    if r.small_cell_k.is_some() && !r.suppressed.is_empty() {
        d.paragraph(&t.t_args("stat-suppressed-note", &[("k", r.small_cell_k.unwrap_or(0).to_string())]), 9.0);
    }
    d.y -= 8.0;

    // Key figures.
    d.text(MARGIN, d.y, 12.0, true, &t.t("stat-key-figures"));
    d.y -= 16.0;
    table_header(&mut d, &t, &year, &prev);
    for l in super::key_lines(lines) {
        row(&mut d, &l.full_label, 0, false, l.value, l.previous);
    }
    d.y -= 14.0;

    let charts = [
        super::BarChart::pick(
            "types",
            t.t("stat-chart-prosecutions"),
            lines,
            &["prosecutions.cases.sexual", "prosecutions.cases.labour", "prosecutions.cases.other"],
        ),
        super::BarChart::from_lines("region", t.t("stat-chart-region"), lines, "victims_identified.region"),
        super::BarChart::from_lines("age", t.t("stat-chart-age"), lines, "victims_identified.age_group"),
        super::BarChart::from_lines("sex", t.t("stat-chart-sex"), lines, "victims_identified.sex"),
    ];
    for c in &charts {
        chart(&mut d, c, &year, &prev);
    }

    // Every figure.
    d.break_page();
    d.text(MARGIN, d.y, 12.0, true, &t.t("stat-all-figures"));
    d.y -= 16.0;
    table_header(&mut d, &t, &year, &prev);
    for l in lines {
        if l.depth == 0 {
            d.room(30.0);
            d.y -= 4.0;
        }
        row(&mut d, &l.label, l.depth, l.heading, l.value, l.previous);
    }
    d.break_page();

    // Assemble.
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let mut next = 6;
    let mut kids = Vec::new();
    let mut items = Vec::new();
    for content in &d.pages {
        let page = Ref::new(next);
        let stream = Ref::new(next + 1);
        next += 2;
        kids.push(page);
        items.push((page, stream, content));
    }
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(kids.iter().copied()).count(kids.len() as i32);
    for (page, stream, content) in items {
        let mut p = pdf.page(page);
        p.media_box(Rect::new(0.0, 0.0, W, H));
        p.parent(tree);
        p.contents(stream);
        {
            let mut res = p.resources();
            let mut fonts = res.fonts();
            fonts.pair(Name(b"F1"), regular);
            fonts.pair(Name(b"F2"), bold);
        }
        p.finish();
        pdf.stream(stream, content);
    }
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(pdf_writer::TextStr(&title(r, lang))).creator(pdf_writer::TextStr("Amparo"));
    pdf.finish()
}

fn table_header(d: &mut Doc, t: &Tr, year: &str, prev: &str) {
    d.text(MARGIN, d.y, 9.0, true, &t.t("stat-col-figure"));
    d.text_right(W - MARGIN - 70.0, d.y, 9.0, true, year);
    d.text_right(W - MARGIN, d.y, 9.0, true, prev);
    d.y -= 4.0;
    d.rule(d.y);
    d.y -= 12.0;
}

fn row(d: &mut Doc, label: &str, depth: usize, bold: bool, value: Option<i64>, previous: Option<i64>) {
    d.room(14.0);
    let label: String = label.chars().take(70 - depth * 3).collect();
    d.text(MARGIN + depth as f32 * 12.0, d.y, 9.0, bold, &label);
    if !bold || value.is_some() {
        d.text_right(W - MARGIN - 70.0, d.y, 9.0, bold, &num(value));
        d.text_right(W - MARGIN, d.y, 9.0, bold, &num(previous));
    }
    d.y -= 13.0;
}
