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

/// Build the router (without state) and the list of routes.
pub fn catalogue() -> (Router<AppState>, Vec<RouteSpec>) {
    use RouteKind::*;
    let b = Builder { router: Router::new(), specs: Vec::new() }
        .add("GET", "/healthz", Public, "Liveness and database check", get(ui::misc::healthz))
        // Only static assets are compressed: compressing pages that carry a CSRF token next to
        // reflected input would open them to BREACH-style attacks.
        .add(
            "GET",
            "/assets/{file}",
            Public,
            "Vendored static assets",
            get(assets::serve).layer(tower_http::compression::CompressionLayer::new()),
        )
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
        .add("GET", "/api/v1/countries", Api, "ISO 3166 countries", get(api::countries))
        .add("GET", "/api/v1/areas", Api, "Administrative areas (?country=PE&parent=PE-16)", get(api::areas));
    (b.router, b.specs)
}
