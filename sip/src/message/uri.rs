//! URIs: SIP/SIPS (RFC 3261 §19.1), tel (RFC 3966), and any other scheme
//! as an opaque absoluteURI (RFC 3261 §25.1), borrowed from the message.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::ParseError;
use super::lex::escapes_ok;
use super::lex::{all_in, class, find_byte, ipv4, parse_digits, split_at_byte};
use super::params::{Flavor, Params};

/// A URI scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `sip:`
    Sip,
    /// `sips:`
    Sips,
    /// `tel:` (RFC 3966).
    Tel,
    /// Any other scheme; the URI is kept opaque.
    Other,
}

/// The host part of a SIP URI or Via sent-by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    /// A domain name, as written.
    Domain(&'a str),
    /// A dotted IPv4 address.
    V4(Ipv4Addr),
    /// An IPv6 reference, the text between the brackets. Kept as text:
    /// RFC 5118 §4.10 asks to tolerate the three-colon form RFC 3261's
    /// ABNF allowed (`2001:db8:::192.0.2.1`), which is no valid address.
    V6(&'a str),
}

impl<'a> Host<'a> {
    /// The address, when the host is an IP literal that parses as one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Domain(_) => None,
            Host::V4(a) => Some(IpAddr::V4(*a)),
            Host::V6(t) => t.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(t) => write!(f, "[{t}]"),
        }
    }
}

/// A parsed URI that borrows its text. Printing gives back the original.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uri<'a> {
    raw: &'a str,
    scheme: Scheme,
    user: Option<&'a str>,
    password: Option<&'a str>,
    host: Option<Host<'a>>,
    port: Option<u16>,
    params: Params<'a>,
    headers: Option<&'a str>,
}

impl<'a> Uri<'a> {
    /// Parses a URI. SIP/SIPS and tel URIs are checked against their
    /// grammar; others only for the absoluteURI character set.
    pub fn parse(raw: &'a str) -> Result<Uri<'a>, ParseError> {
        parse(raw).map_err(ParseError::BadUri)
    }

    /// A URI known to be malformed, kept opaque so that accessors never fail.
    pub(crate) fn unchecked(raw: &'a str) -> Uri<'a> {
        Uri {
            raw,
            scheme: Scheme::Other,
            user: None,
            password: None,
            host: None,
            port: None,
            params: Params::new("", Flavor::Uri),
            headers: None,
        }
    }

    /// The URI exactly as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The scheme as written (`sip`, `SIPS`, `urn`, ...).
    pub fn scheme_str(&self) -> &'a str {
        self.raw.split(':').next().unwrap_or("")
    }

    /// The user part (still %-escaped); for tel URIs, the number.
    pub fn user(&self) -> Option<&'a str> {
        self.user
    }

    /// The password of the userinfo, if any (deprecated, RFC 3261 §19.1.1).
    pub fn password(&self) -> Option<&'a str> {
        self.password
    }

    /// The host of a SIP/SIPS URI.
    pub fn host(&self) -> Option<Host<'a>> {
        self.host
    }

    /// The explicit port of a SIP/SIPS URI.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The URI parameters (`;transport=tcp;lr`).
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `?`-headers of a SIP/SIPS URI, without the `?`.
    pub fn headers(&self) -> Option<&'a str> {
        self.headers
    }

    /// Whether a `user=phone` parameter marks the user part as a number.
    pub fn is_phone(&self) -> bool {
        self.params
            .get("user")
            .flatten()
            .is_some_and(|v| v.eq_ignore_ascii_case("phone"))
    }
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

type Res<T> = Result<T, &'static str>;

fn parse(raw: &str) -> Res<Uri<'_>> {
    let colon = find_byte(raw, b':').ok_or("URI without scheme")?;
    let (scheme_str, rest) = (&raw[..colon], &raw[colon + 1..]);
    if !valid_scheme(scheme_str) {
        return Err("bad URI scheme");
    }
    let scheme = if scheme_str.eq_ignore_ascii_case("sip") {
        Scheme::Sip
    } else if scheme_str.eq_ignore_ascii_case("sips") {
        Scheme::Sips
    } else if scheme_str.eq_ignore_ascii_case("tel") {
        Scheme::Tel
    } else {
        Scheme::Other
    };
    let empty = Params::new("", Flavor::Uri);
    let mut uri = Uri {
        raw,
        scheme,
        user: None,
        password: None,
        host: None,
        port: None,
        params: empty,
        headers: None,
    };
    match scheme {
        Scheme::Sip | Scheme::Sips => sip(rest, &mut uri)?,
        Scheme::Tel => tel(rest, &mut uri)?,
        Scheme::Other => {
            if !all_in(rest, class::URIC) {
                return Err("bad absoluteURI");
            }
        }
    }
    Ok(uri)
}

fn valid_scheme(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
}

fn sip<'a>(rest: &'a str, uri: &mut Uri<'a>) -> Res<()> {
    // The userinfo ends at the first '@': no '@' may appear unescaped in
    // the host, parameters or headers, while the user part may hold '?',
    // ';' and '/' (RFC 4475 §3.1.1.2, `intmeth`).
    let hostpart = match find_byte(rest, b'@') {
        Some(at) => {
            let (user, password) = match split_at_byte(&rest[..at], b':') {
                Some((u, p)) => (u, Some(p)),
                None => (&rest[..at], None),
            };
            if !all_in(user, class::USER) {
                return Err("bad URI user part");
            }
            if password.is_some_and(|p| !p.is_empty() && !all_in(p, class::PASSWORD)) {
                return Err("bad URI password");
            }
            uri.user = Some(user);
            uri.password = password;
            &rest[at + 1..]
        }
        None => rest,
    };
    let (host, port, after) = host_port(hostpart)?;
    uri.host = Some(host);
    uri.port = port;
    let (params, headers) = match find_byte(after, b'?') {
        Some(q) => (&after[..q], Some(&after[q + 1..])),
        None => (after, None),
    };
    if !params.is_empty() && !params.starts_with(';') {
        return Err("junk after URI host");
    }
    let params = Params::new(params, Flavor::Uri);
    params.validate().map_err(|_| "bad URI parameter")?;
    uri.params = params;
    if let Some(h) = headers {
        if !all_in(h, class::HNV) {
            return Err("bad URI headers");
        }
        uri.headers = Some(h);
    }
    Ok(())
}

/// Parses `host [":" port]` at the start of `s`; returns the rest.
pub(crate) fn host_port(s: &str) -> Res<(Host<'_>, Option<u16>, &str)> {
    let (host, after) = if let Some(inner) = s.strip_prefix('[') {
        let close = find_byte(inner, b']').ok_or("unterminated IPv6 reference")?;
        let text = &inner[..close];
        let colons = text.bytes().filter(|&b| b == b':').count();
        if colons < 2
            || !text
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err("bad IPv6 reference");
        }
        (Host::V6(text), &inner[close + 1..])
    } else {
        let end = s
            .bytes()
            .position(|b| class::TABLE[b as usize] & class::HOST == 0)
            .unwrap_or(s.len());
        let text = &s[..end];
        if text.is_empty() || text.starts_with(['.', '-']) {
            return Err("bad host");
        }
        let host = if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            Host::V4(ipv4(text).ok_or("bad IPv4 address")?)
        } else {
            Host::Domain(text)
        };
        (host, &s[end..])
    };
    match after.strip_prefix(':') {
        Some(p) => {
            let end = p
                .bytes()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(p.len());
            let port = parse_digits(&p[..end], u64::from(u16::MAX)).ok_or("bad port")?;
            Ok((host, Some(port as u16), &p[end..]))
        }
        None => Ok((host, None, after)),
    }
}

fn tel<'a>(rest: &'a str, uri: &mut Uri<'a>) -> Res<()> {
    let end = find_byte(rest, b';').unwrap_or(rest.len());
    let number = &rest[..end];
    let ok = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(b, b'+' | b'-' | b'.' | b'(' | b')' | b'*' | b'#' | b'%')
    };
    if number.is_empty() || !number.bytes().all(ok) || !escapes_ok(number) {
        return Err("bad tel number");
    }
    let params = Params::new(&rest[end..], Flavor::Uri);
    params.validate().map_err(|_| "bad tel parameter")?;
    uri.user = Some(number);
    uri.params = params;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Uri<'_> {
        match Uri::parse(s) {
            Ok(u) => u,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn sip_uri_parts() {
        let u = ok("sip:+18005550199@dce.example.net:5060;user=phone;lr");
        assert_eq!(u.scheme(), Scheme::Sip);
        assert_eq!(u.user(), Some("+18005550199"));
        assert_eq!(u.host(), Some(Host::Domain("dce.example.net")));
        assert_eq!(u.port(), Some(5060));
        assert!(u.is_phone());
        assert_eq!(u.params().get("lr"), Some(None));
        assert_eq!(
            u.to_string(),
            "sip:+18005550199@dce.example.net:5060;user=phone;lr"
        );
    }

    #[test]
    fn torture_uris() {
        let u = ok("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
        assert_eq!(
            u.user(),
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            u.password(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
        let u = ok("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user(), Some("user;par=u%40example.net"));
        let u = ok("sips:[2001:db8::10]:5070");
        assert_eq!(u.host(), Some(Host::V6("2001:db8::10")));
        assert_eq!(u.port(), Some(5070));
        let u = ok("sip:[2001:db8::10:5070]");
        assert_eq!(u.port(), None);
        let u = ok("sip:user@[2001:db8:::192.0.2.1]");
        assert_eq!(u.host().and_then(|h| h.ip()), None);
        let u = ok("sip:[::ffff:192.0.2.2]");
        assert!(u.host().and_then(|h| h.ip()).is_some());
        assert_eq!(
            ok("nobodyKnowsThisScheme:totallyopaquecontent").scheme(),
            Scheme::Other
        );
        assert_eq!(ok("soap.beep://192.0.2.103:3002").scheme(), Scheme::Other);
        let u = ok("sip:user@example.com?Route=%3Csip:example.com%3E");
        assert_eq!(u.headers(), Some("Route=%3Csip:example.com%3E"));
    }

    #[test]
    fn tel_uri() {
        let u = ok("tel:+1-201-555-0123;phone-context=example.com");
        assert_eq!(u.scheme(), Scheme::Tel);
        assert_eq!(u.user(), Some("+1-201-555-0123"));
        assert!(u.params().contains("phone-context"));
    }

    #[test]
    fn bad_uris() {
        for s in [
            "sip:2001:db8::10",
            "<sip:user@example.com>",
            "sip:user@example.com; lr",
            "sip:",
            "sip:user@",
            "sip:host:99999",
            "sip:[::1",
            "sip:a%zz@b",
            "1sip:x",
            "nocolon",
            "tel:",
            "http:",
        ] {
            assert!(Uri::parse(s).is_err(), "{s}");
        }
    }
}
