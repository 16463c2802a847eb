//! The statistics page: the annual report for a year (and a region or organisation) with
//! the year before beside it, charts drawn on the server as SVG each with its table, a
//! choropleth of the regions, the case-flow funnel with median times, the five-year trend,
//! and downloads in every format. Readers who may not see persons (analysts, coordinators,
//! administrators) get breakdown cells under k persons hidden.

use crate::extract::Viewer;
use crate::i18n::Lang;
use crate::report::{self, BarChart, Format, Line};
use crate::ui::{Nav, render};
use crate::{AppState, WebError};
use amparo_core::usecases::statistics::{AnnualReport, ReportQuery};
use amparo_domain::geo::Area;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct StatQuery {
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub org: String,
}

impl StatQuery {
    /// The year asked for, or the last full year; nonsense reaches the core, which refuses it.
    fn query(&self, this_year: i32) -> ReportQuery {
        let year = match self.year.trim() {
            "" => this_year - 1,
            y => y.parse().unwrap_or(0),
        };
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        ReportQuery { year, region: opt(&self.region), org: opt(&self.org), from_records: false, hide_small_cells: false }
    }
    fn link(&self, r: &AnnualReport) -> String {
        let mut q = format!("year={}", r.current.year);
        if let Some(reg) = &r.scope.region {
            q.push_str(&format!("&region={}", urlencode(reg)));
        }
        if let Some(o) = &r.scope.org {
            q.push_str(&format!("&org={}", urlencode(o)));
        }
        q
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

pub struct ChartView {
    pub svg: String,
    pub chart: BarChart,
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct StatisticsPage {
    nav: Nav,
    r: AnnualReport,
    lines: Vec<Line>,
    key: Vec<Line>,
    charts: Vec<ChartView>,
    funnel: ChartView,
    map: Option<String>,
    regions: Vec<Area>,
    orgs: Vec<amparo_domain::org::Organisation>,
    query: String,
    can_export: bool,
    year_label: String,
    previous_label: String,
}

impl StatisticsPage {
    fn suppressed_note(&self) -> String {
        self.nav.t.t_args("stat-suppressed-note", &[("k", self.r.small_cell_k.unwrap_or(0).to_string())])
    }
    fn num(&self, v: &Option<i64>) -> String {
        v.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
    }
}

fn this_year(state: &AppState) -> i32 {
    amparo_core::usecases::statistics::year_of(state.app.now())
}

pub async fn page(State(state): State<AppState>, v: Viewer, Query(q): Query<StatQuery>) -> Result<Response, WebError> {
    let r = state.app.statistics().annual_report(&v.ctx, &q.query(this_year(&state))).await.map_err(|e| v.err(e))?;
    let t = v.tr();
    let lang = Lang::parse(t.code()).unwrap_or(Lang::Es);
    let lines = report::lines(&r, lang);
    let key = report::key_lines(&lines);
    let year_label = r.current.year.to_string();
    let previous_label = r.previous.year.to_string();
    let chart = |c: BarChart| ChartView { svg: report::bar_svg(&c, &year_label, Some(&previous_label)), chart: c };
    let mut charts = vec![
        chart(BarChart::pick(
            "types",
            t.t("stat-chart-prosecutions"),
            &lines,
            &["prosecutions.cases.sexual", "prosecutions.cases.labour", "prosecutions.cases.other"],
        )),
        chart(BarChart::from_lines(
            "by-type",
            t.t("stat-victims-identified") + " · " + &t.t("stat-by-type"),
            &lines,
            "victims_identified.by_type",
        )),
        chart(BarChart::from_lines(
            "sectors",
            t.t("stat-victims-identified") + " · " + &t.t("stat-labour-sectors"),
            &lines,
            "victims_identified.labour_sectors",
        )),
        chart(BarChart::from_lines("sex", t.t("stat-chart-sex"), &lines, "victims_identified.sex")),
        chart(BarChart::from_lines("age", t.t("stat-chart-age"), &lines, "victims_identified.age_broad")),
        chart(BarChart::from_lines("nationality", t.t("stat-chart-nationality"), &lines, "victims_identified.nationality")),
        chart(BarChart::from_lines("region", t.t("stat-chart-region"), &lines, "victims_identified.region")),
        chart(BarChart::from_lines("service", t.t("stat-chart-service"), &lines, "victims_referred.by_service")),
        chart(BarChart::from_lines(
            "refstatus",
            t.t("stat-victims-referred") + " · " + &t.t("stat-by-status"),
            &lines,
            "victims_referred.by_status",
        )),
    ];
    charts.retain(|c| !c.chart.bars.is_empty());
    // The trend: one bar per year and figure, no "previous" (the years are the axis).
    let trend = BarChart {
        id: "trend".into(),
        title: t.t("stat-chart-trends"),
        bars: r
            .trend
            .iter()
            .flat_map(|p| {
                [
                    report::Bar {
                        label: format!("{} · {}", p.year, t.t("stat-trend-col-victims")),
                        value: p.victims_identified as i64,
                        previous: None,
                    },
                    report::Bar {
                        label: format!("{} · {}", p.year, t.t("stat-trend-col-prosecutions")),
                        value: p.prosecutions as i64,
                        previous: None,
                    },
                ]
            })
            .collect(),
    };
    charts.push(ChartView { svg: report::bar_svg(&trend, &t.t("stat-chart-persons"), None), chart: trend });
    let flow = &r.current.case_flow;
    let funnel_chart = BarChart {
        title: t.t("stat-chart-funnel"),
        ..report::funnel_bars(&[
            (t.t("stat-reported"), flow.reported as i64),
            (t.t("stat-screened"), flow.screened as i64),
            (t.t("stat-identified"), flow.identified as i64),
            (t.t("stat-referred"), flow.referred as i64),
            (t.t("stat-prosecuted"), flow.prosecuted as i64),
            (t.t("stat-convicted"), flow.convicted as i64),
        ])
    };
    let funnel = ChartView { svg: report::bar_svg(&funnel_chart, &year_label, None), chart: funnel_chart };
    let none = if r.suppressed.iter().any(|s| s == "victims_identified.region") {
        t.t_args("stat-map-hidden", &[("k", r.small_cell_k.unwrap_or(0).to_string())])
    } else {
        t.t("stat-map-none")
    };
    let map = report::choropleth(&r.home_country, &r.current.victims_identified.region, &t.t("stat-map"), &none);
    let regions = state.app.system().list_areas(&v.ctx, &r.home_country, None).await.unwrap_or_default();
    let mut orgs = state.app.administration().list_orgs(&v.ctx).await.unwrap_or_default();
    orgs.sort_by(|a, b| a.name.cmp(&b.name));
    let query = q.link(&r);
    render(&StatisticsPage {
        nav: Nav::for_viewer(&v, "statistics"),
        r,
        lines,
        key,
        charts,
        funnel,
        map,
        regions,
        orgs,
        query,
        can_export: v.can.export_anonymised,
        year_label,
        previous_label,
    })
}

/// The same report as a file: JSON, CSV, XLSX or PDF, in the reader's language.
pub async fn download(
    State(state): State<AppState>,
    v: Viewer,
    Path(format): Path<String>,
    Query(q): Query<StatQuery>,
) -> Result<Response, WebError> {
    let fmt = Format::parse(&format).ok_or_else(|| v.err(amparo_core::CoreError::NotFound))?;
    let r = state.app.statistics().annual_report(&v.ctx, &q.query(this_year(&state))).await.map_err(|e| v.err(e))?;
    let lang = Lang::parse(v.tr().code()).unwrap_or(Lang::Es);
    let bytes = report::render(&r, fmt, lang).map_err(|e| v.err(amparo_core::CoreError::Internal(e)))?;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(fmt.content_type()));
    let name = format!("attachment; filename=\"amparo-annual-report-{}.{}\"", r.current.year, fmt.extension());
    if let Ok(val) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, val);
    }
    Ok(resp)
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CtdcQuery {
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub k: String,
}

/// Anonymised microdata (CTDC columns) of the victims identified in a year, as CSV. The
/// numbers of rows kept and suppressed travel in headers, for the page and for scripts.
pub async fn ctdc(State(state): State<AppState>, v: Viewer, Query(q): Query<CtdcQuery>) -> Result<Response, WebError> {
    let year = q.year.trim().parse().unwrap_or(0);
    let k = match q.k.trim() {
        "" => amparo_core::usecases::ctdc::DEFAULT_K,
        s => s.parse().unwrap_or(0),
    };
    let export = state.app.statistics().export_ctdc(&v.ctx, year, k).await.map_err(|e| v.err(e))?;
    let bytes = export.csv().map_err(|e| v.err(e))?;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(val) = HeaderValue::from_str(&format!("attachment; filename=\"ctdc-{year}-k{k}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, val);
    }
    for (name, n) in [("x-amparo-rows", export.suppression.rows_out), ("x-amparo-rows-suppressed", export.suppression.rows_suppressed)] {
        if let Ok(val) = HeaderValue::from_str(&n.to_string()) {
            h.insert(axum::http::HeaderName::from_static(name), val);
        }
    }
    Ok(resp)
}
