//! Request extractors: who is calling and in which language. Handlers that take a `Viewer`
//! cannot run without a complete session; handlers that take an `ApiCaller` cannot run
//! without a valid bearer token. The core re-checks everything through the policy.

use crate::AppState;
use crate::error::WebError;
use crate::i18n::{Lang, Tr};
use amparo_core::Ctx;
use amparo_core::usecases::auth::{ActiveSession, LoginStage};
use amparo_domain::user::User;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "amparo_session";
pub const PRE_COOKIE: &str = "amparo_pre";
pub const LANG_COOKIE: &str = "amparo_lang";

/// The operation id of this request, set by the outermost middleware.
#[derive(Clone, Debug)]
pub struct OpId(pub String);

pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    cookie_in(&parts.headers, name)
}

/// A cookie's value from request headers (empty and over-long values are ignored).
pub fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name && !v.is_empty() && v.len() <= 256).then(|| v.to_owned())
    })
}

/// The language a request asks for: the language cookie, else `Accept-Language`, else
/// Spanish.
pub fn lang_of(headers: &axum::http::HeaderMap) -> Lang {
    cookie_in(headers, LANG_COOKIE)
        .and_then(|c| Lang::parse(&c))
        .or_else(|| headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language))
        .unwrap_or(Lang::Es)
}

/// Facts about the request every handler needs.
#[derive(Clone, Debug)]
pub struct Meta {
    pub op: String,
    pub ip: String,
    pub tr: Tr,
    pub session_cookie: Option<String>,
    pub pre_cookie: Option<String>,
}

impl Meta {
    pub fn ctx(&self) -> Ctx {
        Ctx::anonymous(&self.ip, &self.op)
    }
    pub fn page_err(&self, err: amparo_core::CoreError) -> WebError {
        WebError::Page { err, op: self.op.clone(), tr: self.tr, frame: None }
    }
}

impl FromRequestParts<AppState> for Meta {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let op = parts.extensions.get::<OpId>().map(|o| o.0.clone()).unwrap_or_else(|| state.app.new_operation_id());
        // The peer address only: X-Forwarded-For can be forged by anyone.
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into());
        let lang = lang_of(&parts.headers);
        Ok(Meta { op, ip, tr: Tr::new(lang), session_cookie: cookie(parts, SESSION_COOKIE), pre_cookie: cookie(parts, PRE_COOKIE) })
    }
}

/// A session in any stage (for the two-factor pages).
pub struct Pending {
    pub meta: Meta,
    pub session: ActiveSession,
    pub cookie: String,
}

impl Pending {
    pub fn ctx(&self) -> Ctx {
        Ctx { actor: Some(self.session.actor()), client_ip: self.meta.ip.clone(), operation_id: self.meta.op.clone() }
    }
}

fn session_lang(meta: &Meta, s: &ActiveSession) -> Tr {
    let lang = s
        .record
        .locale
        .as_deref()
        .and_then(Lang::parse)
        .or_else(|| s.user.locale.map(|l| if l.as_str() == "en" { Lang::En } else { Lang::Es }))
        .unwrap_or(meta.tr.lang);
    Tr::new(lang)
}

impl FromRequestParts<AppState> for Pending {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut meta = Meta::from_request_parts(parts, state).await?;
        let Some(cookie) = meta.session_cookie.clone() else { return Err(WebError::Redirect("/login".into())) };
        let session = state.app.access().resolve_session(&cookie).await.map_err(|e| meta.page_err(e))?;
        let Some(session) = session else { return Err(WebError::Redirect("/login".into())) };
        meta.tr = session_lang(&meta, &session);
        Ok(Pending { meta, session, cookie })
    }
}

/// A fully signed-in user of the web UI.
pub struct Viewer {
    pub meta: Meta,
    pub session: ActiveSession,
    pub ctx: Ctx,
    /// This session's CSRF token, for forms on the page.
    pub csrf: String,
    pub demo_mode: bool,
    /// Unread notifications for the viewer's organisation (the menu badge).
    pub unread: usize,
    /// What the viewer may do (the core's answer; menus and buttons follow it).
    pub can: amparo_core::usecases::capabilities::Capabilities,
}

impl Viewer {
    pub fn err(&self, err: amparo_core::CoreError) -> WebError {
        WebError::Page { err, op: self.meta.op.clone(), tr: self.meta.tr, frame: Some(Box::new(crate::ui::Nav::for_viewer(self, ""))) }
    }
    pub fn tr(&self) -> Tr {
        self.meta.tr
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let p = Pending::from_request_parts(parts, state).await?;
        match p.session.stage {
            LoginStage::Complete => {}
            LoginStage::NeedsMfa => return Err(WebError::Redirect("/mfa".into())),
            LoginStage::NeedsEnrolment => return Err(WebError::Redirect("/mfa/enrol".into())),
        }
        let ctx = p.ctx();
        let csrf = state.app.system().csrf_token(&p.cookie);
        // A failed count must not block the page: the badge is a convenience.
        let unread = state.app.referrals().unread_notifications(&ctx).await.unwrap_or(0);
        let can = state.app.access().capabilities(&ctx);
        Ok(Viewer { meta: p.meta, session: p.session, ctx, csrf, demo_mode: state.settings.demo_mode, unread, can })
    }
}

/// An API caller authenticated by bearer token.
pub struct ApiCaller {
    pub ctx: Ctx,
    pub user: User,
    pub op: String,
}

impl ApiCaller {
    pub fn err(&self, err: amparo_core::CoreError) -> WebError {
        WebError::Api { err, op: self.op.clone() }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let meta = Meta::from_request_parts(parts, state).await?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| WebError::Api { err: amparo_core::CoreError::Unauthenticated, op: meta.op.clone() })?;
        let (method, path) = (parts.method.as_str().to_owned(), parts.uri.path().to_owned());
        let (user, actor) = state
            .app
            .access()
            .authenticate_request(&meta.ip, &meta.op, &method, &path, token)
            .await
            .map_err(|err| WebError::Api { err, op: meta.op.clone() })?;
        Ok(ApiCaller { ctx: Ctx { actor: Some(actor), client_ip: meta.ip, operation_id: meta.op.clone() }, user, op: meta.op })
    }
}

/// JSON body for the API, with malformed or oversized bodies turned into stable error codes.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let op = req.extensions().get::<OpId>().map(|o| o.0.clone()).unwrap_or_else(|| state.app.new_operation_id());
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => {
                let code = if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE { "payload_too_large" } else { "bad_request" };
                Err(WebError::BadRequest { code, op, api: true, tr: Tr::new(Lang::En) })
            }
        }
    }
}

/// Form body for pages. Unknown fields are ignored; missing ones take defaults.
pub struct UiForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for UiForm<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let op = req.extensions().get::<OpId>().map(|o| o.0.clone()).unwrap_or_else(|| state.app.new_operation_id());
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(UiForm(v)),
            Err(rej) => {
                let code = if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE { "payload_too_large" } else { "bad_request" };
                Err(WebError::BadRequest { code, op, api: false, tr: Tr::new(Lang::Es) })
            }
        }
    }
}
