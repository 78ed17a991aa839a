//! The app's only way to the server: GraphQL over HTTP (with the session cookie) and
//! the live subscription. Queries are plain strings next to the types they fill.

pub mod live;
pub mod ops;
pub mod types;

use serde::Deserialize;
use serde::de::DeserializeOwned;
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

pub async fn gql<T: DeserializeOwned>(query: &str, variables: Value) -> Result<T, ApiError> {
    let request = gloo_net::http::Request::post("/graphql")
        .json(&json!({ "query": query, "variables": variables }))
        .map_err(|e| ApiError::Decode(e.to_string()))?;
    read_envelope(request).await
}

/// A GraphQL multipart request (the upload spec) with one file at `variables.file`.
pub async fn gql_with_file<T: DeserializeOwned>(query: &str, file: &web_sys::File) -> Result<T, ApiError> {
    let form = web_sys::FormData::new().map_err(|_| ApiError::Decode("no FormData".to_owned()))?;
    let operations = json!({ "query": query, "variables": { "file": null } }).to_string();
    form.append_with_str("operations", &operations)
        .and_then(|()| form.append_with_str("map", r#"{"0":["variables.file"]}"#))
        .and_then(|()| form.append_with_blob_and_filename("0", file, &file.name()))
        .map_err(|_| ApiError::Decode("the file could not be attached".to_owned()))?;
    let request = gloo_net::http::Request::post("/graphql")
        .body(form)
        .map_err(|e| ApiError::Decode(e.to_string()))?;
    read_envelope(request).await
}

/// A GraphQL multipart request with several files, each at its variable path.
pub async fn gql_with_files<T: DeserializeOwned>(
    query: &str,
    variables: Value,
    paths: &[String],
    files: &[web_sys::File],
) -> Result<T, ApiError> {
    let form = web_sys::FormData::new().map_err(|_| ApiError::Decode("no FormData".to_owned()))?;
    let operations = json!({ "query": query, "variables": variables }).to_string();
    let map: serde_json::Map<String, Value> = paths
        .iter()
        .enumerate()
        .map(|(index, path)| (index.to_string(), json!([path])))
        .collect();
    form.append_with_str("operations", &operations)
        .and_then(|()| form.append_with_str("map", &Value::Object(map).to_string()))
        .map_err(|_| ApiError::Decode("the request could not be built".to_owned()))?;
    for (index, file) in files.iter().enumerate() {
        form.append_with_blob_and_filename(&index.to_string(), file, &file.name())
            .map_err(|_| ApiError::Decode("a file could not be attached".to_owned()))?;
    }
    let request = gloo_net::http::Request::post("/graphql")
        .body(form)
        .map_err(|e| ApiError::Decode(e.to_string()))?;
    read_envelope(request).await
}

async fn read_envelope<T: DeserializeOwned>(request: gloo_net::http::Request) -> Result<T, ApiError> {
    let response = request.send().await.map_err(|e| ApiError::Network(e.to_string()))?;
    let envelope: Envelope<T> = response.json().await.map_err(|e| ApiError::Decode(e.to_string()))?;
    if let Some(error) = envelope.errors.into_iter().next() {
        return Err(error.into());
    }
    envelope.data.ok_or_else(|| ApiError::Decode("no data".to_owned()))
}
