//! The dashboard: who you are, what your role may and may not do, reference data status.

use super::{Nav, render};
use crate::extract::Viewer;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::State;
use axum::response::Response;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page {
    nav: Nav,
    welcome: String,
    org_name: String,
    can: Vec<String>,
    cannot: Vec<String>,
    geo: String,
    work: amparo_core::usecases::summary::WorkSummary,
}

pub async fn page(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    let t = v.tr();
    let org = state.app.administration().get_org(&v.ctx, &v.session.user.org_id).await.map_err(|e| v.err(e))?;
    // What the core says the viewer may do (`Access::capabilities`), labelled.
    let c = &v.can;
    let shown = [
        ("view_directory", c.view_directory),
        ("create_org", c.create_org),
        ("list_users", c.list_users),
        ("read_audit", c.read_audit),
        ("create_person", c.create_person),
        ("reveal_person", c.reveal_persons),
        ("manage_system", c.manage_system),
    ];
    let (mut can, mut cannot) = (Vec::new(), Vec::new());
    for (name, ok) in shown {
        let label = t.t(&format!("can-{name}"));
        if ok { can.push(label) } else { cannot.push(label) }
    }
    let counts = state.app.system().area_counts(&state.app.profile().country).await.map_err(|e| v.err(e))?;
    let n = |l| counts.iter().find(|(lv, _)| *lv == l).map(|(_, c)| *c).unwrap_or(0).to_string();
    let countries = state.app.system().list_countries(&v.ctx).await.map_err(|e| v.err(e))?.len().to_string();
    let geo = t.t_args("dash-geo-detail", &[("departments", n(1)), ("provinces", n(2)), ("districts", n(3)), ("countries", countries)]);
    let welcome = t.t_args("dash-welcome", &[("name", v.session.user.display_name.clone())]);
    let work = state.app.statistics().work_summary(&v.ctx).await.map_err(|e| v.err(e))?;
    render(&Page { nav: Nav::for_viewer(&v, "home"), welcome, org_name: org.name, can, cannot, geo, work })
}
