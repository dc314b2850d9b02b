//! A SIP response (RFC 3261 §7.2).

use bytes::Bytes;

use super::error::ParseError;
use super::headers::{Headers, Text};
use super::status::StatusCode;

/// A response: status, reason phrase, headers, body.
#[derive(Clone, Debug)]
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) reason: Text,
    pub(crate) headers: Headers,
    pub(crate) body: Bytes,
}

impl Response {
    /// A response with the canonical reason phrase, no header, no body.
    pub fn new(status: StatusCode) -> Response {
        Response {
            status,
            reason: Text::Owned(status.canonical_reason().into()),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason phrase (may be empty, RFC 4475 §3.1.1.13).
    pub fn reason(&self) -> &str {
        self.reason.get(&self.headers.src)
    }

    /// Replaces the reason phrase; it may not hold CR or LF.
    pub fn set_reason(&mut self, reason: &str) -> Result<(), ParseError> {
        if reason.contains(['\r', '\n']) {
            return Err(ParseError::InvalidHeaderValue);
        }
        self.reason = Text::Owned(reason.into());
        Ok(())
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The header fields, to change.
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Replaces the body and sets Content-Length (and Content-Type when given).
    pub fn set_body(&mut self, body: Bytes, content_type: Option<&str>) -> Result<(), ParseError> {
        super::request::set_body(&mut self.headers, &mut self.body, body, content_type)
    }
}
