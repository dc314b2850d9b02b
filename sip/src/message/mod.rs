//! SIP messages: parse, inspect through typed views, edit, print.
//!
//! - `parse`: bytes to [`Message`], or [`Malformed`] (answer 400/505 or drop)
//! - `headers`, `name`: the header section, raw bytes kept per field
//! - `typed`, `via`, `name_addr`, `scalar`, `uri`, `params`: views
//! - `builder`: responses from requests, tag setters
//! - `print`: back to bytes
//! - `framing`: cutting TCP/TLS streams into messages

mod builder;
mod error;
mod framing;
mod headers;
mod lex;
mod method;
mod name;
mod name_addr;
mod params;
mod parse;
mod print;
mod request;
mod response;
mod scalar;
mod status;
mod typed;
mod uri;
mod via;

use bytes::Bytes;

pub use error::{Disposition, Malformed, ParseError};
pub use framing::{Frame, FrameError, Framed, Framer, FramerConfig};
pub use headers::Headers;
pub use method::Method;
pub use name::HeaderName;
pub use name_addr::{Contacts, NameAddr};
pub use params::{unquote, ParamIter, Params};
pub use request::Request;
pub use response::Response;
pub use scalar::CSeq;
pub use status::StatusCode;
pub use uri::{Host, Scheme, Uri};
pub use via::{Transport, Via, BRANCH_MAGIC_COOKIE};

/// A SIP request or response.
#[derive(Clone, Debug)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Message {
    /// Parses one message from a datagram or a framed stream chunk.
    ///
    /// The body is copied out of `data`; [`Message::parse_bytes`] shares
    /// it with a buffer you already own instead.
    pub fn parse(data: &[u8]) -> Result<Message, Malformed> {
        parse::parse(data, |r| Bytes::copy_from_slice(&data[r]))
    }

    /// Parses one message; the body is a slice of `data`, not a copy.
    pub fn parse_bytes(data: Bytes) -> Result<Message, Malformed> {
        parse::parse(&data, |r| data.slice(r))
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => r.headers(),
            Message::Response(r) => r.headers(),
        }
    }

    /// The header fields, to change.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => r.headers_mut(),
            Message::Response(r) => r.headers_mut(),
        }
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        match self {
            Message::Request(r) => r.body(),
            Message::Response(r) => r.body(),
        }
    }

    /// Whether this is a request.
    pub fn is_request(&self) -> bool {
        matches!(self, Message::Request(_))
    }
}
