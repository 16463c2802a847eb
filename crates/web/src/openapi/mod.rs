//! The OpenAPI 3.1 document, generated from the route catalogue so it cannot drift from the
//! router. Every API route's body, query and reply schemas come from its handler's own types
//! (`describe`), written out by schemars from the serde derives, so a client generated from
//! the document reads and writes what the server does. utoipa or aide would want each route
//! declared a second time, beside the catalogue; one source of truth beats two.

pub mod describe;

use crate::routes::{RouteKind, catalogue};
use axum::Json;
use describe::{BodyDoc, Generators, OperationDoc, ReplyDoc};
use serde_json::{Map, Value, json};

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["code", "message", "operation_id"],
        "properties": {
            "code": { "type": "string", "description": "Stable machine-readable error code" },
            "message": { "type": "string", "description": "Safe human-readable message" },
            "operation_id": { "type": "string", "description": "Quote this to support; it is in the server log" },
            "fields": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "code": { "type": "string" } } } },
            "current": { "description": "On 409, the record as currently stored" }
        }
    })
}

/// The paged lists: `?limit=&cursor=` (and the filters named), answered with an envelope
/// `{items, next_cursor}`.
const PAGED: [(&str, &[&str]); 13] = [
    ("/api/v1/persons", &["status", "from", "to"]),
    ("/api/v1/cases", &["status", "region", "from", "to"]),
    ("/api/v1/alerts", &["status", "from", "to"]),
    ("/api/v1/referral-gap", &["days"]),
    ("/api/v1/services", &["kind", "region"]),
    ("/api/v1/prevention", &["region", "from", "to"]),
    ("/api/v1/organisations", &[]),
    ("/api/v1/users", &[]),
    ("/api/v1/screening-instruments", &[]),
    ("/api/v1/statutes", &[]),
    ("/api/v1/countries", &[]),
    ("/api/v1/areas", &["country", "parent"]),
    ("/api/v1/matches", &[]),
];

/// Lists answered in two boxes, each paged: the reports queue beside what was sent on, and
/// referrals received beside referrals sent. Their parameters, described for people.
fn boxed(path: &str) -> Option<Vec<Value>> {
    let text = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } });
    let limit = page_params(&[]).into_iter().next().unwrap_or(Value::Null);
    match path {
        "/api/v1/reports" => Some(vec![
            limit,
            text("cursor", "The queue's next_cursor"),
            text("status", "new, acknowledged, actioned (default: all three), routed or closed"),
        ]),
        "/api/v1/referrals" => Some(vec![
            limit,
            text("incoming_cursor", "Page the received box (only boxes given a cursor are read)"),
            text("outgoing_cursor", "Page the sent box"),
            text("status", "A referral status"),
            text("region", "An area code"),
            text("from", "YYYY-MM-DD"),
            text("to", "YYYY-MM-DD"),
        ]),
        _ => None,
    }
}

fn page_params(filters: &[&str]) -> Vec<Value> {
    let mut out = vec![
        json!({ "name": "limit", "in": "query", "required": false, "description": "Rows per page, 1 to 200 (default 50); anything else is 422 invalid_limit", "schema": { "type": "integer", "minimum": 1, "maximum": 200 } }),
        json!({ "name": "cursor", "in": "query", "required": false, "description": "The next_cursor of the previous page, as given to this caller for this list; anything else is 422 invalid_cursor", "schema": { "type": "string" } }),
    ];
    out.extend(filters.iter().map(|f| {
        let schema = match *f {
            // Empty is "not given", as a form sends it.
            "from" | "to" => json!({ "type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", "description": "YYYY-MM-DD" }),
            "region" => json!({ "type": "string", "description": "An area code (a region and everything inside it)" }),
            _ => json!({ "type": "string" }),
        };
        json!({ "name": f, "in": "query", "required": false, "schema": schema })
    }));
    out
}

/// The error answers every API operation may give, all with the `Error` body.
const ERRORS: [(&str, &str); 10] = [
    ("400", "Malformed request (bad JSON or query)"),
    ("401", "No valid bearer token"),
    ("403", "The caller's role or scope does not allow it"),
    ("404", "No such record, or not one the caller may know of"),
    ("409", "The record changed since the version given (`current` holds it), or a retried Idempotency-Key is still running"),
    ("422", "A field is invalid (`fields` says which and why)"),
    ("429", "Too many requests; try again after Retry-After"),
    ("500", "An internal error; quote operation_id"),
    ("503", "The database or the search index is not available yet"),
    ("507", "The server's disk is full; nothing was saved"),
];

fn operation_id(method: &str, path: &str) -> String {
    format!("{}_{}", method.to_lowercase(), path.trim_start_matches("/api/v1/").replace(['/', '{', '}', '.', '-'], "_"))
}

fn responses(status: u16, reply: Option<&ReplyDoc>, has_body: bool) -> Value {
    let content = match reply {
        Some(ReplyDoc::Json(schema)) => json!({ "application/json": { "schema": schema } }),
        Some(ReplyDoc::Binary) => json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } }),
        None => json!({ "application/json": {} }),
    };
    let description = match status {
        201 => "Created",
        202 => "Accepted",
        _ => "Success",
    };
    let mut out = Map::new();
    out.insert(status.to_string(), json!({ "description": description, "content": content }));
    let error =
        |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    for (code, d) in ERRORS {
        out.insert(code.into(), error(d));
    }
    if has_body {
        out.insert("413".into(), error("The body is larger than allowed"));
        out.insert("415".into(), error("The body is not of the content type described"));
    }
    Value::Object(out)
}

pub fn build() -> Value {
    let (_, specs) = catalogue();
    let mut gens = Generators::new();
    let mut paths: Map<String, Value> = Map::new();
    for s in specs.iter().filter(|s| s.path.starts_with("/api/")) {
        let mut doc = OperationDoc::default();
        if let Some(describe) = s.describe {
            describe(&mut doc, &mut gens);
        }
        let mut params: Vec<Value> = s
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        // Paged lists and the two-box lists have their parameters written for people (one
        // query type serves several lists, each reading some of its filters).
        let paged = PAGED.iter().find(|(p, _)| *p == s.path && s.method == "GET");
        match (paged, boxed(s.path)) {
            (Some((_, filters)), _) => params.extend(page_params(filters)),
            (None, Some(boxes)) if s.method == "GET" => params.extend(boxes),
            _ => params
                .extend(doc.query.iter().map(|q| json!({ "name": q.name, "in": "query", "required": q.required, "schema": q.schema }))),
        }
        if s.method == "POST" && s.kind == RouteKind::Api {
            params.push(json!({ "name": "Idempotency-Key", "in": "header", "required": false,
                "description": "Makes a retry safe: the same key and body within 24 hours replays the first answer (with Idempotent-Replayed: true)",
                "schema": { "type": "string", "maxLength": 200 } }));
        }
        let (status, reply) = match &doc.reply {
            Some((status, reply)) => (*status, Some(reply)),
            None => (200, None),
        };
        let mut op = Map::new();
        op.insert("summary".into(), json!(s.summary));
        op.insert("operationId".into(), json!(operation_id(s.method, s.path)));
        op.insert("parameters".into(), Value::Array(params));
        op.insert("responses".into(), responses(status, reply, doc.body.is_some()));
        if s.kind == RouteKind::Api {
            op.insert("security".into(), json!([{ "bearer": [] }]));
        }
        match &doc.body {
            Some(BodyDoc::Json(schema)) => {
                op.insert("requestBody".into(), json!({ "required": true, "content": { "application/json": { "schema": schema } } }));
            }
            Some(BodyDoc::Binary) => {
                op.insert(
                    "requestBody".into(),
                    json!({ "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } }),
                );
            }
            None => {}
        }
        if let Some(obj) = paths.entry(s.path.to_owned()).or_insert_with(|| json!({})).as_object_mut() {
            obj.insert(s.method.to_lowercase(), Value::Object(op));
        }
    }
    let mut schemas = merge_definitions(&mut gens, &mut paths);
    schemas.insert("Error".into(), error_schema());
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Amparo API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Case management, referral and statistics against human trafficking. Bearer tokens come from `amparo token create`. Lists are paged: `?limit=&cursor=`, answered with `{items, next_cursor}`." },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas
        }
    })
}

/// One `components/schemas` from both generators. A type described both as read and as
/// written keeps its name for the reply; where the request form differs (defaulted fields are
/// optional there), it becomes `<Name>Request`, and the request schemas' references follow.
fn merge_definitions(gens: &mut Generators, paths: &mut Map<String, Value>) -> Map<String, Value> {
    let mut schemas = gens.replies.take_definitions(true);
    let requests = gens.requests.take_definitions(true);
    // Differs from the reply's schema of that name, or refers (at any depth) to one that does.
    let mut renamed: Vec<String> =
        requests.iter().filter(|(name, schema)| schemas.get(*name).is_some_and(|s| s != *schema)).map(|(name, _)| name.clone()).collect();
    loop {
        let more: Vec<String> = requests
            .iter()
            .filter(|(name, schema)| {
                !renamed.contains(name)
                    && schemas.contains_key(*name)
                    && renamed.iter().any(|r| refers_to(schema, &format!("#/components/schemas/{r}")))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        renamed.extend(more);
    }
    let rename = |v: &mut Value| {
        for name in &renamed {
            rewrite_ref(v, &format!("#/components/schemas/{name}"), &format!("#/components/schemas/{name}Request"));
        }
    };
    for (name, mut schema) in requests {
        rename(&mut schema);
        let key = if renamed.contains(&name) { format!("{name}Request") } else { name };
        schemas.insert(key, schema);
    }
    // Request bodies and query parameters referred to the request generator's names.
    for item in paths.values_mut() {
        for (_, op) in item.as_object_mut().into_iter().flatten() {
            if let Some(body) = op.get_mut("requestBody") {
                rename(body);
            }
        }
    }
    schemas
}

fn refers_to(v: &Value, target: &str) -> bool {
    match v {
        Value::Object(map) => map.get("$ref").and_then(Value::as_str) == Some(target) || map.values().any(|x| refers_to(x, target)),
        Value::Array(items) => items.iter().any(|x| refers_to(x, target)),
        _ => false,
    }
}

fn rewrite_ref(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::Object(map) => {
            if map.get("$ref").and_then(Value::as_str) == Some(from) {
                map.insert("$ref".into(), json!(to));
            }
            map.values_mut().for_each(|x| rewrite_ref(x, from, to));
        }
        Value::Array(items) => items.iter_mut().for_each(|x| rewrite_ref(x, from, to)),
        _ => {}
    }
}

pub async fn document() -> Json<Value> {
    Json(build())
}
