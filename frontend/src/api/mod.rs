//! The app's only way to the server: GraphQL over HTTP (with the session cookie) and
//! the live subscription. Every operation is a generated type (`generated`, from
//! `queries/*.graphql`); `run` sends one and decodes its answer.

pub mod generated;
pub mod live;
pub mod reads;

use futures::future::LocalBoxFuture;
use graphql_client::{GraphQLQuery, QueryBody};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use talentpost_shared::ErrorCode;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Server {
        code: ErrorCode,
        message: String,
        field: Option<String>,
    },
    #[error("the server cannot be reached: {0}")]
    Network(String),
    #[error("the server sent an unexpected answer: {0}")]
    Decode(String),
}

impl ApiError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Server { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Server { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<WireError>,
}

#[derive(Deserialize)]
struct WireError {
    message: String,
    #[serde(default)]
    extensions: Option<Value>,
}

impl From<WireError> for ApiError {
    fn from(error: WireError) -> Self {
        let extensions = error.extensions.unwrap_or(Value::Null);
        let code = extensions["code"]
            .as_str()
            .and_then(ErrorCode::parse)
            .unwrap_or(ErrorCode::Internal);
        let field = extensions["field"].as_str().map(str::to_owned);
        Self::Server {
            code,
            message: error.message,
            field,
        }
    }
}

/// Sends one operation and returns its data, or the first error the server reported.
///
/// Only encoding the variables and decoding the data depend on the operation; the
/// request itself is one function for all, so the app carries its code once rather
/// than once per operation (about a hundred).
pub async fn run<Q: GraphQLQuery>(variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    let body = Q::build_query(variables);
    let operation = body.operation_name;
    decode(operation, post(encode(body)?).await?)
}

// `encode` and `decode` are kept out of line: inlined, each operation's (de)serialising
// code would be copied into every page future that runs it.
#[inline(never)]
fn encode<V: Serialize>(body: QueryBody<V>) -> Result<Value, ApiError> {
    serde_json::to_value(body).map_err(|e| ApiError::Decode(e.to_string()))
}

/// Boxed, so that its state machine is compiled once and not into every operation's.
fn post(body: Value) -> LocalBoxFuture<'static, Result<Value, ApiError>> {
    Box::pin(async move {
        let request = gloo_net::http::Request::post("/graphql")
            .json(&body)
            .map_err(|e| ApiError::Decode(e.to_string()))?;
        read_envelope(request).await
    })
}

/// Sends one operation as a multipart request (the GraphQL upload spec): each file is
/// attached at its variable path (e.g. `variables.file`), where the variables hold `null`.
pub async fn run_with_files<Q: GraphQLQuery>(
    variables: Q::Variables,
    files: &[(String, web_sys::File)],
) -> Result<Q::ResponseData, ApiError> {
    let body = Q::build_query(variables);
    let operation = body.operation_name;
    let body = serde_json::to_string(&body).map_err(|e| ApiError::Decode(e.to_string()))?;
    decode(operation, send_multipart(body, files).await?)
}

#[inline(never)]
fn decode<T: DeserializeOwned>(operation: &str, data: Value) -> Result<T, ApiError> {
    serde_json::from_value(data).map_err(|e| ApiError::Decode(format!("{operation}: {e}")))
}

async fn send_multipart(operations: String, files: &[(String, web_sys::File)]) -> Result<Value, ApiError> {
    let form = web_sys::FormData::new().map_err(|_| ApiError::Decode("no FormData".to_owned()))?;
    let map: serde_json::Map<String, Value> = files
        .iter()
        .enumerate()
        .map(|(index, (path, _))| (index.to_string(), json!([path])))
        .collect();
    form.append_with_str("operations", &operations)
        .and_then(|()| form.append_with_str("map", &Value::Object(map).to_string()))
        .map_err(|_| ApiError::Decode("the request could not be built".to_owned()))?;
    for (index, (_, file)) in files.iter().enumerate() {
        form.append_with_blob_and_filename(&index.to_string(), file, &file.name())
            .map_err(|_| ApiError::Decode("a file could not be attached".to_owned()))?;
    }
    let request = gloo_net::http::Request::post("/graphql")
        .body(form)
        .map_err(|e| ApiError::Decode(e.to_string()))?;
    read_envelope(request).await
}

/// The answer's `data`, or its first error.
async fn read_envelope(request: gloo_net::http::Request) -> Result<Value, ApiError> {
    let response = request.send().await.map_err(|e| ApiError::Network(e.to_string()))?;
    let envelope: Envelope<Value> = response.json().await.map_err(|e| ApiError::Decode(e.to_string()))?;
    if let Some(error) = envelope.errors.into_iter().next() {
        return Err(error.into());
    }
    envelope.data.ok_or_else(|| ApiError::Decode("no data".to_owned()))
}
