//! The route catalogue: every route, once, with its kind and summary. The router, the
//! OpenAPI document and the authorization test all come from here, so a route cannot exist
//! without the test knowing about it.

use crate::openapi::describe::{DescribeFn, DescribeHandler};
use crate::{AppState, api, assets, openapi, ui};
use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, get, on, post};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// No login needed (login page, assets, health, the API description).
    Public,
    /// Server-rendered page or form post; session cookie + CSRF.
    Ui,
    /// JSON API; bearer token.
    Api,
}

#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub kind: RouteKind,
    pub summary: &'static str,
    /// For API routes: what the handler's own types say of its body, query and reply.
    pub describe: Option<DescribeFn>,
}

struct Builder {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Builder {
    fn add(mut self, method: &'static str, path: &'static str, kind: RouteKind, summary: &'static str, mr: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, mr);
        self.specs.push(RouteSpec { method, path, kind, summary, describe: None });
        self
    }

    /// An API route: bearer token, and described in the OpenAPI document from the handler's
    /// own types.
    fn api<H, T, M>(self, method: &'static str, path: &'static str, summary: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState> + DescribeHandler<M>,
        T: 'static,
    {
        let filter = match method {
            "POST" => MethodFilter::POST,
            "PUT" => MethodFilter::PUT,
            "DELETE" => MethodFilter::DELETE,
            _ => MethodFilter::GET,
        };
        self.api_routed(method, path, summary, <H as DescribeHandler<M>>::describe, on(filter, handler))
    }

    /// An API route whose method router needs more than the handler (a larger body limit).
    fn api_routed(
        mut self,
        method: &'static str,
        path: &'static str,
        summary: &'static str,
        describe: DescribeFn,
        mr: MethodRouter<AppState>,
    ) -> Self {
        self.router = self.router.route(path, mr);
        self.specs.push(RouteSpec { method, path, kind: RouteKind::Api, summary, describe: Some(describe) });
        self
    }
}

/// Uploads may be larger than forms: the attachment limit plus room for the form around it.
fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(amparo_domain::attachment::MAX_ATTACHMENT_BYTES + 64 * 1024)
}

/// The description of a handler, for `Builder::api_routed`.
fn describe_of<H: DescribeHandler<M>, M>(_handler: H) -> DescribeFn {
    <H as DescribeHandler<M>>::describe
}

/// Build the router (without state) and the list of routes.
pub fn catalogue() -> (Router<AppState>, Vec<RouteSpec>) {
    use RouteKind::*;
    let b = Builder { router: Router::new(), specs: Vec::new() }
        .add("GET", "/healthz", Public, "Liveness and database check", get(ui::misc::healthz))
        .add("GET", "/readyz", Public, "Readiness: the search index is built", get(ui::misc::readyz))
        // Only static assets are compressed: compressing pages that carry a CSRF token next to
        // reflected input would open them to BREACH-style attacks.
        .add(
            "GET",
            "/assets/{file}",
            Public,
            "Vendored static assets",
            get(assets::serve).layer(tower_http::compression::CompressionLayer::new()),
        )
        .add("GET", "/favicon.ico", Public, "The site icon", get(assets::favicon))
        .add("GET", "/login", Public, "Login form", get(ui::login::form))
        .add("POST", "/login", Public, "Check password, open a session", post(ui::login::submit))
        .add("POST", "/locale", Public, "Switch language", post(ui::misc::switch_locale))
        .add("POST", "/logout", Ui, "End the session", post(ui::login::logout))
        .add("GET", "/mfa", Ui, "Two-factor verification form", get(ui::mfa::verify_form))
        .add("POST", "/mfa", Ui, "Verify a TOTP or recovery code", post(ui::mfa::verify_submit))
        .add("GET", "/mfa/enrol", Ui, "Two-factor enrolment (QR code)", get(ui::mfa::enrol_form))
        .add("POST", "/mfa/enrol", Ui, "Confirm enrolment with a first code", post(ui::mfa::enrol_submit))
        .add("GET", "/", Ui, "Dashboard", get(ui::dashboard::page))
        .add("GET", "/orgs", Ui, "Organisations", get(ui::orgs::list))
        .add("POST", "/orgs", Ui, "Create an organisation", post(ui::orgs::create))
        .add("GET", "/orgs/{id}", Ui, "Edit form for an organisation", get(ui::orgs::edit_form))
        .add("POST", "/orgs/{id}", Ui, "Save an organisation", post(ui::orgs::edit_submit))
        .add("GET", "/users", Ui, "User accounts", get(ui::users::list))
        .add("POST", "/users", Ui, "Create an account", post(ui::users::create))
        .add("GET", "/users/{id}", Ui, "Edit form for an account", get(ui::users::edit_form))
        .add("POST", "/users/{id}", Ui, "Save an account (name, roles, language)", post(ui::users::edit_submit))
        .add("POST", "/users/{id}/status", Ui, "Disable or re-enable an account", post(ui::users::set_status))
        .add("POST", "/users/{id}/reset", Ui, "Reset access: temporary password, optionally new two-factor", post(ui::users::reset))
        .add("GET", "/audit", Ui, "Audit viewer", get(ui::audit::page))
        .add("GET", "/persons", Ui, "Persons by pseudonymous code", get(ui::persons::list))
        .add("POST", "/persons", Ui, "Record a person", post(ui::persons::create))
        .add("GET", "/persons/{id}", Ui, "A person (pseudonymous)", get(ui::persons::show))
        .add("POST", "/persons/{id}/reveal", Ui, "Reveal identity for a stated purpose", post(ui::persons::reveal))
        .add("POST", "/persons/{id}", Ui, "Save a person's fields (with version)", post(ui::persons::update))
        .add("GET", "/persons/{id}/screening", Ui, "Screening form (indicators grouped by dimension)", get(ui::screening::new_form))
        .add("POST", "/persons/{id}/screenings", Ui, "Save a screening (draft or final)", post(ui::screening::create))
        .add("POST", "/persons/{id}/decisions", Ui, "Record an identification decision", post(ui::screening::decide))
        .add("POST", "/persons/{id}/referrals", Ui, "Refer a person to a service", post(ui::referrals::refer))
        .add("POST", "/persons/{id}/assistance", Ui, "Record assistance or participation", post(ui::referrals::assist))
        .add("GET", "/screenings/{id}", Ui, "A screening (draft editable, final read-only)", get(ui::screening::show))
        .add("POST", "/screenings/{id}", Ui, "Update a draft screening (with version)", post(ui::screening::update))
        .add("POST", "/screening/evaluate", Ui, "Live screening result (stores nothing)", post(ui::screening::evaluate))
        .add("GET", "/instruments", Ui, "Screening instruments", get(ui::instruments::list))
        .add("POST", "/instruments", Ui, "Publish a new instrument version (system administrators)", post(ui::instruments::publish))
        .add("GET", "/instruments/{id}", Ui, "A screening instrument: indicators, strengths, rules", get(ui::instruments::show))
        .add("GET", "/reports", Ui, "The unit's report queue and the call form", get(ui::reports::list))
        .add("POST", "/reports", Ui, "Record a report (hotline call, walk-in)", post(ui::reports::create))
        .add("GET", "/reports/{id}", Ui, "A report", get(ui::reports::show))
        .add("POST", "/reports/{id}/triage", Ui, "Acknowledge, act on, reassign or close a report", post(ui::reports::triage))
        .add("GET", "/operations", Ui, "Police operations", get(ui::fieldwork::operations))
        .add("POST", "/operations", Ui, "Record a police operation", post(ui::fieldwork::create_operation))
        .add("GET", "/operations/{id}", Ui, "A police operation", get(ui::fieldwork::operation))
        .add("GET", "/inspections", Ui, "Labour inspections", get(ui::fieldwork::inspections))
        .add("POST", "/inspections", Ui, "Record a labour inspection", post(ui::fieldwork::create_inspection))
        .add("GET", "/inspections/{id}", Ui, "A labour inspection", get(ui::fieldwork::inspection))
        .add("GET", "/services", Ui, "Services directory", get(ui::referrals::services))
        .add("POST", "/services", Ui, "Add a service", post(ui::referrals::create_service))
        .add("GET", "/services/{id}", Ui, "A service (address for its own staff) and its edit form", get(ui::referrals::service))
        .add("POST", "/services/{id}", Ui, "Save a service (with version)", post(ui::referrals::update_service))
        .add("GET", "/referrals", Ui, "Referrals received and sent", get(ui::referrals::list))
        .add("GET", "/referrals/{id}", Ui, "A referral", get(ui::referrals::show))
        .add("POST", "/referrals/{id}/act", Ui, "Accept, reject, start, complete or revoke a referral", post(ui::referrals::act))
        .add("GET", "/referral-gap", Ui, "Identified victims not referred after N days", get(ui::referrals::gap))
        .add("GET", "/notifications", Ui, "Notifications for the organisation", get(ui::referrals::notifications))
        .add("POST", "/notifications/read", Ui, "Mark notifications read", post(ui::referrals::mark_read))
        .add("GET", "/cases", Ui, "Cases owned or shared; open a case; ask for a share", get(ui::cases::list))
        .add("POST", "/cases", Ui, "Open a case", post(ui::cases::open))
        .add("POST", "/share-requests", Ui, "Ask for a share of a case by reference", post(ui::cases::request_share))
        .add("GET", "/cases/{id}", Ui, "A case: persons, events, charges, shares, tasks, timeline", get(ui::cases::show))
        .add("POST", "/cases/{id}", Ui, "Change status or add a note (with version)", post(ui::cases::update))
        .add("POST", "/cases/{id}/links", Ui, "Link a person in a role", post(ui::cases::link))
        .add("POST", "/cases/{id}/events", Ui, "Add an event", post(ui::cases::event))
        .add("POST", "/cases/{id}/charges", Ui, "File a charge", post(ui::cases::charge))
        .add("POST", "/cases/{id}/stage", Ui, "Move the proceedings to the next stage", post(ui::cases::stage))
        .add("POST", "/cases/{id}/hearings", Ui, "Record a hearing (held or scheduled)", post(ui::cases::hearing))
        .add("POST", "/cases/{id}/shares", Ui, "Share the case", post(ui::cases::share))
        .add("POST", "/cases/{id}/transfer", Ui, "Transfer ownership", post(ui::cases::transfer))
        .add("POST", "/cases/{id}/access", Ui, "Name the users allowed on a restricted case", post(ui::cases::access))
        .add(
            "POST",
            "/cases/{id}/attachments",
            Ui,
            "Attach a file (PDF, PNG, JPEG, text; 10 MiB)",
            post(ui::cases::upload).layer(upload_limit()),
        )
        .add("GET", "/attachments/{id}", Ui, "Download an attachment (never shown inline)", get(ui::cases::attachment))
        .add("POST", "/cases/{id}/tasks", Ui, "Add a task with a deadline", post(ui::cases::task))
        .add("POST", "/charges/{id}/decision", Ui, "Record a verdict and sentence", post(ui::cases::decide))
        .add("POST", "/charges/{id}/review", Ui, "Mark a flagged sentence reviewed", post(ui::cases::review))
        .add("POST", "/charges/{id}/appeals", Ui, "Record an appeal", post(ui::cases::appeal))
        .add("POST", "/shares/{id}", Ui, "Grant, refuse or revoke a share", post(ui::cases::answer_share))
        .add("GET", "/search", Ui, "Full-text search over what the user may open", get(ui::coordination::search))
        .add("GET", "/tasks", Ui, "The unit's open tasks, overdue first", get(ui::coordination::tasks))
        .add("POST", "/tasks/{id}/done", Ui, "Complete a task", post(ui::coordination::task_done))
        .add("GET", "/statistics", Ui, "Annual report with charts, map, case flow and trend (?year=&region=)", get(ui::statistics::page))
        .add(
            "GET",
            "/statistics/ctdc",
            Ui,
            "Anonymised victim microdata in CTDC columns (?year=&k=), k-anonymised, as CSV",
            get(ui::statistics::ctdc),
        )
        .add("GET", "/statistics/annual/{format}", Ui, "The annual report as pdf, xlsx, csv or json", get(ui::statistics::download))
        .add("GET", "/matches", Ui, "Record-linkage review queue", get(ui::matches::matches))
        .add("POST", "/matches/run", Ui, "Start record linkage over every person (it runs in the background)", post(ui::matches::run))
        .add("GET", "/matches/run-status", Ui, "The linkage run panel, polled while a run is under way", get(ui::matches::run_status))
        .add("GET", "/matches/{id}", Ui, "A candidate pair side by side", get(ui::matches::show))
        .add("POST", "/matches/{id}/reveal", Ui, "Both identities side by side, for a stated purpose", post(ui::matches::reveal))
        .add("POST", "/matches/{id}/decision", Ui, "Confirm, reject or undo a link", post(ui::matches::decide))
        .add("GET", "/alerts", Ui, "Cross-agency match alerts", get(ui::coordination::alerts))
        .add("POST", "/alerts/{id}", Ui, "Decide an alert", post(ui::coordination::decide_alert))
        .add("GET", "/prevention", Ui, "Prevention register", get(ui::coordination::prevention))
        .add("POST", "/prevention", Ui, "Record a campaign or training", post(ui::coordination::record_prevention))
        .add("GET", "/public/report", Public, "Anonymous report form", get(ui::public::form))
        .add("POST", "/public/report", Public, "Submit an anonymous report", post(ui::public::submit))
        .add("GET", "/public/status", Public, "Look up a report by reference code and secret", get(ui::public::lookup))
        .add("POST", "/public/status", Public, "See that a report was received", post(ui::public::status))
        .add("POST", "/public/follow-up", Public, "Add information to an anonymous report", post(ui::public::follow_up))
        .add("GET", "/api/v1/openapi.json", Public, "This OpenAPI document", get(openapi::document))
        .api("GET", "/api/v1/me", "The calling user", api::me)
        .api("GET", "/api/v1/organisations", "List organisations", api::orgs_list)
        .api("POST", "/api/v1/organisations", "Create an organisation", api::orgs_create)
        .api("GET", "/api/v1/organisations/{id}", "Get an organisation", api::orgs_get)
        .api("PUT", "/api/v1/organisations/{id}", "Update an organisation (with version)", api::orgs_update)
        .api("GET", "/api/v1/users", "List users the caller may manage", api::users_list)
        .api("POST", "/api/v1/users", "Create a user", api::users_create)
        .api("GET", "/api/v1/users/{id}", "Get a user", api::users_get)
        .api("PUT", "/api/v1/users/{id}", "Update a user (with version)", api::users_update)
        .api("GET", "/api/v1/audit", "Audit entries, filtered", api::audit_list)
        .api("GET", "/api/v1/persons", "Persons of the caller's organisation (pseudonymous)", api::persons_list)
        .api("POST", "/api/v1/persons", "Record a person", api::persons_create)
        .api("GET", "/api/v1/persons/{id}", "Get a person (pseudonymous)", api::persons_get)
        .api("POST", "/api/v1/persons/{id}/reveal", "Reveal identity for a stated purpose", api::persons_reveal)
        .api("PUT", "/api/v1/persons/{id}", "Update a person (with version)", api::persons_update)
        .api("GET", "/api/v1/persons/{id}/file", "A person's screenings, decisions, referrals, assistance", api::persons_file)
        .api("POST", "/api/v1/persons/{id}/screenings", "Record a screening against a person", api::screenings_create)
        .api("POST", "/api/v1/persons/{id}/decisions", "Record an identification decision", api::decisions_create)
        .api("POST", "/api/v1/persons/{id}/referrals", "Refer a person to a service", api::referrals_create)
        .api("POST", "/api/v1/persons/{id}/assistance", "Record assistance or participation", api::assistance_create)
        .api("GET", "/api/v1/screenings/{id}", "Get a screening", api::screenings_get)
        .api("PUT", "/api/v1/screenings/{id}", "Update a draft screening (with version)", api::screenings_update)
        .api("GET", "/api/v1/screening-instruments", "List screening instruments", api::instruments_list)
        .api("POST", "/api/v1/screening-instruments", "Publish a new instrument version", api::instruments_publish)
        .api("GET", "/api/v1/screening-instruments/{id}", "Sets, dimensions, indicators with strength, rules", api::instruments_get)
        .api("POST", "/api/v1/screening-instruments/{id}/evaluate", "Evaluate indicators (stores nothing)", api::instruments_evaluate)
        .api("GET", "/api/v1/reports", "The caller's unit queue and reports sent on", api::reports_list)
        .api("POST", "/api/v1/reports", "Record a report", api::reports_create)
        .api("GET", "/api/v1/reports/{id}", "A report with narrative", api::reports_get)
        .api("POST", "/api/v1/reports/{id}/triage", "Acknowledge, act, reassign or close", api::reports_triage)
        .api("POST", "/api/v1/operations", "Record a police operation", api::operations_create)
        .api("POST", "/api/v1/inspections", "Record a labour inspection", api::inspections_create)
        .api("GET", "/api/v1/services", "Services directory (?kind=shelter)", api::services_list)
        .api("POST", "/api/v1/services", "Add a service", api::services_create)
        .api("GET", "/api/v1/services/{id}", "A service", api::services_get)
        .api("PUT", "/api/v1/services/{id}", "Update a service (with version)", api::services_update)
        .api("GET", "/api/v1/referrals", "Referrals received and sent", api::referrals_list)
        .api("POST", "/api/v1/referrals/{id}/act", "Move a referral along its lifecycle", api::referrals_act)
        .api("GET", "/api/v1/referral-gap", "Identified victims not referred after ?days=N", api::referral_gap)
        .api("GET", "/api/v1/cases", "Cases the caller's organisation owns or holds a share of", api::cases_list)
        .api("POST", "/api/v1/cases", "Open a case from reports, operations or inspections", api::cases_open)
        .api("GET", "/api/v1/cases/{id}", "A case with its links, events, tasks, charges and shares", api::cases_get)
        .api("POST", "/api/v1/cases/{id}", "Change a case's status or add a note (with version)", api::cases_update)
        .api("POST", "/api/v1/cases/{id}/links", "Link a person in a role (complicity flag on suspects)", api::cases_link)
        .api("POST", "/api/v1/cases/{id}/events", "Add a recruitment, transit or exploitation event", api::cases_event)
        .api("GET", "/api/v1/cases/{id}/timeline", "The case timeline across agencies", api::cases_timeline)
        .api("GET", "/api/v1/cases/{id}/seen", "Who has seen or changed the case (owner)", api::cases_seen)
        .api("POST", "/api/v1/cases/{id}/charges", "File a charge against a defendant", api::charges_file)
        .api("POST", "/api/v1/cases/{id}/hearings", "Record a hearing (held or scheduled)", api::cases_hearing)
        .api("POST", "/api/v1/cases/{id}/shares", "Share the case with an organisation", api::cases_share)
        .api("POST", "/api/v1/cases/{id}/transfer", "Transfer ownership (history kept)", api::cases_transfer)
        .api_routed(
            "POST",
            "/api/v1/cases/{id}/attachments",
            "Attach a file (body = the file, ?filename=)",
            describe_of(api::attachments_upload),
            post(api::attachments_upload).layer(upload_limit()),
        )
        .api("GET", "/api/v1/attachments/{id}", "Download an attachment", api::attachments_get)
        .api("POST", "/api/v1/charges/{id}/decision", "Verdict and sentence for a defendant", api::charges_decide)
        .api("POST", "/api/v1/charges/{id}/appeals", "Record an appeal", api::charges_appeal)
        .api("POST", "/api/v1/shares/{id}", "Grant, refuse or revoke a share", api::shares_answer)
        .api("POST", "/api/v1/share-requests", "Ask for a share of a case by reference", api::shares_request)
        .api("GET", "/api/v1/matches", "Record-linkage candidate pairs and links touching the caller's persons", api::matches_list)
        .api("GET", "/api/v1/matches/{id}", "A candidate pair (no identities; see …/reveal)", api::matches_get)
        .api("POST", "/api/v1/matches/{id}/reveal", "Both identities of a pair, for a stated purpose: {purpose}", api::matches_reveal)
        .api("POST", "/api/v1/matches/{id}/decision", "Confirm, reject or undo a link: {decision, reason, version}", api::matches_decide)
        .api(
            "POST",
            "/api/v1/linkage/run",
            "Run record linkage over every person now (or join the run under way); answers with what it found",
            api::linkage_run,
        )
        .api("GET", "/api/v1/linkage/status", "Whether a linkage run is under way, and what the last one found", api::linkage_status)
        .api(
            "GET",
            "/api/v1/statistics/victims-identified",
            "Victims identified in ?year=YYYY, counted once per person",
            api::victims_identified,
        )
        .api(
            "GET",
            "/api/v1/statistics/annual",
            "The annual report (?year=&region=&org=) as JSON; small cells hidden from roles that may not see persons",
            api::annual_report,
        )
        .api("GET", "/api/v1/alerts", "Cross-agency match alerts about the caller's persons", api::alerts_list)
        .api("POST", "/api/v1/alerts/{id}", "Decide an alert: confirm or not the same person", api::alerts_decide)
        .api("GET", "/api/v1/search", "Full-text search (?q=): only records the caller may open", api::search)
        .api("GET", "/api/v1/statutes", "Statutes with effective dates and ranges", api::statutes_list)
        .api("GET", "/api/v1/prevention", "Prevention register", api::prevention_list)
        .api("POST", "/api/v1/prevention", "Record a campaign or training", api::prevention_create)
        .api("GET", "/api/v1/countries", "ISO 3166 countries", api::countries)
        .api("GET", "/api/v1/areas", "Administrative areas (?country=PE&parent=PE-16)", api::areas);
    (b.router, b.specs)
}
