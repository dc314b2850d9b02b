//! The Via header (RFC 3261 §20.42, §18.2.1; RFC 3581 `rport`).

use std::fmt;

use super::lex::{find_byte, is_token, is_ws, parse_digits, split_commas, trim_ws, trim_ws_start};
use super::params::{Flavor, Params};
use super::uri::{host_port, Host};

/// RFC 3261 §8.1.1.7: a branch starting with this cookie was made by an
/// RFC 3261 element and is unique per transaction.
pub const BRANCH_MAGIC_COOKIE: &str = "z9hG4bK";

/// The transport of a Via sent-protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport<'a> {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// SCTP.
    Sctp,
    /// WebSocket (RFC 7118).
    Ws,
    /// Secure WebSocket (RFC 7118).
    Wss,
    /// Anything else, as written (RFC 4475 `transports`: `UNKNOWN`).
    Other(&'a str),
}

impl<'a> Transport<'a> {
    fn parse(s: &'a str) -> Transport<'a> {
        const KNOWN: [(&str, Transport<'static>); 6] = [
            ("UDP", Transport::Udp),
            ("TCP", Transport::Tcp),
            ("TLS", Transport::Tls),
            ("SCTP", Transport::Sctp),
            ("WS", Transport::Ws),
            ("WSS", Transport::Wss),
        ];
        KNOWN
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, t)| *t)
            .unwrap_or(Transport::Other(s))
    }

    /// Whether the transport is reliable (RFC 3261 §17: no retransmissions).
    pub fn is_reliable(&self) -> bool {
        !matches!(self, Transport::Udp | Transport::Other(_))
    }
}

impl fmt::Display for Transport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Sctp => "SCTP",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
            Transport::Other(s) => s,
        })
    }
}

/// One Via value: `SIP/2.0/UDP host:port;branch=...;received=...;rport`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Via<'a> {
    protocol: &'a str,
    version: &'a str,
    transport: Transport<'a>,
    host: Host<'a>,
    port: Option<u16>,
    params: Params<'a>,
}

impl<'a> Via<'a> {
    /// Parses one Via value (not a comma-separated list).
    pub fn parse(s: &'a str) -> Result<Via<'a>, super::ParseError> {
        parse(s).map_err(|what| super::ParseError::BadHeader {
            name: super::HeaderName::VIA,
            what,
        })
    }

    /// The protocol name, normally `SIP`.
    pub fn protocol(&self) -> &'a str {
        self.protocol
    }

    /// The protocol version, normally `2.0`.
    pub fn version(&self) -> &'a str {
        self.version
    }

    /// The transport.
    pub fn transport(&self) -> Transport<'a> {
        self.transport
    }

    /// The sent-by host.
    pub fn host(&self) -> Host<'a> {
        self.host
    }

    /// The sent-by port, if written.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// All parameters, including unknown ones, as written.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `branch` parameter (transaction id, RFC 3261 §17.2.3).
    pub fn branch(&self) -> Option<&'a str> {
        self.params.get("branch").flatten()
    }

    /// Whether the branch carries the RFC 3261 magic cookie and more
    /// (RFC 4475 §3.2.1: a bare `z9hG4bK` is treated as an RFC 2543 branch).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| {
            b.len() > BRANCH_MAGIC_COOKIE.len() && b.starts_with(BRANCH_MAGIC_COOKIE)
        })
    }

    /// The `received` parameter (RFC 3261 §18.2.1), brackets stripped from
    /// IPv6 values (RFC 5118 §4.5 allows both forms).
    pub fn received(&self) -> Option<&'a str> {
        let r = self.params.get("received").flatten()?;
        Some(
            r.strip_prefix('[')
                .and_then(|x| x.strip_suffix(']'))
                .unwrap_or(r),
        )
    }

    /// The `rport` parameter (RFC 3581): `None` when absent, `Some(None)`
    /// when present without a value (a request asking for it), `Some(Some(p))`
    /// when filled in. A non-numeric value reads as absent.
    pub fn rport(&self) -> Option<Option<u16>> {
        match self.params.get("rport")? {
            None => Some(None),
            Some(v) => v.parse::<u16>().ok().map(Some),
        }
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a str> {
        self.params.get("maddr").flatten()
    }

    /// The `ttl` parameter.
    pub fn ttl(&self) -> Option<u8> {
        self.params
            .get("ttl")
            .flatten()
            .and_then(|v| v.parse().ok())
    }
}

/// Parses a whole Via header value: one or more comma-separated values.
pub(crate) fn parse_list(s: &str) -> impl Iterator<Item = Result<Via<'_>, &'static str>> {
    split_commas(s).map(parse)
}

/// `sent-protocol LWS sent-by *( SEMI via-params )`, where the SLASH and
/// COLON separators may carry whitespace (`SIP  /   2.0 /UDP`, RFC 4475
/// §3.1.1.1).
pub(crate) fn parse(s: &str) -> Result<Via<'_>, &'static str> {
    let (protocol, rest) = slash_token(s)?;
    let (version, rest) = slash_token(rest)?;
    let rest = trim_ws_start(rest);
    let tlen = rest
        .bytes()
        .position(|b| is_ws(b) || b == b';')
        .unwrap_or(rest.len());
    let transport = &rest[..tlen];
    if !is_token(transport) {
        return Err("bad transport");
    }
    let rest = trim_ws_start(&rest[tlen..]);
    // Whitespace may surround the sent-by colon (`COLON = SWS ":" SWS`).
    let (host, port, rest) = sent_by(rest)?;
    let params = Params::new(rest, Flavor::Header);
    params.validate()?;
    Ok(Via {
        protocol,
        version,
        transport: Transport::parse(transport),
        host,
        port,
        params,
    })
}

/// A token followed by `/` (with optional whitespace around it).
fn slash_token(s: &str) -> Result<(&str, &str), &'static str> {
    let s = trim_ws_start(s);
    let slash = find_byte(s, b'/').ok_or("bad sent-protocol")?;
    let tok = trim_ws(&s[..slash]);
    if !is_token(tok) {
        return Err("bad sent-protocol");
    }
    Ok((tok, &s[slash + 1..]))
}

fn sent_by(s: &str) -> Result<(Host<'_>, Option<u16>, &str), &'static str> {
    let (host, port, rest) = host_port(s)?;
    if port.is_some() {
        return Ok((host, port, rest));
    }
    let Some(p) = trim_ws_start(rest).strip_prefix(':') else {
        return Ok((host, None, rest));
    };
    let p = trim_ws_start(p);
    let end = p
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(p.len());
    let port = parse_digits(&p[..end], u64::from(u16::MAX)).ok_or("bad port")?;
    Ok((host, Some(port as u16), &p[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Via<'_> {
        match parse(s) {
            Ok(v) => v,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn typical() {
        let v = ok("SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-1;rport");
        assert_eq!(v.transport(), Transport::Udp);
        assert_eq!(v.host().to_string(), "203.0.113.10");
        assert_eq!(v.port(), Some(5060));
        assert_eq!(v.branch(), Some("z9hG4bK-1"));
        assert_eq!(v.rport(), Some(None));
        assert!(v.has_rfc3261_branch());
        let v = ok("SIP/2.0/TCP h;received=192.0.2.1;rport=5061;x-unk=\"q v\";flag");
        assert_eq!(v.received(), Some("192.0.2.1"));
        assert_eq!(v.rport(), Some(Some(5061)));
        assert_eq!(v.params().get("x-unk"), Some(Some("\"q v\"")));
        assert!(v.params().contains("flag"));
    }

    #[test]
    fn whitespace_everywhere() {
        let v = ok("SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw");
        assert_eq!(v.version(), "2.0");
        assert!(!v.has_rfc3261_branch());
        let all: Vec<_> = parse_list(
            "SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239",
        )
        .collect();
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[1].as_ref().map(|v| v.branch()),
            Ok(Some("z9hG4bK30239"))
        );
        let v = ok("SIP/2.0/UDP host.example.com : 5070 ;branch=z9hG4bK1");
        assert_eq!(v.port(), Some(5070));
    }

    #[test]
    fn ipv6() {
        let v = ok("SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3");
        assert_eq!(v.host(), Host::V6("2001:db8::9:1"));
        assert_eq!(v.received(), Some("2001:db8::9:255"));
        let v = ok("SIP/2.0/UDP [2001:db8::9:1]:6050;received=[2001:db8::9:255]");
        assert_eq!(v.port(), Some(6050));
        assert_eq!(v.received(), Some("2001:db8::9:255"));
    }

    #[test]
    fn bad() {
        assert!(parse("SIP/2.0/UDP 192.0.2.15;;").is_err());
        assert!(parse(";").is_err());
        assert!(parse("").is_err());
        assert!(parse("SIP/2.0 host").is_err());
        assert!(!ok("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK").has_rfc3261_branch());
    }
}
