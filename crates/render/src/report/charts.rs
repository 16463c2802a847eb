//! Charts drawn on the server as SVG: no script, no CDN, readable on a slow link and in
//! print. Every chart is drawn from a `BarChart`, and every page that shows one also shows
//! the table behind it (screen readers and exports read the table, not the picture).

use super::Line;

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub previous: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    pub id: String,
    pub title: String,
    pub bars: Vec<Bar>,
}

impl BarChart {
    /// A chart of the cells under one breakdown of the report (e.g. `victims_identified.sex`).
    pub fn from_lines(id: &str, title: String, lines: &[Line], prefix: &str) -> BarChart {
        let bars = lines
            .iter()
            .filter(|l| {
                !l.heading && l.metric.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('.')).is_some_and(|cell| !cell.contains('.'))
            })
            .map(|l| Bar { label: l.label.clone(), value: l.value.unwrap_or(0), previous: l.previous })
            .collect();
        BarChart { id: id.to_owned(), title, bars }
    }
    /// Chosen lines (by metric path) as bars.
    pub fn pick(id: &str, title: String, lines: &[Line], metrics: &[&str]) -> BarChart {
        let bars = metrics
            .iter()
            .filter_map(|m| lines.iter().find(|l| l.metric == *m))
            .map(|l| Bar { label: l.label.clone(), value: l.value.unwrap_or(0), previous: l.previous })
            .collect();
        BarChart { id: id.to_owned(), title, bars }
    }
    pub fn max(&self) -> i64 {
        self.bars.iter().flat_map(|b| [b.value, b.previous.unwrap_or(0)]).max().unwrap_or(0).max(1)
    }
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A horizontal bar chart; with `previous`, a thinner lighter bar under each for last year.
pub fn bar_svg(c: &BarChart, year: &str, previous: Option<&str>) -> String {
    let label_w = 190.0;
    let bar_w = 330.0;
    let row_h = if previous.is_some() { 30.0 } else { 22.0 };
    let top = 24.0;
    let h = top + row_h * c.bars.len() as f64 + 8.0;
    let max = c.max() as f64;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="{id}-t" viewBox="0 0 600 {h}" width="600" height="{h}"><title id="{id}-t">{t}</title>"#,
        id = esc(&c.id),
        t = esc(&c.title),
    );
    // Legend.
    s.push_str(&format!(
        r##"<rect x="{label_w}" y="4" width="12" height="10" fill="#1f5f8b"/><text x="{}" y="13" font-size="11">{}</text>"##,
        label_w + 16.0,
        esc(year)
    ));
    if let Some(p) = previous {
        s.push_str(&format!(
            r##"<rect x="{}" y="4" width="12" height="10" fill="#a9c6dc"/><text x="{}" y="13" font-size="11">{}</text>"##,
            label_w + 80.0,
            label_w + 96.0,
            esc(p)
        ));
    }
    for (i, b) in c.bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let w = bar_w * b.value as f64 / max;
        let label: String = b.label.chars().take(32).collect();
        s.push_str(&format!(
            r##"<text x="{lx}" y="{ty}" font-size="12" text-anchor="end">{l}</text><rect x="{label_w}" y="{y}" width="{w:.1}" height="14" fill="#1f5f8b"/><text x="{vx:.1}" y="{ty}" font-size="12">{v}</text>"##,
            lx = label_w - 6.0,
            ty = y + 11.0,
            l = esc(&label),
            vx = label_w + w + 4.0,
            v = b.value,
        ));
        if let (Some(_), Some(pv)) = (previous, b.previous) {
            let pw = bar_w * pv as f64 / max;
            s.push_str(&format!(
                r##"<rect x="{label_w}" y="{py}" width="{pw:.1}" height="8" fill="#a9c6dc"/><text x="{vx:.1}" y="{ty}" font-size="10" fill="#555">{pv}</text>"##,
                py = y + 15.0,
                vx = label_w + pw + 4.0,
                ty = y + 23.0,
            ));
        }
    }
    s.push_str("</svg>");
    s
}

/// Bars of a funnel (each stage a share of the first), for the case-flow chart.
pub fn funnel_bars(stages: &[(String, i64)]) -> BarChart {
    BarChart {
        id: "funnel".into(),
        title: String::new(),
        bars: stages.iter().map(|(l, v)| Bar { label: l.clone(), value: *v, previous: None }).collect(),
    }
}
