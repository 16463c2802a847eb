//! The OpenAPI document as a contract the whole suite keeps. Every API call a test makes
//! through `helpers::call` (and so `World::call`/`World::ok`) is checked here: the answer's
//! status must be one the document lists for that operation, its body must match the schema
//! given for that status, and a body the server accepted must be one the document allows. So
//! every scenario the suite walks, as every role, also proves that a client generated from the
//! document would read and write what the server does.

use jsonschema::Validator;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(amparo_web::openapi_document)
}

/// The documented operation for a concrete path (`/api/v1/persons/abc/file?x=1`): its template
/// and its entry.
fn operation(method: &str, path: &str) -> Option<(String, &'static Value)> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    let paths = document()["paths"].as_object()?;
    paths.iter().find_map(|(template, item)| {
        let parts: Vec<&str> = template.split('/').collect();
        let fits = parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(p, s)| p == s || (p.starts_with('{') && p.ends_with('}') && !s.is_empty()));
        let op = item.get(method.to_lowercase())?;
        fits.then(|| (template.clone(), op))
    })
}

/// A validator for one schema of the document, with the document's components to resolve
/// its references against; made once per schema.
fn validator(key: &str, schema: &Value) -> Arc<Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(key) {
        return v.clone();
    }
    let root = json!({ "components": document()["components"], "allOf": [schema] });
    let v =
        Arc::new(jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("the document's schema for {key} does not compile: {e}")));
    cache.lock().unwrap().insert(key.to_owned(), v.clone());
    v
}

fn check_against(what: &str, key: &str, schema: &Value, instance: &Value) {
    let errors: Vec<String> =
        validator(key, schema).iter_errors(instance).take(5).map(|e| format!("at '{}': {}", e.instance_path(), e)).collect();
    assert!(errors.is_empty(), "{what} does not match the OpenAPI document:\n  {}\nbody: {}", errors.join("\n  "), short(instance));
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 600 { format!("{}…", s.chars().take(600).collect::<String>()) } else { s }
}

/// Check one exchange with the API. Panics (failing the test) when the document does not
/// describe what happened.
pub fn check(method: &str, path: &str, request: Option<&Value>, status: u16, answer: &Value) {
    if !path.starts_with("/api/") {
        return;
    }
    let Some((template, op)) = operation(method, path) else {
        // An unknown path or method is answered 404/405 by the router, not by an operation.
        assert!(matches!(status, 404 | 405), "{method} {path} answered {status} but the document has no such operation");
        return;
    };
    let what = format!("{method} {template} → {status}");
    // `AMPARO_CONTRACT_LOG=FILE` lists what the run exercised, to see which operations the
    // suite never calls successfully.
    if let Ok(file) = std::env::var("AMPARO_CONTRACT_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(file) {
            let _ = writeln!(f, "{method} {template} {status}");
        }
    }
    let Some(response) = op["responses"].get(status.to_string()) else {
        panic!("{what}: the document does not list this status for the operation; body: {}", short(answer));
    };
    if let Some(schema) = response.pointer("/content/application~1json/schema") {
        check_against(&format!("the answer of {what}"), &format!("{method} {template} {status}"), schema, answer);
    }
    if (200..300).contains(&status)
        && let (Some(body), Some(schema)) = (request, op.pointer("/requestBody/content/application~1json/schema"))
    {
        check_against(&format!("the accepted request body of {what}"), &format!("{method} {template} request"), schema, body);
    }
}

/// Every `$ref` in the document points at a schema it holds, and every schema compiles: a
/// client generator given the document finds nothing missing.
#[test]
fn every_reference_in_the_document_resolves_and_every_schema_compiles() {
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    out.push(r);
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let doc = document();
    let mut found = Vec::new();
    refs(doc, &mut found);
    assert!(found.len() > 100, "only {} references: are the schemas inlined or missing?", found.len());
    for r in &found {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r}: not a reference inside the document"));
        assert!(doc.pointer(pointer).is_some(), "{r} points at nothing");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        validator(&format!("component {name}"), schema);
    }
    // Each operation has a documented success with a body schema, but for the two file routes.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let success = op["responses"].as_object().unwrap().iter().find(|(s, _)| s.starts_with('2'));
            let (status, response) = success.unwrap_or_else(|| panic!("{method} {path}: no success documented"));
            let json = response.pointer("/content/application~1json/schema").is_some();
            let file = response.pointer("/content/application~1octet-stream").is_some();
            assert!(json || file || path == "/api/v1/openapi.json", "{method} {path} {status}: no schema for the answer");
        }
    }
}

/// The operations the rest of the suite drives only with a raw client: organisations, and
/// files (sent and answered as bytes, as documented).
#[tokio::test]
async fn organisations_and_attachments_answer_as_documented() {
    let w = crate::world::World::new().await;
    let police = w.org("Comisaría de Tarapoto", "police_unit", "PE-22", None).await;
    let admin = w.account("admin@x.pe", &police, &["system_admin"]).await;
    let inv = w.account("inv@x.pe", &police, &["investigator"]).await;
    let org = w
        .ok(
            &admin,
            "POST",
            "/api/v1/organisations",
            json!({ "name": "Fiscalía de Moyobamba", "kind": "prosecutor_office", "jurisdiction": "PE-22" }),
            201,
        )
        .await;
    let path = format!("/api/v1/organisations/{}", org["id"].as_str().unwrap());
    let edit = json!({ "name": "Fiscalía Provincial de Moyobamba", "kind": "prosecutor_office", "jurisdiction": "PE-22", "version": org["version"] });
    assert_eq!(w.ok(&admin, "PUT", &path, edit, 200).await["name"], "Fiscalía Provincial de Moyobamba");

    let person = w.person(&inv, "Rosa", "Quispe").await;
    let case = w.case_with(&inv, &person).await;
    let upload = format!("/api/v1/cases/{}/attachments?filename=acta.pdf", case["id"].as_str().unwrap());
    let r = crate::helpers::client()
        .post(format!("{}{upload}", w.t.base))
        .bearer_auth(&inv.token)
        .header("content-type", "application/octet-stream")
        .body(b"%PDF-1.7 acta de intervencion".to_vec())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let info: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{info}");
    check("POST", &upload, None, status, &info);
    let download = format!("/api/v1/attachments/{}", info["id"].as_str().unwrap());
    let r = crate::helpers::client().get(format!("{}{download}", w.t.base)).bearer_auth(&inv.token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream", "the document says the file comes as bytes");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.7 acta de intervencion");
    let (documented, _) = operation("GET", &download).unwrap();
    assert_eq!(documented, "/api/v1/attachments/{id}");
}
