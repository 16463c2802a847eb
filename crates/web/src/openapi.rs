//! The OpenAPI 3.1 document, generated from the route catalogue so it cannot drift from the
//! router. Written by hand rather than with utoipa: the catalogue already lists every route,
//! and one source of truth beats two.

use crate::routes::{RouteKind, catalogue};
use axum::Json;
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
/// referrals received beside referrals sent. (path, parameters, response schema.)
fn boxed(path: &str) -> Option<(Vec<Value>, Value)> {
    let text = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } });
    let limit = page_params(&[]).into_iter().next().unwrap_or(Value::Null);
    let list = json!({ "type": "array", "items": { "type": "object" } });
    let cursor = |d: &str| json!({ "type": ["string", "null"], "description": d });
    match path {
        "/api/v1/reports" => Some((
            vec![
                limit,
                text("cursor", "The queue's next_cursor"),
                text("status", "new, acknowledged, actioned (default: all three), routed or closed"),
            ],
            json!({ "type": "object", "required": ["queue", "sent", "next_cursor"], "properties": {
                "queue": list, "sent": list, "next_cursor": cursor("Pass as ?cursor= for the queue's next page") } }),
        )),
        "/api/v1/referrals" => Some((
            vec![
                limit,
                text("incoming_cursor", "Page the received box (only boxes given a cursor are read)"),
                text("outgoing_cursor", "Page the sent box"),
                text("status", "A referral status"),
                text("region", "An area code"),
                text("from", "YYYY-MM-DD"),
                text("to", "YYYY-MM-DD"),
            ],
            json!({ "type": "object", "required": ["incoming", "outgoing", "incoming_cursor", "outgoing_cursor"], "properties": {
                "incoming": list, "outgoing": list,
                "incoming_cursor": cursor("Pass as ?incoming_cursor= for the next received page"),
                "outgoing_cursor": cursor("Pass as ?outgoing_cursor= for the next sent page") } }),
        )),
        _ => None,
    }
}

fn page_params(filters: &[&str]) -> Vec<Value> {
    let mut out = vec![
        json!({ "name": "limit", "in": "query", "required": false, "description": "Rows per page, 1 to 200 (default 50); anything else is 422 invalid_limit", "schema": { "type": "integer", "minimum": 1, "maximum": 200 } }),
        json!({ "name": "cursor", "in": "query", "required": false, "description": "The next_cursor of the previous page, as given to this caller for this list; anything else is 422 invalid_cursor", "schema": { "type": "string" } }),
    ];
    out.extend(filters.iter().map(|f| json!({ "name": f, "in": "query", "required": false, "schema": { "type": "string" } })));
    out
}

fn page_schema() -> Value {
    json!({
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": { "type": "array", "items": { "type": "object" } },
            "next_cursor": { "type": ["string", "null"], "description": "Pass as ?cursor= for the next page; null on the last page" }
        }
    })
}

pub fn build() -> Value {
    let (_, specs) = catalogue();
    let mut paths: Map<String, Value> = Map::new();
    for s in specs.iter().filter(|s| s.path.starts_with("/api/")) {
        let entry = paths.entry(s.path.to_owned()).or_insert_with(|| json!({}));
        let params: Vec<Value> = s
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let mut op = json!({
            "summary": s.summary,
            "operationId": format!("{}_{}", s.method.to_lowercase(), s.path.trim_start_matches("/api/v1/").replace(['/', '{', '}', '.'], "_")),
            "parameters": params,
            "responses": {
                "200": { "description": "Success", "content": { "application/json": {} } },
                "401": { "$ref": "#/components/responses/Error" },
                "403": { "$ref": "#/components/responses/Error" },
                "404": { "$ref": "#/components/responses/Error" },
                "409": { "$ref": "#/components/responses/Error" },
                "422": { "$ref": "#/components/responses/Error" }
            }
        });
        let paged = PAGED.iter().find(|(p, _)| *p == s.path && s.method == "GET");
        if let (Some((_, filters)), Some(o)) = (paged, op.as_object_mut()) {
            o.insert("parameters".into(), Value::Array(page_params(filters)));
            o.insert("responses".into(), json!({
                "200": { "description": "One page", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } } },
                "401": { "$ref": "#/components/responses/Error" },
                "403": { "$ref": "#/components/responses/Error" },
                "422": { "$ref": "#/components/responses/Error" }
            }));
        }
        if let (Some((params, schema)), Some(o), "GET") = (boxed(s.path), op.as_object_mut(), s.method) {
            o.insert("parameters".into(), Value::Array(params));
            o.insert(
                "responses".into(),
                json!({
                    "200": { "description": "A page of each box", "content": { "application/json": { "schema": schema } } },
                    "401": { "$ref": "#/components/responses/Error" },
                    "403": { "$ref": "#/components/responses/Error" },
                    "422": { "$ref": "#/components/responses/Error" }
                }),
            );
        }
        if let Some(o) = op.as_object_mut() {
            if s.kind == RouteKind::Api {
                o.insert("security".into(), json!([{ "bearer": [] }]));
            }
            if matches!(s.method, "POST" | "PUT") {
                o.insert(
                    "requestBody".into(),
                    json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } }),
                );
            }
        }
        if let Some(obj) = entry.as_object_mut() {
            obj.insert(s.method.to_lowercase(), op);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Amparo API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Case management, referral and statistics against human trafficking. Bearer tokens come from `amparo token create`." },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": { "Error": error_schema(), "Page": page_schema() },
            "responses": { "Error": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } } }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
