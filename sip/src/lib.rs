//! # dce-sip: the SIP protocol for DCE
//!
//! This crate turns bytes from the network into SIP messages and back. It
//! knows nothing of calls or money; `src/switch` in the `dce` binary drives
//! it. Today it holds the message layer; transactions (RFC 3261 §17),
//! dialogs, the registrar, transports and the tokio driver follow the
//! same sans-IO shape.
//!
//! ## Layout
//! - `message/`: requests and responses.
//!   - [`Message::parse`] reads a datagram or a stream frame. A valid
//!     message keeps the raw bytes of every header, so unknown headers and
//!     parameters print back byte for byte ([`Message::to_bytes`]).
//!   - A bad one is a [`Malformed`]: its [`ParseError`] says what is
//!     wrong, its [`Disposition`] whether to answer (`400`, or `505` for
//!     another SIP version) or drop, and [`Malformed::response`] is the
//!     answer, ready to send.
//!   - [`Headers`] carries typed views parsed on demand and borrowed from
//!     the message: [`Via`], [`NameAddr`] (From, To, Contact, Route,
//!     Record-Route), [`CSeq`], Call-ID, Max-Forwards, Content-Length,
//!     Expires, and [`Uri`] (sip, sips, tel, other).
//!   - Builders: [`Response::for_request`], [`Response::set_to_tag`],
//!     [`Request::new`], and set/insert/remove on [`Headers`] for a B2BUA
//!     that rewrites Via, Contact or Call-ID.
//!   - [`Framer`] cuts TCP/TLS streams by Content-Length (RFC 3261 §18.3)
//!     and reports RFC 5626 keep-alives.
//!
//! The parser was chosen by measurement against RFC 4475 and RFC 5118:
//! see `docs/decisions/sip-parser.md`.
//!
//! ## Example
//! ```
//! use dce_sip::{Message, Response, StatusCode};
//!
//! let wire = b"OPTIONS sip:bob@example.com SIP/2.0\r\n\
//! Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n\
//! Max-Forwards: 70\r\n\
//! To: <sip:bob@example.com>\r\n\
//! From: <sip:alice@example.com>;tag=1928301774\r\n\
//! Call-ID: a84b4c76e66710\r\n\
//! CSeq: 63104 OPTIONS\r\n\
//! Content-Length: 0\r\n\r\n";
//! let Ok(Message::Request(req)) = Message::parse(wire) else { panic!() };
//! assert_eq!(req.headers().top_via().unwrap().branch(), Some("z9hG4bK776asdhds"));
//! let mut ok = Response::for_request(&req, StatusCode::OK, "OK");
//! ok.set_to_tag("a6c85cf").unwrap();
//! assert!(ok.to_bytes().starts_with(b"SIP/2.0 200 OK\r\n"));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod message;
mod peer;
mod transaction;
mod transport;

pub use message::{
    unquote, CSeq, Contacts, Disposition, Frame, FrameError, Framed, Framer, FramerConfig,
    HeaderName, Headers, Host, Malformed, Message, Method, NameAddr, ParamIter, Params, ParseError,
    Request, Response, Scheme, StatusCode, Transport, Uri, Via, BRANCH_MAGIC_COOKIE,
};
pub use peer::{Peer, Protocol, Transmit};
pub use transaction::{
    new_branch, response_peer, ClientKey, Config, Event, ServerKey, Timer, TransactionError,
    Transactions,
};
pub use transport::{
    Inbound, Received, SendError, TlsListen, TransportConfig, TransportStats, Transports,
};
