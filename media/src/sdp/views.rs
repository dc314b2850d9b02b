//! Typed views of the lines the relay needs: `c=`, `m=`, `a=rtcp`,
//! `a=rtpmap` and the direction attributes. Views are parsed on demand
//! from the stored text, so printing never depends on them.

use std::net::IpAddr;

/// A `c=` line's address (RFC 8866 §5.7). A TTL or address count suffix
/// (`/127`, multicast only) is ignored: the relay does not do multicast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionAddress {
    /// `IN IP4 …` or `IN IP6 …` with a literal address.
    Ip(IpAddr),
    /// A host name (allowed by RFC 8866, rare on trunks); the relay cannot
    /// target it before latching.
    Name(String),
}

impl ConnectionAddress {
    /// Parses the value of a `c=` line: `IN IP4 192.0.2.1`.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let mut it = value.split_ascii_whitespace();
        let (net, kind, addr) = (it.next()?, it.next()?, it.next()?);
        if net != "IN" || it.next().is_some() {
            return None;
        }
        let addr = addr.split('/').next().unwrap_or(addr);
        match (kind, addr.parse::<IpAddr>()) {
            ("IP4", Ok(ip @ IpAddr::V4(_))) | ("IP6", Ok(ip @ IpAddr::V6(_))) => Some(Self::Ip(ip)),
            ("IP4" | "IP6", Ok(_)) => None,
            ("IP4" | "IP6", Err(_)) if !addr.is_empty() => Some(Self::Name(addr.to_owned())),
            _ => None,
        }
    }

    /// The IP address, if literal.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Ip(ip) => Some(*ip),
            Self::Name(_) => None,
        }
    }

    /// True for `0.0.0.0` (or `::`): the RFC 2543 way to put a call on
    /// hold, still sent by some carriers (RFC 3264 §8.4 keeps it legal).
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

/// Formats a `c=` value for `ip`: `IN IP4 …` or `IN IP6 …`.
pub(crate) fn connection_value(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("IN IP4 {v4}"),
        IpAddr::V6(v6) => format!("IN IP6 {v6}"),
    }
}

/// An `m=` line (RFC 8866 §5.14): `m=audio 49170 RTP/AVP 0 8 101`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLine<'a> {
    /// `audio`, `video`, …
    pub media: &'a str,
    /// Transport port; 0 means the stream is disabled (RFC 3264 §5.1).
    pub port: u16,
    /// The optional `/<number of ports>`.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVPF`, …
    pub proto: &'a str,
    /// Formats (payload types for RTP), in the sender's order of preference.
    pub formats: Vec<&'a str>,
}

impl<'a> MediaLine<'a> {
    /// Parses the value of an `m=` line.
    pub(crate) fn parse(value: &'a str) -> Option<Self> {
        // RFC 8866 §9: fields are separated by SP; runs are tolerated.
        let mut it = value.split(' ').filter(|f| !f.is_empty());
        let media = it.next()?;
        let port_field = it.next()?;
        let proto = it.next()?;
        let (port, port_count) = match port_field.split_once('/') {
            Some((p, n)) => (p.parse().ok()?, Some(n.parse().ok()?)),
            None => (port_field.parse().ok()?, None),
        };
        Some(Self {
            media,
            port,
            port_count,
            proto,
            formats: it.collect(),
        })
    }

    /// True when the transport is RTP (`RTP/AVP`, `RTP/SAVP`, `…/RTP/AVPF`).
    pub fn is_rtp(&self) -> bool {
        self.proto.split('/').any(|p| p == "RTP")
    }
}

/// Replaces the port in an `m=` value, keeping everything else byte for
/// byte (the `/count` suffix, spacing, the codec list and its order).
pub(crate) fn with_port(value: &str, port: u16) -> Option<String> {
    let media_end = value.find(' ')?;
    let start = media_end + value[media_end..].find(|c| c != ' ')?;
    let rest = &value[start..];
    let end = rest.find(['/', ' ']).unwrap_or(rest.len());
    Some(format!("{}{port}{}", &value[..start], &rest[end..]))
}

/// Media direction (RFC 3264 §5.1, RFC 8866 §6.7). Absent means
/// `sendrecv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `a=sendrecv`
    #[default]
    SendRecv,
    /// `a=sendonly`: the sender of this SDP holds the other party.
    SendOnly,
    /// `a=recvonly`
    RecvOnly,
    /// `a=inactive`
    Inactive,
}

impl Direction {
    /// Recognises a direction attribute name.
    pub fn from_attribute(name: &str) -> Option<Self> {
        match name {
            "sendrecv" => Some(Self::SendRecv),
            "sendonly" => Some(Self::SendOnly),
            "recvonly" => Some(Self::RecvOnly),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }

    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// Whether the party that wrote this SDP will send media.
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Whether the party that wrote this SDP wants to receive media.
    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// `sendonly` or `inactive`: the writer puts the other party on hold
    /// (RFC 3264 §8.4).
    pub fn is_hold(self) -> bool {
        matches!(self, Self::SendOnly | Self::Inactive)
    }
}

/// `a=rtcp:<port> [IN IP4 <addr>]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpAttribute {
    /// The RTCP port.
    pub port: u16,
    /// The RTCP address when it differs from `c=`.
    pub address: Option<ConnectionAddress>,
}

impl RtcpAttribute {
    /// Parses the value of `a=rtcp:`.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let (port, rest) = match value.split_once(' ') {
            Some((p, rest)) => (p, Some(rest)),
            None => (value, None),
        };
        Some(Self {
            port: port.parse().ok()?,
            address: match rest {
                Some(rest) => Some(ConnectionAddress::parse(rest)?),
                None => None,
            },
        })
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]` (RFC 8866 §6.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap<'a> {
    /// RTP payload type.
    pub payload_type: u8,
    /// Encoding name, as written (`PCMU`, `telephone-event`, `opus`).
    pub encoding: &'a str,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
}

impl<'a> RtpMap<'a> {
    /// Parses the value of `a=rtpmap:`.
    pub(crate) fn parse(value: &'a str) -> Option<Self> {
        let (pt, rest) = value.trim().split_once(' ')?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next()?;
        let clock_rate = parts.next()?.parse().ok()?;
        Some(Self {
            payload_type: pt.parse().ok().filter(|pt| *pt < 128)?,
            encoding,
            clock_rate,
        })
    }

    /// True for RFC 4733 named telephone events (DTMF).
    pub fn is_telephone_event(&self) -> bool {
        self.encoding.eq_ignore_ascii_case("telephone-event")
    }
}

/// The clock rate of a static payload type (RFC 3551 §6, Table 4), used
/// when no `a=rtpmap` names it.
pub fn static_clock_rate(payload_type: u8) -> Option<u32> {
    match payload_type {
        0..=5 | 7..=9 | 12 | 13 | 15 | 18 => Some(8_000),
        6 => Some(16_000),
        10 | 11 => Some(44_100),
        16 => Some(11_025),
        17 => Some(22_050),
        14 | 25 | 26 | 28 | 31..=34 => Some(90_000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_rewrite_keeps_count_and_formats() {
        assert_eq!(
            with_port("audio 49170/2 RTP/AVP 0  8", 30000).as_deref(),
            Some("audio 30000/2 RTP/AVP 0  8")
        );
        assert_eq!(
            with_port("audio 1 RTP/AVP 0", 2).as_deref(),
            Some("audio 2 RTP/AVP 0")
        );
    }

    #[test]
    fn connection_rejects_family_mismatch() {
        assert_eq!(ConnectionAddress::parse("IN IP4 ::1"), None);
        assert!(ConnectionAddress::parse("IN IP6 ::1").is_some());
        assert_eq!(
            ConnectionAddress::parse("IN IP4 224.2.1.1/127").and_then(|c| c.ip()),
            "224.2.1.1".parse().ok()
        );
    }
}
