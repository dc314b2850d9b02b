//! The SDP body as an ordered list of lines, session part then media
//! sections (RFC 8866 §5). Every line is kept as written, so attributes
//! the relay does not know survive a parse/print round trip byte for byte;
//! the typed views in `views.rs` read the few lines the relay needs.

use std::fmt;

use super::views::{ConnectionAddress, Direction, MediaLine, RtcpAttribute, RtpMap};
use super::{SdpError, MAX_LINES, MAX_MEDIA, MAX_SDP_LEN};

/// One `<type>=<value>` line. The type is a single ASCII letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) kind: u8,
    pub(crate) value: String,
}

/// A parsed SDP offer or answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    pub(crate) session: Vec<Line>,
    pub(crate) media: Vec<Media>,
}

/// One media section: its `m=` line and the lines after it up to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub(crate) m: String,
    pub(crate) lines: Vec<Line>,
}

impl Sdp {
    /// Parses a body. Accepts LF as well as CRLF line ends and skips blank
    /// lines (RFC 8866 §5 asks for CRLF; carriers do not always comply).
    pub fn parse(body: &[u8]) -> Result<Self, SdpError> {
        if body.len() > MAX_SDP_LEN {
            return Err(SdpError::TooLarge);
        }
        let text = std::str::from_utf8(body).map_err(|_| SdpError::NotUtf8)?;
        let mut sdp = Sdp {
            session: Vec::new(),
            media: Vec::new(),
        };
        let mut count = 0usize;
        for (index, raw) in text.split('\n').enumerate() {
            let number = index + 1;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if raw.is_empty() {
                continue;
            }
            count += 1;
            if count > MAX_LINES {
                return Err(SdpError::TooManyLines);
            }
            let line = split_line(raw).ok_or(SdpError::BadLine { line: number })?;
            if count == 1 && (line.kind != b'v' || line.value != "0") {
                return Err(SdpError::MissingVersion);
            }
            match line.kind {
                b'm' => {
                    MediaLine::parse(&line.value).ok_or(SdpError::BadMedia { line: number })?;
                    if sdp.media.len() == MAX_MEDIA {
                        return Err(SdpError::TooManyLines);
                    }
                    sdp.media.push(Media {
                        m: line.value,
                        lines: Vec::new(),
                    });
                    continue;
                }
                b'c' if ConnectionAddress::parse(&line.value).is_none() => {
                    return Err(SdpError::BadConnection { line: number });
                }
                _ => {}
            }
            match sdp.media.last_mut() {
                Some(media) => media.lines.push(line),
                None => sdp.session.push(line),
            }
        }
        if count == 0 {
            return Err(SdpError::MissingVersion);
        }
        Ok(sdp)
    }

    /// Prints the body with CRLF line ends.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// The session-level `c=` line, if any.
    pub fn connection(&self) -> Option<ConnectionAddress> {
        connection_of(&self.session)
    }

    /// The session-level direction attribute, if any.
    pub fn session_direction(&self) -> Option<Direction> {
        direction_of(&self.session)
    }

    /// The media sections, in order.
    pub fn media(&self) -> &[Media] {
        &self.media
    }

    /// Index of the first RTP audio section whose port is not 0: the one
    /// stream a relay session carries.
    pub fn first_audio(&self) -> Option<usize> {
        self.media.iter().position(|m| {
            m.line()
                .is_some_and(|l| l.media == "audio" && l.port != 0 && l.is_rtp())
        })
    }

    /// The direction in effect for media section `index`: its own
    /// attribute, else the session's, else `sendrecv` (RFC 8866 §6.7).
    pub fn direction(&self, index: usize) -> Direction {
        self.media
            .get(index)
            .and_then(Media::direction)
            .or_else(|| self.session_direction())
            .unwrap_or_default()
    }

    /// The connection address in effect for media section `index`: its
    /// own `c=`, else the session's (RFC 8866 §5.7).
    pub fn effective_connection(&self, index: usize) -> Option<ConnectionAddress> {
        self.media
            .get(index)
            .and_then(Media::connection)
            .or_else(|| self.connection())
    }

    /// True when every enabled audio stream is on hold: direction
    /// `sendonly`/`inactive` or `c=0.0.0.0` without ICE (RFC 3264 §8.4). An SDP with no
    /// enabled audio is not a hold.
    pub fn is_hold(&self) -> bool {
        let mut any = false;
        for (index, media) in self.media.iter().enumerate() {
            let Some(line) = media.line() else { continue };
            if line.media != "audio" || line.port == 0 {
                continue;
            }
            any = true;
            if !(self.zero_address_hold(index) || self.direction(index).is_hold()) {
                return false;
            }
        }
        any
    }

    /// `c=0.0.0.0` as the RFC 2543 hold, not as the placeholder of an ICE
    /// offer (RFC 8839 §4.2.1.1: trickle ICE writes `0.0.0.0` port 9).
    pub(crate) fn zero_address_hold(&self, index: usize) -> bool {
        let ice = |lines: &[Line]| {
            attributes_of(lines).any(|(name, _)| name == "ice-ufrag" || name == "candidate")
        };
        let uses_ice = self.media.get(index).is_some_and(|m| ice(&m.lines)) || ice(&self.session);
        !uses_ice
            && self
                .effective_connection(index)
                .is_some_and(|c| c.is_unspecified())
    }
}

impl Media {
    /// The parsed `m=` line (always parses: checked by [`Sdp::parse`]).
    pub fn line(&self) -> Option<MediaLine<'_>> {
        MediaLine::parse(&self.m)
    }

    /// This section's own `c=` line, if any.
    pub fn connection(&self) -> Option<ConnectionAddress> {
        connection_of(&self.lines)
    }

    /// This section's own direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.lines)
    }

    /// Attributes as `(name, value)`; `value` is `None` for flags.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        attributes_of(&self.lines)
    }

    /// The first attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<Option<&str>> {
        self.attributes().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// `a=rtcp-mux` present (RFC 5761 §5.1.1).
    pub fn rtcp_mux(&self) -> bool {
        self.attribute("rtcp-mux").is_some()
    }

    /// `a=rtcp:` (RFC 3605), if present and well formed.
    pub fn rtcp(&self) -> Option<RtcpAttribute> {
        self.attribute("rtcp")
            .flatten()
            .and_then(RtcpAttribute::parse)
    }

    /// The `a=rtpmap:` lines that parse.
    pub fn rtpmaps(&self) -> impl Iterator<Item = RtpMap<'_>> {
        self.attributes()
            .filter(|(n, _)| *n == "rtpmap")
            .filter_map(|(_, v)| v.and_then(RtpMap::parse))
    }
}

fn split_line(raw: &str) -> Option<Line> {
    let bytes = raw.as_bytes();
    // RFC 8866 §9: `byte-string` excludes NUL, CR and LF; a stray CR
    // would otherwise print as a line end the next parser splits on.
    if bytes.iter().any(|b| matches!(b, 0 | b'\r')) {
        return None;
    }
    match bytes {
        [kind, b'=', ..] if kind.is_ascii_alphabetic() => Some(Line {
            kind: *kind,
            value: raw[2..].to_owned(),
        }),
        _ => None,
    }
}

fn connection_of(lines: &[Line]) -> Option<ConnectionAddress> {
    lines
        .iter()
        .find(|l| l.kind == b'c')
        .and_then(|l| ConnectionAddress::parse(&l.value))
}

fn direction_of(lines: &[Line]) -> Option<Direction> {
    attributes_of(lines).find_map(|(n, _)| Direction::from_attribute(n))
}

fn attributes_of(lines: &[Line]) -> impl Iterator<Item = (&str, Option<&str>)> {
    lines
        .iter()
        .filter(|l| l.kind == b'a')
        .map(|l| match l.value.split_once(':') {
            Some((name, value)) => (name, Some(value)),
            None => (l.value.as_str(), None),
        })
}

impl fmt::Display for Sdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.session {
            write_line(f, line.kind, &line.value)?;
        }
        for media in &self.media {
            write_line(f, b'm', &media.m)?;
            for line in &media.lines {
                write_line(f, line.kind, &line.value)?;
            }
        }
        Ok(())
    }
}

fn write_line(f: &mut fmt::Formatter<'_>, kind: u8, value: &str) -> fmt::Result {
    write!(f, "{}={value}\r\n", char::from(kind))
}
