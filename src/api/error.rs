//! The API's one error type and its one mapping to HTTP.
//!
//! Every failure answers `{"error": {"code", "message", "field"}}` with the
//! status of its variant. Internal errors are logged here and answered with
//! a generic message: no SQL, path or secret reaches a client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dce_marketplace::store::StoreError;
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field is missing, malformed or out of range (400); `field` names it.
    #[error("{message}")]
    Invalid {
        /// The field's path in the request (`email`, `items[2].name`), if one.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The body is not JSON at all (400).
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// No credentials, or credentials that do not check out (401).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Wrong email or password; the same for an unknown email (401).
    #[error("invalid email or password")]
    BadCredentials,
    /// Authenticated, but the role may not use this endpoint (403).
    #[error("this endpoint needs the admin role")]
    Forbidden,
    /// No such object, or another tenant's (404): never says which.
    #[error("not found")]
    NotFound,
    /// The method is not one this path answers (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The change conflicts with what exists, e.g. a unique field (409).
    #[error("{message}")]
    Conflict {
        /// The conflicting field, if one.
        field: Option<String>,
        /// What conflicts.
        message: String,
    },
    /// The buyer's balance or budget does not cover this (402).
    #[error("{0}")]
    OverBudget(String),
    /// The body is larger than `api.max_body_bytes` (413).
    #[error("request body too large")]
    TooLarge,
    /// The body is not of the type the endpoint takes, named here (415).
    #[error("expected Content-Type: {0}")]
    UnsupportedMediaType(&'static str),
    /// Over the caller's request rate (429); retry after the delay.
    #[error("too many requests")]
    RateLimited {
        /// When a retry can succeed.
        retry_after: Duration,
    },
    /// A failure inside DCE (500): logged, never shown; a retry may help.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The failure.
    pub error: ErrorDetail,
}

/// One failure: a stable code to match on, a message for people, the field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid`, `malformed_json`,
    /// `unauthenticated`, `forbidden`, `not_found`, `method_not_allowed`,
    /// `conflict`, `over_budget`, `payload_too_large`,
    /// `unsupported_media_type`, `rate_limited`, `internal`.
    #[schema(example = "invalid")]
    pub code: &'static str,
    /// For people; may change between versions.
    pub message: String,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
}

impl ApiError {
    /// A 400 naming `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    /// A 409 naming `field`.
    pub fn conflict(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    /// A 500 from any error (logged when answered).
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ApiError {
        ApiError::Internal(e.into())
    }

    /// Maps a unique-constraint violation to a 409 naming `field`; any
    /// other database error stays a 500.
    pub fn unique(field: &'static str, message: &'static str) -> impl Fn(sqlx::Error) -> ApiError {
        move |e| {
            if is_unique_violation(&e) {
                ApiError::conflict(field, message)
            } else {
                ApiError::internal(e)
            }
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } | ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::OverBudget(_) => StatusCode::PAYMENT_REQUIRED,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code in the body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid { .. } => "invalid",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::Unauthenticated(_) | ApiError::BadCredentials => "unauthenticated",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict { .. } => "conflict",
            ApiError::OverBudget(_) => "over_budget",
            ApiError::TooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Internal(_) => "internal",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::Invalid { field, .. } | ApiError::Conflict { field, .. } => field.clone(),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = %e, "api request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field: self.field(),
            },
        };
        let mut response = (self.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthenticated(_) | ApiError::BadCredentials => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::RateLimited { retry_after } => {
                // Whole seconds, rounded up: a client that waits this long succeeds.
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
            }
            _ => {}
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::internal(e)
    }
}

/// Whether a database error is a unique-constraint violation (on either
/// database).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation()
                // The Any driver does not always carry the kind through.
                || d.code().is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
                || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}
