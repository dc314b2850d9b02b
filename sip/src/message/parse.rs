//! From bytes to a [`Message`] (RFC 3261 §7), or to a [`Malformed`] that
//! says whether to answer 400/505 or drop.
//!
//! One pass splits the head into lines; the start line and the headers a
//! transaction needs are then checked. A fault in one header does not stop
//! the split, so a broken request can still be answered from its Via,
//! From, To, Call-ID and CSeq (RFC 3261 §8.2.6; RFC 4475 §3.1.2).

use std::sync::Arc;

use bytes::Bytes;

use super::error::{Malformed, ParseError};
use super::headers::{Field, Headers, Text};
use super::lex::{find_byte, is_ws, parse_digits, trim_ws, trim_ws_end, trim_ws_start};
use super::method::Method;
use super::name::HeaderName;
use super::request::{check_request_uri, Request};
use super::response::Response;
use super::status::StatusCode;
use super::{via, Message};

/// Largest head (start line and headers) the parser accepts; offsets are
/// stored as `u32` and no honest SIP head comes near this.
pub(crate) const MAX_HEAD: usize = 1 << 20;

/// The parsed start line.
enum Start {
    Request { method: Method, uri: Text },
    Response { status: StatusCode, reason: Text },
}

/// Parses one message from a datagram or a frame cut by the stream framer.
///
/// Leading CRLFs are skipped (RFC 3261 §7.5). The body is Content-Length
/// bytes; bytes after it are ignored (§18.3: a datagram carrying more is
/// truncated; RFC 4475 §3.1.1.8 `dblreq`). Without Content-Length the body
/// runs to the end of the buffer, as UDP allows.
pub(crate) fn parse(
    data: &[u8],
    body_of: impl FnOnce(std::ops::Range<usize>) -> Bytes,
) -> Result<Message, Malformed> {
    let mut start = 0;
    while data[start..].starts_with(b"\r\n") {
        start += 2;
    }
    if data[start..]
        .iter()
        .all(|&b| is_ws(b) || b == b'\r' || b == b'\n')
    {
        return Err(Malformed::new(ParseError::Empty, None));
    }
    // The head keeps the CRLF of its last line, so every line ends in CRLF.
    let Some(end) = memchr::memmem::find(&data[start..], b"\r\n\r\n") else {
        return Err(Malformed::new(ParseError::Unterminated, None));
    };
    if end > MAX_HEAD {
        return Err(Malformed::new(ParseError::TooLarge, None));
    }
    let head_end = start + end + 2;
    let body_start = head_end + 2;
    let Ok(head) = std::str::from_utf8(&data[start..head_end]) else {
        return Err(Malformed::new(ParseError::NotUtf8, None));
    };
    let src: Arc<str> = Arc::from(head);

    let (first_line, fields, line_error) = split_lines(&src);
    let headers = Headers {
        src: src.clone(),
        fields,
    };
    let is_response = starts_with_ignore_case(first_line, "SIP/");
    let started = if is_response {
        status_line(first_line)
    } else {
        request_line(first_line)
    };

    let outcome = started.and_then(|s| {
        if let Some(e) = line_error {
            return Err(e);
        }
        let checked = headers.check(matches!(s, Start::Request { .. }))?;
        if let Start::Request { method, .. } = &s {
            if checked.cseq.method != *method {
                return Err(ParseError::CSeqMethodMismatch);
            }
        }
        let available = data.len().saturating_sub(body_start);
        let body = match checked.content_length {
            Some(declared) if declared > available => {
                return Err(ParseError::BodyTruncated {
                    declared,
                    available,
                });
            }
            Some(declared) => body_of(body_start..body_start + declared),
            None => body_of(body_start.min(data.len())..data.len()),
        };
        Ok((s, body))
    });

    match outcome {
        Ok((Start::Request { method, uri }, body)) => Ok(Message::Request(Request {
            method,
            uri,
            headers,
            body,
        })),
        Ok((Start::Response { status, reason }, body)) => Ok(Message::Response(Response {
            status,
            reason,
            headers,
            body,
        })),
        Err(e) => {
            let answer = if is_response {
                None
            } else {
                answer(&headers, first_line, &e)
            };
            Err(Malformed::new(e, answer))
        }
    }
}

/// Splits the head into the start line and header fields, unfolding
/// continuation lines (RFC 3261 §7.3.1). Returns the first bad line's error
/// while keeping every good field, so a reply can still be built.
fn split_lines(src: &str) -> (&str, Vec<Field>, Option<ParseError>) {
    let b = src.as_bytes();
    let mut fields = Vec::with_capacity(24);
    let mut error = None;
    let (first_end, first_stray) = line_end(b, 0);
    let first = &src[..first_end];
    let mut pos = first_end + 2;
    let mut n = 0;
    while pos < b.len() {
        n += 1;
        // A header line runs to a CRLF not followed by SP/HT.
        let (mut end, mut dirty) = line_end(b, pos);
        while matches!(b.get(end + 2), Some(b' ' | b'\t')) {
            let (e, stray) = line_end(b, end + 2);
            end = e;
            dirty = true;
            if stray {
                error.get_or_insert(ParseError::BadHeaderLine { line: n });
            }
        }
        match field(src, pos, end, dirty) {
            Some(f) => fields.push(f),
            None => {
                error.get_or_insert(ParseError::BadHeaderLine { line: n });
            }
        }
        pos = end + 2;
    }
    if first_stray {
        error.get_or_insert(ParseError::BadStartLine);
    }
    (first, fields, error)
}

/// Index of the CRLF ending the line that starts at `from` (`b` ends in
/// CRLF), and whether a bare CR or LF was passed on the way (it stays
/// inside the line, where `field` rejects it).
fn line_end(b: &[u8], from: usize) -> (usize, bool) {
    let mut at = from;
    let mut stray = false;
    while let Some(i) = memchr::memchr2(b'\r', b'\n', &b[at..]) {
        let hit = at + i;
        if b[hit] == b'\r' && b.get(hit + 1) == Some(&b'\n') {
            return (hit, stray);
        }
        stray = true;
        at = hit + 1;
    }
    (b.len(), stray)
}

/// One header line `src[start..end]` (folds included) to a field.
fn field(src: &str, start: usize, end: usize, dirty: bool) -> Option<Field> {
    let line = src.get(start..end)?;
    let colon = find_byte(line, b':')?;
    let name = trim_ws_end(&line[..colon]);
    // A leading SP would make this a continuation of nothing.
    if name.is_empty() || name.starts_with([' ', '\t']) {
        return None;
    }
    let name = HeaderName::new(name)?;
    let raw_value = &line[colon + 1..];
    let value = if dirty {
        // Folded: dropping each CRLF leaves the whitespace that followed
        // it, which every view treats as LWS. A CR or LF that is not part
        // of a fold is an error.
        let unfolded = raw_value.replace("\r\n", "");
        if unfolded.contains(['\r', '\n']) {
            return None;
        }
        Text::Owned(trim_ws(&unfolded).into())
    } else {
        let v = trim_ws(raw_value);
        let off = start + colon + 1 + (raw_value.len() - trim_ws_start(raw_value).len());
        Text::span(off..off + v.len())
    };
    Some(Field {
        name,
        value,
        raw: Some(start as u32..end as u32),
    })
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// `SIP-Version`: "SIP/2.0", case-insensitive (RFC 3261 §7.1). Another
/// well-formed version is `UnsupportedVersion` (505); anything else malformed.
fn version(s: &str) -> Result<(), ParseError> {
    if s.eq_ignore_ascii_case("SIP/2.0") {
        return Ok(());
    }
    let well_formed = starts_with_ignore_case(s, "SIP/")
        && s[4..].split_once('.').is_some_and(|(a, b)| {
            parse_digits(a, u64::MAX).is_some() && parse_digits(b, u64::MAX).is_some()
        });
    Err(if well_formed {
        ParseError::UnsupportedVersion
    } else {
        ParseError::BadStartLine
    })
}

/// `Method SP Request-URI SP SIP-Version`, single spaces (RFC 3261 §7.1;
/// RFC 4475 §3.1.2.8-10 reject extra or trailing whitespace).
fn request_line(line: &str) -> Result<Start, ParseError> {
    let mut parts = line.split(' ');
    let (Some(m), Some(uri), Some(v), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::BadStartLine);
    };
    let method = Method::parse(m).ok_or(ParseError::BadMethod)?;
    version(v)?;
    check_request_uri(uri)?;
    let off = m.len() + 1;
    Ok(Start::Request {
        method,
        uri: Text::span(off..off + uri.len()),
    })
}

/// `SIP-Version SP Status-Code SP Reason-Phrase`.
fn status_line(line: &str) -> Result<Start, ParseError> {
    let (v, rest) = line.split_once(' ').ok_or(ParseError::BadStartLine)?;
    version(v)?;
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = (code.len() == 3)
        .then(|| parse_digits(code, 999))
        .flatten()
        .and_then(|c| StatusCode::new(c as u16))
        .ok_or(ParseError::BadStatusCode)?;
    if reason.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
        return Err(ParseError::BadStartLine);
    }
    let off = line.len() - reason.len();
    Ok(Start::Response {
        status,
        reason: Text::span(off..off + reason.len()),
    })
}

/// The 400 (or 505) for a malformed request, when one can be sent: not
/// for an ACK (RFC 3261 §17.2.1 answers none), and only when the top Via's
/// sent-by can be read, since that is where the answer goes (§18.2.2).
fn answer(headers: &Headers, first_line: &str, error: &ParseError) -> Option<Response> {
    let method = first_line.split(' ').next().unwrap_or("");
    let cseq_ack = headers
        .get(&HeaderName::CSEQ)
        .is_some_and(|c| c.split_whitespace().nth(1) == Some("ACK"));
    if method == "ACK" || cseq_ack {
        return None;
    }
    let top = headers.get(&HeaderName::VIA)?;
    let first = super::lex::split_commas(top).next()?;
    let sent = first.split(';').next().unwrap_or(first);
    via::parse(sent).ok()?;

    let status = match error {
        ParseError::UnsupportedVersion => StatusCode::VERSION_NOT_SUPPORTED,
        _ => StatusCode::BAD_REQUEST,
    };
    Some(super::builder::answer_from(
        headers,
        status,
        status.canonical_reason(),
    ))
}
