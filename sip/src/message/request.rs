//! A SIP request (RFC 3261 §7.1).

use bytes::Bytes;

use super::error::ParseError;
use super::headers::{Headers, Text};
use super::method::Method;
use super::name::HeaderName;
use super::uri::{Scheme, Uri};

/// A request: method, Request-URI, headers, body.
#[derive(Clone, Debug)]
pub struct Request {
    pub(crate) method: Method,
    /// Request-URI text, validated whenever it is set.
    pub(crate) uri: Text,
    pub(crate) headers: Headers,
    pub(crate) body: Bytes,
}

impl Request {
    /// A request with no header and no body. The URI must be a valid
    /// Request-URI (no `<>`, no `?headers` for SIP URIs).
    pub fn new(method: Method, uri: &str) -> Result<Request, ParseError> {
        check_request_uri(uri)?;
        Ok(Request {
            method,
            uri: Text::Owned(uri.into()),
            headers: Headers::new(),
            body: Bytes::new(),
        })
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The Request-URI.
    pub fn uri(&self) -> Uri<'_> {
        let raw = self.uri.get(&self.headers.src);
        Uri::parse(raw).unwrap_or_else(|_| Uri::unchecked(raw))
    }

    /// Replaces the Request-URI (a B2BUA retargeting, RFC 3261 §16.5).
    pub fn set_uri(&mut self, uri: &str) -> Result<(), ParseError> {
        check_request_uri(uri)?;
        self.uri = Text::Owned(uri.into());
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

    /// Replaces the body and sets Content-Length to match, and
    /// Content-Type when given (removed when the body is empty).
    pub fn set_body(&mut self, body: Bytes, content_type: Option<&str>) -> Result<(), ParseError> {
        set_body(&mut self.headers, &mut self.body, body, content_type)
    }
}

/// Shared by requests and responses.
pub(crate) fn set_body(
    headers: &mut Headers,
    slot: &mut Bytes,
    body: Bytes,
    content_type: Option<&str>,
) -> Result<(), ParseError> {
    match content_type {
        Some(ct) => headers.set(HeaderName::CONTENT_TYPE, ct)?,
        None if body.is_empty() => {
            headers.remove(&HeaderName::CONTENT_TYPE);
        }
        None => {}
    }
    headers.set(HeaderName::CONTENT_LENGTH, &body.len().to_string())?;
    *slot = body;
    Ok(())
}

/// RFC 3261 §19.1.1 (table): `?headers` are not allowed in a Request-URI;
/// RFC 4475 §3.1.2.7/§3.1.2.11.
pub(crate) fn check_request_uri(uri: &str) -> Result<(), ParseError> {
    let u = Uri::parse(uri).map_err(|e| match e {
        ParseError::BadUri(w) => ParseError::BadRequestUri(w),
        other => other,
    })?;
    if matches!(u.scheme(), Scheme::Sip | Scheme::Sips) && u.headers().is_some() {
        return Err(ParseError::BadRequestUri("headers in a Request-URI"));
    }
    Ok(())
}
