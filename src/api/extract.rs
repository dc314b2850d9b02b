//! Request extractors: JSON bodies and query strings that answer with
//! [`ApiError`] (the field named) instead of axum's plain-text rejections.
//!
//! Request types carry `#[serde(deny_unknown_fields)]`, so a misspelled
//! field is a 400 naming it rather than a silent default.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

/// A JSON body: `Content-Type: application/json` (else 415), within
/// `api.max_body_bytes` (else 413), every field known and well-typed (else
/// 400 naming the field).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType("application/json"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::MalformedJson("the body could not be read".into())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON document into `T`, naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if !inner.is_data() {
            return ApiError::MalformedJson(strip_position(&inner.to_string()));
        }
        field_error(&path, &strip_position(&inner.to_string()))
    })?;
    de.end()
        .map_err(|e| ApiError::MalformedJson(strip_position(&e.to_string())))?;
    Ok(value)
}

/// A query string into `T` (also `deny_unknown_fields`), 400 naming the
/// field on failure.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::try_from_uri(&parts.uri) {
            Ok(q) => Ok(ApiQuery(q.0)),
            Err(r) => {
                let text = r.body_text();
                let message = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                Err(field_error("", message))
            }
        }
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime.eq_ignore_ascii_case("application/json")
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
}

/// "unknown field `x`" and "missing field `x`" name the field inside the
/// message (serde's path stops at its parent); other errors are at `path`.
fn field_error(path: &str, message: &str) -> ApiError {
    let path = if path == "." { "" } else { path };
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|p| message.find(p).map(|at| &message[at + p.len()..]))
        .and_then(|rest| rest.split('`').next());
    // The path already ends in an unknown field's name, not in a missing one's.
    let field = match named {
        Some(name) if path.is_empty() => name.to_string(),
        Some(name) if path == name || path.ends_with(&format!(".{name}")) => path.to_string(),
        Some(name) => format!("{path}.{name}"),
        None => path.to_string(),
    };
    ApiError::Invalid {
        field: (!field.is_empty()).then_some(field),
        message: message.to_string(),
    }
}

/// serde_json's messages end in " at line L column C": noise for a client.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        limit: Option<u32>,
    }

    fn field(r: Result<Login, ApiError>) -> Option<String> {
        match r.unwrap_err() {
            ApiError::Invalid { field, .. } => field,
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            field(parse_json(br#"{"email":"a","emial":"b"}"#)).as_deref(),
            Some("emial")
        );
        assert_eq!(field(parse_json(br#"{}"#)).as_deref(), Some("email"));
        assert_eq!(
            field(parse_json(br#"{"email":"a","limit":"x"}"#)).as_deref(),
            Some("limit")
        );
    }

    #[test]
    fn broken_json_is_malformed() {
        assert!(matches!(
            parse_json::<Login>(b"{\"email\":"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_json::<Login>(br#"{"email":"a"} x"#),
            Err(ApiError::MalformedJson(_))
        ));
    }
}
