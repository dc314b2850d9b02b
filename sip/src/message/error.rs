//! What can be wrong with a message, and what to do about it.

use super::name::HeaderName;
use super::response::Response;
use super::status::StatusCode;

/// What is wrong with a message or a value handed to a builder.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but whitespace.
    #[error("empty message")]
    Empty,
    /// No empty line ends the header section.
    #[error("header section not terminated by an empty line")]
    Unterminated,
    /// The header section is not UTF-8 (RFC 3261 §7.3.1: UTF-8 text).
    #[error("header section is not UTF-8")]
    NotUtf8,
    /// The start line is neither a Request-Line nor a Status-Line.
    #[error("malformed start line")]
    BadStartLine,
    /// The method is not a token.
    #[error("malformed method")]
    BadMethod,
    /// The Request-URI is malformed (including `<>` around it, whitespace
    /// inside it, or `?headers` in a SIP Request-URI, RFC 3261 §19.1.1).
    #[error("malformed Request-URI: {0}")]
    BadRequestUri(&'static str),
    /// A URI given to a builder or view is malformed.
    #[error("malformed URI: {0}")]
    BadUri(&'static str),
    /// A SIP version other than 2.0 (answered with 505, RFC 3261 §21.5.6).
    #[error("unsupported SIP version")]
    UnsupportedVersion,
    /// The status code is not three digits from 100 to 699.
    #[error("malformed status code")]
    BadStatusCode,
    /// A header line (1-based, counted after the start line) has no
    /// `name:` or a name that is not a token, or a stray CR/LF.
    #[error("malformed header line {line}")]
    BadHeaderLine {
        /// Which header line.
        line: usize,
    },
    /// A header's value does not follow its grammar.
    #[error("malformed {name} header: {what}")]
    BadHeader {
        /// The header.
        name: HeaderName,
        /// What is wrong.
        what: &'static str,
    },
    /// A header every request (or response) must carry is absent
    /// (RFC 3261 §8.1.1).
    #[error("missing {0} header")]
    MissingHeader(HeaderName),
    /// A header that takes one value appears more than once
    /// (RFC 3261 §7.3.1; RFC 4475 §3.3.8, §3.3.9).
    #[error("more than one {0} header")]
    MultipleValues(HeaderName),
    /// The CSeq method differs from the request method (RFC 3261 §8.1.1.5).
    #[error("CSeq method does not match the request method")]
    CSeqMethodMismatch,
    /// Fewer body bytes than Content-Length announced (RFC 3261 §18.3).
    #[error("body shorter than Content-Length ({declared} announced, {available} present)")]
    BodyTruncated {
        /// Content-Length.
        declared: usize,
        /// Bytes after the header section.
        available: usize,
    },
    /// The message exceeds a configured size limit.
    #[error("message too large")]
    TooLarge,
    /// A header value or reason phrase given to a builder holds CR or LF.
    #[error("header value holds CR or LF")]
    InvalidHeaderValue,
}

/// What a receiver should do with a malformed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Answer with this status (400, or 505 for another SIP version).
    Respond(StatusCode),
    /// Drop silently: a response, an ACK (RFC 3261 §17.2.3 never answers
    /// one), or a request too broken to address an answer to.
    Drop,
}

/// A message that could not be accepted, with what to do about it.
#[derive(Clone, Debug)]
pub struct Malformed {
    error: ParseError,
    answer: Option<Box<Response>>,
}

impl Malformed {
    pub(crate) fn new(error: ParseError, answer: Option<Response>) -> Malformed {
        Malformed {
            error,
            answer: answer.map(Box::new),
        }
    }

    /// What is wrong.
    pub fn error(&self) -> &ParseError {
        &self.error
    }

    /// Answer or drop.
    pub fn disposition(&self) -> Disposition {
        match &self.answer {
            Some(r) => Disposition::Respond(r.status()),
            None => Disposition::Drop,
        }
    }

    /// The answer to send when the disposition is `Respond`: Via, From,
    /// To, Call-ID and CSeq copied as received (RFC 3261 §8.2.6.2). The
    /// caller adds a To tag ([`Response::set_to_tag`]) when To has none.
    pub fn response(&self) -> Option<&Response> {
        self.answer.as_deref()
    }

    /// Takes the answer out.
    pub fn into_response(self) -> Option<Response> {
        self.answer.map(|b| *b)
    }
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.disposition() {
            Disposition::Respond(s) => write!(f, "{} (answer {s})", self.error),
            Disposition::Drop => write!(f, "{} (drop)", self.error),
        }
    }
}

impl std::error::Error for Malformed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}
