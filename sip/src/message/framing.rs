//! Cutting a TCP/TLS byte stream into messages (RFC 3261 §18.3).
//!
//! On a stream, Content-Length is the only way to find where a body ends,
//! so it is required; bounds on head and body keep a peer from making us
//! buffer without limit. CRLFs between messages are keep-alives (RFC 5626
//! §3.5.1): a double CRLF "ping" wants a single CRLF "pong" back.

use bytes::{Buf, Bytes, BytesMut};

use super::lex::{parse_digits, trim_ws};
use super::name::HeaderName;
use super::parse::MAX_HEAD;

/// Limits for a stream framer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FramerConfig {
    /// Largest start line plus headers, in bytes.
    pub max_head: usize,
    /// Largest body, in bytes.
    pub max_body: usize,
}

impl Default for FramerConfig {
    /// 16 KiB of headers, 64 KiB of body: an INVITE with SDP is 1 to 4 KiB.
    fn default() -> Self {
        FramerConfig {
            max_head: 16 * 1024,
            max_body: 64 * 1024,
        }
    }
}

/// What the start of a stream buffer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// Not enough bytes yet.
    Incomplete,
    /// A keep-alive CRLFCRLF ping of `len` bytes: answer with a CRLF pong.
    Ping {
        /// Bytes to consume.
        len: usize,
    },
    /// A lone CRLF (a pong, or stray): consume and ignore.
    Pong {
        /// Bytes to consume.
        len: usize,
    },
    /// A whole message of `len` bytes, ready for [`Message::parse`](crate::Message::parse).
    Message {
        /// Bytes to consume.
        len: usize,
    },
}

/// Why a stream cannot be framed; the connection should be closed, since
/// there is no way to find the next message boundary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The head grew past `max_head` without an empty line.
    #[error("header section larger than the limit")]
    HeadTooLarge,
    /// Content-Length exceeds `max_body`.
    #[error("body larger than the limit")]
    BodyTooLarge,
    /// No Content-Length (required on streams, RFC 3261 §18.3).
    #[error("no Content-Length on a stream")]
    MissingContentLength,
    /// Content-Length unreadable, or several that disagree.
    #[error("malformed Content-Length")]
    BadContentLength,
}

/// A stateless framer with limits.
#[derive(Clone, Copy, Debug, Default)]
pub struct Framer {
    config: FramerConfig,
}

/// One item cut off a stream by [`Framer::decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Framed {
    /// A message's bytes.
    Message(Bytes),
    /// A keep-alive ping: send `\r\n` back.
    Ping,
    /// A lone CRLF, already consumed.
    Pong,
}

impl Framer {
    /// A framer with these limits.
    pub fn new(config: FramerConfig) -> Framer {
        Framer {
            config: FramerConfig {
                max_head: config.max_head.min(MAX_HEAD),
                max_body: config.max_body,
            },
        }
    }

    /// Looks at the start of `buf` and says what is there.
    pub fn frame(&self, buf: &[u8]) -> Result<Frame, FrameError> {
        if buf.starts_with(b"\r\n\r\n") {
            return Ok(Frame::Ping { len: 4 });
        }
        if buf.starts_with(b"\r\n") {
            // "\r\n" then "\r" may be a ping split across reads.
            return Ok(match buf.get(2) {
                None | Some(b'\r') => Frame::Incomplete,
                Some(_) => Frame::Pong { len: 2 },
            });
        }
        if buf == b"\r" {
            return Ok(Frame::Incomplete);
        }
        let window = &buf[..buf.len().min(self.config.max_head + 4)];
        let Some(end) = memchr::memmem::find(window, b"\r\n\r\n") else {
            return if buf.len() > self.config.max_head {
                Err(FrameError::HeadTooLarge)
            } else {
                Ok(Frame::Incomplete)
            };
        };
        let body = content_length(&buf[..end + 2])?;
        if body > self.config.max_body {
            return Err(FrameError::BodyTooLarge);
        }
        let len = end + 4 + body;
        Ok(if buf.len() < len {
            Frame::Incomplete
        } else {
            Frame::Message { len }
        })
    }

    /// Cuts the next item off `buf`; `Ok(None)` until one is complete.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Framed>, FrameError> {
        Ok(match self.frame(buf)? {
            Frame::Incomplete => None,
            Frame::Ping { len } => {
                buf.advance(len);
                Some(Framed::Ping)
            }
            Frame::Pong { len } => {
                buf.advance(len);
                Some(Framed::Pong)
            }
            Frame::Message { len } => Some(Framed::Message(buf.split_to(len).freeze())),
        })
    }
}

/// Finds Content-Length (or `l`) in a head; folded values are rare enough
/// on this header that a fold makes it unreadable here, and the parser
/// would reject what the framer let through anyway.
fn content_length(head: &[u8]) -> Result<usize, FrameError> {
    let mut found: Option<usize> = None;
    for line in head.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let Ok(name) = std::str::from_utf8(&line[..colon]) else {
            continue;
        };
        if HeaderName::new(name.trim_end_matches([' ', '\t'])) != Some(HeaderName::CONTENT_LENGTH) {
            continue;
        }
        let value =
            std::str::from_utf8(&line[colon + 1..]).map_err(|_| FrameError::BadContentLength)?;
        let n = parse_digits(trim_ws(value), u64::from(u32::MAX))
            .ok_or(FrameError::BadContentLength)? as usize;
        if found.is_some_and(|f| f != n) {
            return Err(FrameError::BadContentLength);
        }
        found = Some(n);
    }
    found.ok_or(FrameError::MissingContentLength)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nl: 5\r\n\r\nhello";

    #[test]
    fn whole_and_partial() {
        let f = Framer::default();
        assert_eq!(f.frame(MSG), Ok(Frame::Message { len: MSG.len() }));
        assert_eq!(f.frame(&MSG[..MSG.len() - 1]), Ok(Frame::Incomplete));
        assert_eq!(f.frame(&MSG[..10]), Ok(Frame::Incomplete));
    }

    #[test]
    fn keepalives() {
        let f = Framer::default();
        assert_eq!(f.frame(b"\r\n\r\nOPTIONS"), Ok(Frame::Ping { len: 4 }));
        assert_eq!(f.frame(b"\r\nOPTIONS"), Ok(Frame::Pong { len: 2 }));
        assert_eq!(f.frame(b"\r\n"), Ok(Frame::Incomplete));
        assert_eq!(f.frame(b"\r\n\r"), Ok(Frame::Incomplete));
        let mut buf = BytesMut::from(&b"\r\n\r\n"[..]);
        buf.extend_from_slice(MSG);
        buf.extend_from_slice(b"\r\n");
        buf.extend_from_slice(MSG);
        assert_eq!(f.decode(&mut buf), Ok(Some(Framed::Ping)));
        assert_eq!(
            f.decode(&mut buf),
            Ok(Some(Framed::Message(Bytes::from_static(MSG))))
        );
        assert_eq!(f.decode(&mut buf), Ok(Some(Framed::Pong)));
        assert_eq!(
            f.decode(&mut buf),
            Ok(Some(Framed::Message(Bytes::from_static(MSG))))
        );
        assert_eq!(f.decode(&mut buf), Ok(None));
    }

    #[test]
    fn errors() {
        let f = Framer::new(FramerConfig {
            max_head: 64,
            max_body: 4,
        });
        assert_eq!(f.frame(MSG), Err(FrameError::BodyTooLarge));
        assert_eq!(f.frame(&[b'a'; 100]), Err(FrameError::HeadTooLarge));
        let d = Framer::default();
        assert_eq!(
            d.frame(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n"),
            Err(FrameError::MissingContentLength)
        );
        assert_eq!(
            d.frame(b"X sip:a@b SIP/2.0\r\nContent-Length: -999\r\n\r\n"),
            Err(FrameError::BadContentLength)
        );
        assert_eq!(
            d.frame(b"X sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab"),
            Err(FrameError::BadContentLength)
        );
    }
}
