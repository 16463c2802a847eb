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
            "schemas": { "Error": error_schema() },
            "responses": { "Error": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } } }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
