//! A refused form comes back with what the user typed. When a form post is answered with
//! the page again (422: a field to fix; 409: someone else changed the record), the values
//! the user sent are put back into that form — every text field, text area, choice and
//! check box — in one place for every form of the UI, so no form can forget one. Passwords
//! and hidden fields (the CSRF token, the version the user saw) are never put back: the page
//! says what they must be now.
//!
//! The page is rewritten with lol_html (a streaming HTML rewriter with CSS selectors), on
//! the form whose `action` is the path that was posted.

use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, element, rewrite_str};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Names and paths used in selectors: anything else is left alone rather than escaped.
fn selector_safe(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_-.".contains(&b))
}

/// `html` with the form posted to `action` filled with `posted` (name, value) pairs, or
/// `None` when there is nothing to do.
pub fn refill(html: &str, action: &str, posted: &[(String, String)]) -> Option<String> {
    if !selector_safe(action) || posted.is_empty() {
        return None;
    }
    let mut values: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in posted {
        if selector_safe(k) && k != "_csrf" {
            values.entry(k.clone()).or_default().push(v.clone());
        }
    }
    if values.is_empty() {
        return None;
    }
    let values = Rc::new(values);
    let select_name: Rc<RefCell<Option<String>>> = Rc::default();
    let form = format!("form[action=\"{action}\"]");
    let (v1, v2, v3) = (values.clone(), values.clone(), values.clone());
    let (s1, s2) = (select_name.clone(), select_name.clone());
    let out = rewrite_str(
        html,
        RewriteStrSettings::new()
            .append_element_content_handler(element!(format!("{form} input[name]"), move |el| {
                let name = el.get_attribute("name").unwrap_or_default();
                let kind = el.get_attribute("type").unwrap_or_else(|| "text".into()).to_ascii_lowercase();
                if matches!(kind.as_str(), "password" | "hidden" | "file" | "submit" | "button" | "image" | "reset") {
                    return Ok(());
                }
                let sent = v1.get(&name);
                if matches!(kind.as_str(), "checkbox" | "radio") {
                    let value = el.get_attribute("value").unwrap_or_else(|| "on".into());
                    if sent.is_some_and(|vs| vs.contains(&value)) {
                        el.set_attribute("checked", "")?;
                    } else {
                        el.remove_attribute("checked");
                    }
                } else if let Some(v) = sent.and_then(|vs| vs.first()) {
                    el.set_attribute("value", v)?;
                }
                Ok(())
            }))
            .append_element_content_handler(element!(format!("{form} textarea[name]"), move |el| {
                let name = el.get_attribute("name").unwrap_or_default();
                if let Some(v) = v2.get(&name).and_then(|vs| vs.first()) {
                    el.set_inner_content(v, ContentType::Text);
                }
                Ok(())
            }))
            .append_element_content_handler(element!(format!("{form} select[name]"), move |el| {
                *s1.borrow_mut() = el.get_attribute("name");
                Ok(())
            }))
            .append_element_content_handler(element!(format!("{form} select[name] option"), move |el| {
                let Some(name) = s2.borrow().clone() else { return Ok(()) };
                let Some(sent) = v3.get(&name) else { return Ok(()) };
                let value = el.get_attribute("value").unwrap_or_default();
                if sent.contains(&value) {
                    el.set_attribute("selected", "")?;
                } else {
                    el.remove_attribute("selected");
                }
                Ok(())
            })),
    )
    .ok()?;
    Some(out)
}

/// The layer: for a UI form post (urlencoded) answered with a page to fix (422) or a
/// conflict (409), put the posted values back into the posted form.
pub async fn layer(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::body::{Body, to_bytes};
    use axum::http::{Method, StatusCode, header};
    use axum::response::IntoResponse;
    let is_form = req.method() == Method::POST
        && !req.uri().path().starts_with("/api/")
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, state.settings.max_body_bytes).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let posted: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let resp = next.run(axum::extract::Request::from_parts(parts, Body::from(bytes))).await;
    let html = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|c| c.starts_with("text/html"));
    if !html || !matches!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT) {
        return resp;
    }
    let (mut rparts, rbody) = resp.into_parts();
    let Ok(page) = to_bytes(rbody, 16 * 1024 * 1024).await else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    let out = match std::str::from_utf8(&page).ok().and_then(|s| refill(s, &path, &posted)) {
        Some(s) => Body::from(s),
        None => Body::from(page),
    };
    rparts.headers.remove(header::CONTENT_LENGTH);
    axum::response::Response::from_parts(rparts, out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    const PAGE: &str = r#"<form action="/other"><input name="notes" value="keep"></form>
<form method="post" action="/persons/p1/referrals"><input type="hidden" name="_csrf" value="NEW">
<input type="hidden" name="version" value="4"><input type="password" name="password">
<select name="service_id"><option value=""></option><option value="s1">A</option><option value="s2" selected>B</option></select>
<input type="text" name="consent_name"><textarea name="notes"></textarea>
<input type="checkbox" name="roles" value="investigator"><input type="checkbox" name="roles" value="org_admin" checked></form>"#;

    #[test]
    fn the_posted_form_gets_its_values_back_and_nothing_else_changes() {
        let posted = pairs(&[
            ("_csrf", "OLD"),
            ("version", "3"),
            ("password", "secret"),
            ("service_id", "s1"),
            ("consent_name", "Ana \" onfocus=\"x"),
            ("notes", "llegó el 3 & </textarea><script>"),
            ("roles", "investigator"),
        ]);
        let out = refill(PAGE, "/persons/p1/referrals", &posted).unwrap();
        assert!(out.contains(r#"<option value="s1" selected="">"#), "{out}");
        assert!(out.contains(r#"<option value="s2">B"#), "{out}");
        assert!(out.contains(r#"name="consent_name" value="Ana &quot; onfocus=&quot;x""#), "a quote cannot leave the attribute: {out}");
        assert!(out.contains("llegó el 3 &amp; &lt;/textarea&gt;&lt;script&gt;</textarea>"), "{out}");
        assert!(out.contains(r#"value="investigator" checked="""#), "{out}");
        assert!(out.contains(r#"<input type="checkbox" name="roles" value="org_admin">"#), "{out}");
        assert!(out.contains(r#"value="NEW""#) && out.contains(r#"value="4""#), "hidden fields keep the page's values");
        assert!(!out.contains("secret"), "a password is never put back");
        assert!(out.contains(r#"<form action="/other"><input name="notes" value="keep">"#), "other forms are untouched");
    }

    #[test]
    fn unsafe_names_and_paths_are_left_alone() {
        assert!(refill(PAGE, "/x\"]y", &pairs(&[("a", "b")])).is_none());
        let out = refill(PAGE, "/persons/p1/referrals", &pairs(&[("notes\"]", "x"), ("notes", "ok")])).unwrap();
        assert!(out.contains("ok</textarea>"));
    }
}
