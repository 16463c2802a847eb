//! What an API handler's own types say about its operation: the JSON body it reads, the query
//! it parses and the reply it gives, with its status. The route catalogue asks every API
//! handler for this (`Builder::api`), so the OpenAPI document is derived from the very types
//! the handler compiles against: change a handler's body or reply type and the document
//! changes with it.
//!
//! The traits are implemented for the extractors and replies the API uses; a handler with an
//! argument they do not know does not compile into the catalogue, which is the point.

use crate::WebError;
use crate::extract::{ApiCaller, ApiJson};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde::Serialize;
use serde_json::Value;
use std::future::Future;

/// A reply with its status in its type, so the document knows it: `Reply<T>` is 200,
/// `Reply<T, 201>` a creation, `Reply<T, 202>` an accepted request.
pub struct Reply<T, const STATUS: u16 = 200>(pub T);

impl<T: Serialize, const STATUS: u16> IntoResponse for Reply<T, STATUS> {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(STATUS).unwrap_or(StatusCode::OK);
        match serde_json::to_vec(&self.0) {
            Ok(body) => (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response(),
            // axum's own `Json` would send the serializer's message as text; this is the
            // error shape, the cause only in the log.
            Err(e) => WebError::Api { err: amparo_core::CoreError::internal(e), op: String::new() }.into_response(),
        }
    }
}

/// The request body an operation reads.
pub enum BodyDoc {
    /// JSON of this schema.
    Json(Value),
    /// The raw bytes of a file.
    Binary,
}

/// The reply's content.
pub enum ReplyDoc {
    Json(Value),
    /// A file download (`Content-Disposition: attachment`).
    Binary,
}

/// A query parameter: name, schema, required.
pub struct QueryParam {
    pub name: String,
    pub schema: Value,
    pub required: bool,
}

/// What one operation's types contribute to its entry in the document.
#[derive(Default)]
pub struct OperationDoc {
    pub body: Option<BodyDoc>,
    pub query: Vec<QueryParam>,
    pub reply: Option<(u16, ReplyDoc)>,
}

/// Requests are described as they are read (a defaulted field is optional) and replies as
/// they are written (every field is there), so each has its own generator; `openapi::build`
/// merges their definitions into `components/schemas`.
pub struct Generators {
    pub requests: SchemaGenerator,
    pub replies: SchemaGenerator,
}

impl Generators {
    pub fn new() -> Self {
        let settings = || {
            SchemaSettings::draft2020_12().with(|s| {
                s.definitions_path = "/components/schemas".into();
                s.meta_schema = None;
            })
        };
        Generators { requests: settings().for_deserialize().into_generator(), replies: settings().for_serialize().into_generator() }
    }
}

impl Default for Generators {
    fn default() -> Self {
        Self::new()
    }
}

/// An argument of a handler: what it adds to the operation (nothing, for most).
pub trait DescribeArg {
    fn describe(_op: &mut OperationDoc, _gens: &mut Generators) {}
}

impl<S> DescribeArg for State<S> {}
impl DescribeArg for ApiCaller {}
// Path parameters are named by the route's path itself.
impl<T> DescribeArg for Path<T> {}

impl<T: JsonSchema> DescribeArg for ApiJson<T> {
    fn describe(op: &mut OperationDoc, gens: &mut Generators) {
        op.body = Some(BodyDoc::Json(gens.requests.subschema_for::<T>().to_value()));
    }
}

impl DescribeArg for axum::body::Bytes {
    fn describe(op: &mut OperationDoc, _gens: &mut Generators) {
        op.body = Some(BodyDoc::Binary);
    }
}

impl<T: JsonSchema> DescribeArg for Query<T> {
    fn describe(op: &mut OperationDoc, _gens: &mut Generators) {
        op.query = query_params::<T>();
    }
}

impl<T: JsonSchema> DescribeArg for Result<Query<T>, axum::extract::rejection::QueryRejection> {
    fn describe(op: &mut OperationDoc, gens: &mut Generators) {
        <Query<T> as DescribeArg>::describe(op, gens);
    }
}

/// A query struct's fields, one parameter each (a flattened struct's fields included).
fn query_params<T: JsonSchema>() -> Vec<QueryParam> {
    let inline = SchemaSettings::draft2020_12().with(|s| {
        s.inline_subschemas = true;
        s.meta_schema = None;
    });
    let root: Schema = inline.for_deserialize().into_generator().into_root_schema_for::<T>();
    let required: Vec<String> = root
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    root.get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, schema)| QueryParam { name: name.clone(), schema: schema.clone(), required: required.contains(name) })
                .collect()
        })
        .unwrap_or_default()
}

/// What a handler's output adds: its status and content.
pub trait DescribeReply {
    fn describe(op: &mut OperationDoc, gens: &mut Generators);
}

impl<T: JsonSchema, const STATUS: u16> DescribeReply for Reply<T, STATUS> {
    fn describe(op: &mut OperationDoc, gens: &mut Generators) {
        op.reply = Some((STATUS, ReplyDoc::Json(gens.replies.subschema_for::<T>().to_value())));
    }
}

/// A raw response: the API gives one only for file downloads.
impl DescribeReply for Response {
    fn describe(op: &mut OperationDoc, _gens: &mut Generators) {
        op.reply = Some((200, ReplyDoc::Binary));
    }
}

/// Errors are described once, for every operation, by `openapi::build`.
impl<R: DescribeReply> DescribeReply for Result<R, WebError> {
    fn describe(op: &mut OperationDoc, gens: &mut Generators) {
        R::describe(op, gens);
    }
}

/// A whole handler: its arguments, then its reply. `M` only keeps the impls for different
/// arities apart, as axum's own `Handler` does.
pub trait DescribeHandler<M> {
    fn describe(op: &mut OperationDoc, gens: &mut Generators);
}

/// How the catalogue keeps a handler's description: a plain function, called when the
/// document is built.
pub type DescribeFn = fn(&mut OperationDoc, &mut Generators);

macro_rules! describe_handler {
    ($($arg:ident),*) => {
        impl<F, Fut, R, $($arg,)*> DescribeHandler<(R, $($arg,)*)> for F
        where
            F: FnOnce($($arg),*) -> Fut,
            Fut: Future<Output = R>,
            R: DescribeReply,
            $($arg: DescribeArg,)*
        {
            fn describe(op: &mut OperationDoc, gens: &mut Generators) {
                $(<$arg as DescribeArg>::describe(op, gens);)*
                R::describe(op, gens);
            }
        }
    };
}

describe_handler!();
describe_handler!(A1);
describe_handler!(A1, A2);
describe_handler!(A1, A2, A3);
describe_handler!(A1, A2, A3, A4);
describe_handler!(A1, A2, A3, A4, A5);
describe_handler!(A1, A2, A3, A4, A5, A6);
