//! The route catalogue: every route, once, with its kind and summary. The router, the
//! OpenAPI document and the authorization test all come from here, so a route cannot exist
//! without the test knowing about it.

use crate::{AppState, api, assets, openapi, ui};
use axum::Router;
use axum::routing::{MethodRouter, get, post, put};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// No login needed (login page, assets, health, the API description).
    Public,
    /// Server-rendered page or form post; session cookie + CSRF.
    Ui,
    /// JSON API; bearer token.
    Api,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub kind: RouteKind,
    pub summary: &'static str,
}

struct Builder {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Builder {
    fn add(mut self, method: &'static str, path: &'static str, kind: RouteKind, summary: &'static str, mr: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, mr);
        self.specs.push(RouteSpec { method, path, kind, summary });
        self
    }
}

/// Uploads may be larger than forms: the attachment limit plus room for the form around it.
fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(amparo_domain::attachment::MAX_ATTACHMENT_BYTES + 64 * 1024)
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
        .add("GET", "/api/v1/me", Api, "The calling user", get(api::me))
        .add("GET", "/api/v1/organisations", Api, "List organisations", get(api::orgs_list))
        .add("POST", "/api/v1/organisations", Api, "Create an organisation", post(api::orgs_create))
        .add("GET", "/api/v1/organisations/{id}", Api, "Get an organisation", get(api::orgs_get))
        .add("PUT", "/api/v1/organisations/{id}", Api, "Update an organisation (with version)", put(api::orgs_update))
        .add("GET", "/api/v1/users", Api, "List users the caller may manage", get(api::users_list))
        .add("POST", "/api/v1/users", Api, "Create a user", post(api::users_create))
        .add("GET", "/api/v1/users/{id}", Api, "Get a user", get(api::users_get))
        .add("PUT", "/api/v1/users/{id}", Api, "Update a user (with version)", put(api::users_update))
        .add("GET", "/api/v1/audit", Api, "Audit entries, filtered", get(api::audit_list))
        .add("GET", "/api/v1/persons", Api, "Persons of the caller's organisation (pseudonymous)", get(api::persons_list))
        .add("POST", "/api/v1/persons", Api, "Record a person", post(api::persons_create))
        .add("GET", "/api/v1/persons/{id}", Api, "Get a person (pseudonymous)", get(api::persons_get))
        .add("POST", "/api/v1/persons/{id}/reveal", Api, "Reveal identity for a stated purpose", post(api::persons_reveal))
        .add("PUT", "/api/v1/persons/{id}", Api, "Update a person (with version)", put(api::persons_update))
        .add("GET", "/api/v1/persons/{id}/file", Api, "A person's screenings, decisions, referrals, assistance", get(api::persons_file))
        .add("POST", "/api/v1/persons/{id}/screenings", Api, "Record a screening against a person", post(api::screenings_create))
        .add("POST", "/api/v1/persons/{id}/decisions", Api, "Record an identification decision", post(api::decisions_create))
        .add("POST", "/api/v1/persons/{id}/referrals", Api, "Refer a person to a service", post(api::referrals_create))
        .add("POST", "/api/v1/persons/{id}/assistance", Api, "Record assistance or participation", post(api::assistance_create))
        .add("GET", "/api/v1/screenings/{id}", Api, "Get a screening", get(api::screenings_get))
        .add("PUT", "/api/v1/screenings/{id}", Api, "Update a draft screening (with version)", put(api::screenings_update))
        .add("GET", "/api/v1/screening-instruments", Api, "List screening instruments", get(api::instruments_list))
        .add("POST", "/api/v1/screening-instruments", Api, "Publish a new instrument version", post(api::instruments_publish))
        .add(
            "GET",
            "/api/v1/screening-instruments/{id}",
            Api,
            "Sets, dimensions, indicators with strength, rules",
            get(api::instruments_get),
        )
        .add(
            "POST",
            "/api/v1/screening-instruments/{id}/evaluate",
            Api,
            "Evaluate indicators (stores nothing)",
            post(api::instruments_evaluate),
        )
        .add("GET", "/api/v1/reports", Api, "The caller's unit queue and reports sent on", get(api::reports_list))
        .add("POST", "/api/v1/reports", Api, "Record a report", post(api::reports_create))
        .add("GET", "/api/v1/reports/{id}", Api, "A report with narrative", get(api::reports_get))
        .add("POST", "/api/v1/reports/{id}/triage", Api, "Acknowledge, act, reassign or close", post(api::reports_triage))
        .add("POST", "/api/v1/operations", Api, "Record a police operation", post(api::operations_create))
        .add("POST", "/api/v1/inspections", Api, "Record a labour inspection", post(api::inspections_create))
        .add("GET", "/api/v1/services", Api, "Services directory (?kind=shelter)", get(api::services_list))
        .add("POST", "/api/v1/services", Api, "Add a service", post(api::services_create))
        .add("GET", "/api/v1/services/{id}", Api, "A service", get(api::services_get))
        .add("PUT", "/api/v1/services/{id}", Api, "Update a service (with version)", put(api::services_update))
        .add("GET", "/api/v1/referrals", Api, "Referrals received and sent", get(api::referrals_list))
        .add("POST", "/api/v1/referrals/{id}/act", Api, "Move a referral along its lifecycle", post(api::referrals_act))
        .add("GET", "/api/v1/referral-gap", Api, "Identified victims not referred after ?days=N", get(api::referral_gap))
        .add("GET", "/api/v1/cases", Api, "Cases the caller's organisation owns or holds a share of", get(api::cases_list))
        .add("POST", "/api/v1/cases", Api, "Open a case from reports, operations or inspections", post(api::cases_open))
        .add("GET", "/api/v1/cases/{id}", Api, "A case with its links, events, tasks, charges and shares", get(api::cases_get))
        .add("POST", "/api/v1/cases/{id}", Api, "Change a case's status or add a note (with version)", post(api::cases_update))
        .add("POST", "/api/v1/cases/{id}/links", Api, "Link a person in a role (complicity flag on suspects)", post(api::cases_link))
        .add("POST", "/api/v1/cases/{id}/events", Api, "Add a recruitment, transit or exploitation event", post(api::cases_event))
        .add("GET", "/api/v1/cases/{id}/timeline", Api, "The case timeline across agencies", get(api::cases_timeline))
        .add("GET", "/api/v1/cases/{id}/seen", Api, "Who has seen or changed the case (owner)", get(api::cases_seen))
        .add("POST", "/api/v1/cases/{id}/charges", Api, "File a charge against a defendant", post(api::charges_file))
        .add("POST", "/api/v1/cases/{id}/hearings", Api, "Record a hearing (held or scheduled)", post(api::cases_hearing))
        .add("POST", "/api/v1/cases/{id}/shares", Api, "Share the case with an organisation", post(api::cases_share))
        .add("POST", "/api/v1/cases/{id}/transfer", Api, "Transfer ownership (history kept)", post(api::cases_transfer))
        .add(
            "POST",
            "/api/v1/cases/{id}/attachments",
            Api,
            "Attach a file (body = the file, ?filename=)",
            post(api::attachments_upload).layer(upload_limit()),
        )
        .add("GET", "/api/v1/attachments/{id}", Api, "Download an attachment", get(api::attachments_get))
        .add("POST", "/api/v1/charges/{id}/decision", Api, "Verdict and sentence for a defendant", post(api::charges_decide))
        .add("POST", "/api/v1/charges/{id}/appeals", Api, "Record an appeal", post(api::charges_appeal))
        .add("POST", "/api/v1/shares/{id}", Api, "Grant, refuse or revoke a share", post(api::shares_answer))
        .add("POST", "/api/v1/share-requests", Api, "Ask for a share of a case by reference", post(api::shares_request))
        .add(
            "GET",
            "/api/v1/matches",
            Api,
            "Record-linkage candidate pairs and links touching the caller's persons",
            get(api::matches_list),
        )
        .add("GET", "/api/v1/matches/{id}", Api, "A candidate pair (no identities; see …/reveal)", get(api::matches_get))
        .add(
            "POST",
            "/api/v1/matches/{id}/reveal",
            Api,
            "Both identities of a pair, for a stated purpose: {purpose}",
            post(api::matches_reveal),
        )
        .add(
            "POST",
            "/api/v1/matches/{id}/decision",
            Api,
            "Confirm, reject or undo a link: {decision, reason, version}",
            post(api::matches_decide),
        )
        .add(
            "POST",
            "/api/v1/linkage/run",
            Api,
            "Run record linkage over every person now (or join the run under way); answers with what it found",
            post(api::linkage_run),
        )
        .add(
            "GET",
            "/api/v1/linkage/status",
            Api,
            "Whether a linkage run is under way, and what the last one found",
            get(api::linkage_status),
        )
        .add(
            "GET",
            "/api/v1/statistics/victims-identified",
            Api,
            "Victims identified in ?year=YYYY, counted once per person",
            get(api::victims_identified),
        )
        .add(
            "GET",
            "/api/v1/statistics/annual",
            Api,
            "The annual report (?year=&region=&org=) as JSON; small cells hidden from roles that may not see persons",
            get(api::annual_report),
        )
        .add("GET", "/api/v1/alerts", Api, "Cross-agency match alerts about the caller's persons", get(api::alerts_list))
        .add("POST", "/api/v1/alerts/{id}", Api, "Decide an alert: confirm or not the same person", post(api::alerts_decide))
        .add("GET", "/api/v1/search", Api, "Full-text search (?q=): only records the caller may open", get(api::search))
        .add("GET", "/api/v1/statutes", Api, "Statutes with effective dates and ranges", get(api::statutes_list))
        .add("GET", "/api/v1/prevention", Api, "Prevention register", get(api::prevention_list))
        .add("POST", "/api/v1/prevention", Api, "Record a campaign or training", post(api::prevention_create))
        .add("GET", "/api/v1/countries", Api, "ISO 3166 countries", get(api::countries))
        .add("GET", "/api/v1/areas", Api, "Administrative areas (?country=PE&parent=PE-16)", get(api::areas));
    (b.router, b.specs)
}
