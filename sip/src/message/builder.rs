//! Building responses from requests, and the edits a UAS or B2BUA makes.

use super::error::ParseError;
use super::headers::{Headers, Text};
use super::lex::is_token;
use super::name::HeaderName;
use super::name_addr;
use super::request::Request;
use super::response::Response;
use super::status::StatusCode;

/// A response whose Via, From, To, Call-ID and CSeq are copied from
/// `req_headers` (RFC 3261 §8.2.6.2), with `Content-Length: 0`.
pub(crate) fn answer_from(req_headers: &Headers, status: StatusCode, reason: &str) -> Response {
    let mut r = Response::new(status);
    if r.set_reason(reason).is_err() {
        r.reason = Text::Owned(status.canonical_reason().into());
    }
    r.headers = Headers::sharing(req_headers);
    let h = &mut r.headers;
    for name in [
        HeaderName::VIA,
        HeaderName::FROM,
        HeaderName::TO,
        HeaderName::CALL_ID,
        HeaderName::CSEQ,
    ] {
        h.copy_from(req_headers, &name);
    }
    let _ = h.push(HeaderName::CONTENT_LENGTH, "0");
    r
}

impl Response {
    /// A response to `req`: Via (all, in order), From, To, Call-ID and
    /// CSeq copied (RFC 3261 §8.2.6.2), plus Timestamp for a 100
    /// (§8.2.6.1) and `Content-Length: 0`. A reason with CR/LF is replaced
    /// by the canonical one. Add a To tag with [`Response::set_to_tag`]
    /// for anything but 100 (§8.2.6.2).
    pub fn for_request(req: &Request, status: StatusCode, reason: &str) -> Response {
        let mut r = answer_from(req.headers(), status, reason);
        if status == StatusCode::TRYING {
            if let Some(ts) = req.headers().get(&HeaderName::TIMESTAMP) {
                let _ = r
                    .headers
                    .insert(r.headers.len() - 1, HeaderName::TIMESTAMP, ts);
            }
        }
        r
    }

    /// Adds `;tag=<tag>` to To unless it already has a tag (a request
    /// inside a dialog, whose tag must be kept). Returns whether it was added.
    pub fn set_to_tag(&mut self, tag: &str) -> Result<bool, ParseError> {
        if !is_token(tag) {
            return Err(ParseError::BadHeader {
                name: HeaderName::TO,
                what: "tag is not a token",
            });
        }
        let to = self.headers.to()?;
        if to.tag().is_some() {
            return Ok(false);
        }
        let value = format!(
            "{};tag={tag}",
            self.headers.get(&HeaderName::TO).unwrap_or("")
        );
        self.headers.set(HeaderName::TO, &value)?;
        Ok(true)
    }

    /// Copies the request's Record-Route values, in order, as a UAS must in
    /// a response that creates a dialog (RFC 3261 §12.1.1).
    pub fn copy_record_route(&mut self, req: &Request) {
        let at = self
            .headers
            .fields
            .iter()
            .position(|f| f.name == HeaderName::CONTENT_LENGTH)
            .unwrap_or(self.headers.len());
        let mut rr = Headers::new();
        rr.copy_from(req.headers(), &HeaderName::RECORD_ROUTE);
        for (i, f) in rr.fields.into_iter().enumerate() {
            self.headers.fields.insert(at + i, f);
        }
    }
}

impl Request {
    /// Sets a `tag` on From, replacing any (a UAC or B2BUA starting a leg,
    /// RFC 3261 §8.1.1.3).
    pub fn set_from_tag(&mut self, tag: &str) -> Result<(), ParseError> {
        if !is_token(tag) {
            return Err(ParseError::BadHeader {
                name: HeaderName::FROM,
                what: "tag is not a token",
            });
        }
        let value = {
            let from = self.headers.get(&HeaderName::FROM).unwrap_or("");
            let parsed = name_addr::parse(from, true).map_err(|what| ParseError::BadHeader {
                name: HeaderName::FROM,
                what,
            })?;
            let params = parsed.params().as_str();
            let base = &from[..from.len() - params.len()];
            let kept: String = parsed
                .params()
                .iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case("tag"))
                .map(|(n, v)| match v {
                    Some(v) => format!(";{n}={v}"),
                    None => format!(";{n}"),
                })
                .collect();
            format!("{}{kept};tag={tag}", base.trim_end())
        };
        self.headers.set(HeaderName::FROM, &value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    const INVITE: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n\
        Via: SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n\
        Record-Route: <sip:p.example.com;lr>\r\n\
        From: \"Alice\" <sip:alice@example.com>;tag=88\r\n\
        To: <sip:bob@example.com>\r\n\
        Call-ID: c1@a\r\n\
        CSeq: 1 INVITE\r\n\
        Timestamp: 54\r\n\
        Max-Forwards: 70\r\n\
        Content-Length: 0\r\n\r\n";

    fn invite() -> Request {
        match Message::parse(INVITE.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn trying_copies_the_right_headers() {
        let req = invite();
        let r = Response::for_request(&req, StatusCode::TRYING, "Trying");
        let text = String::from_utf8_lossy(&r.to_bytes()).into_owned();
        assert_eq!(
            text,
            "SIP/2.0 100 Trying\r\n\
             Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n\
             Via: SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n\
             From: \"Alice\" <sip:alice@example.com>;tag=88\r\n\
             To: <sip:bob@example.com>\r\n\
             Call-ID: c1@a\r\n\
             CSeq: 1 INVITE\r\n\
             Timestamp: 54\r\n\
             Content-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn ok_with_tag_and_record_route() {
        let req = invite();
        let mut r = Response::for_request(&req, StatusCode::OK, "OK");
        assert_eq!(r.set_to_tag("xyz"), Ok(true));
        assert_eq!(r.set_to_tag("other"), Ok(false));
        assert_eq!(r.headers().to().map(|t| t.tag()), Ok(Some("xyz")));
        r.copy_record_route(&req);
        let rr = r.headers().record_routes().map(|v| v.len());
        assert_eq!(rr, Ok(1));
        assert!(r.set_to_tag("bad tag").is_err());
        // The response parses back.
        assert!(Message::parse(&r.to_bytes()[..]).is_ok());
    }

    #[test]
    fn from_tag_replaced() {
        let mut req = invite();
        assert!(req.set_from_tag("b2b-1").is_ok());
        assert_eq!(req.headers().from().map(|f| f.tag()), Ok(Some("b2b-1")));
        assert_eq!(
            req.headers().get(&HeaderName::FROM),
            Some("\"Alice\" <sip:alice@example.com>;tag=b2b-1")
        );
    }
}
