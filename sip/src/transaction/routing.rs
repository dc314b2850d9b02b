//! Where requests came from and where their responses go: RFC 3261
//! §18.2.1 (`received`), §18.2.2 (response destination) and RFC 3581
//! (`rport`, symmetric response routing through NATs).

use std::net::{IpAddr, SocketAddr};

use crate::{HeaderName, Peer, Protocol, Request, Via};

/// Stamps the top Via of a request received from `source`: `received=`
/// when the sent-by host is a name or another address (§18.2.1), and
/// `rport=<port>` (with `received=`, even if equal) when the Via carries
/// an empty `rport` (RFC 3581 §4). Other Via values and header order are
/// kept.
pub(crate) fn stamp_via(request: &mut Request, source: SocketAddr) {
    let fill_rport = match request.headers().top_via() {
        Ok(via) => {
            let fill_rport = via.rport() == Some(None);
            if !fill_rport && via.host().ip() == Some(source.ip()) {
                return;
            }
            fill_rport
        }
        Err(_) => return,
    };
    let headers = request.headers_mut();
    let Some(at) = headers.iter().position(|(n, _)| *n == HeaderName::VIA) else {
        return;
    };
    let Some(top) = headers.pop_first_value(&HeaderName::VIA) else {
        return;
    };
    let value = stamped(&top, source, fill_rport).unwrap_or(top);
    // The value came from a header, so it holds no CR/LF and insert succeeds.
    let _ = headers.insert(at, HeaderName::VIA, &value);
}

/// The Via value `top` with `received` (and `rport`) set for `source`.
fn stamped(top: &str, source: SocketAddr, fill_rport: bool) -> Option<String> {
    let via = Via::parse(top).ok()?;
    let params = via.params();
    let base = top.get(..top.len().checked_sub(params.as_str().len())?)?;
    let mut out = String::with_capacity(top.len() + 40);
    out.push_str(base.trim_end());
    for (name, value) in params.iter() {
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("received") || (fill_rport && is("rport")) {
            continue;
        }
        out.push(';');
        out.push_str(name);
        if let Some(v) = value {
            out.push('=');
            out.push_str(v);
        }
    }
    // RFC 3261 `via-received` takes a bare IPv6address, no brackets.
    out.push_str(&format!(";received={}", source.ip()));
    if fill_rport {
        out.push_str(&format!(";rport={}", source.port()));
    }
    Some(out)
}

/// Where the responses to `request`, received from `source` and already
/// stamped by the layer, are sent (RFC 3261 §18.2.2, RFC 3581 §4).
///
/// - Reliable transports: back on the connection the request came in on.
/// - UDP: to `received` (else the sent-by address) at the `rport` value,
///   else the sent-by port, else 5060. A sent-by name with no `received`
///   cannot happen after stamping; it falls back to the source.
pub fn response_peer(request: &Request, source: Peer) -> Peer {
    if source.protocol.is_reliable() {
        return source;
    }
    let Ok(via) = request.headers().top_via() else {
        return source;
    };
    let ip = via
        .received()
        .and_then(|r| r.parse::<IpAddr>().ok())
        .or_else(|| via.host().ip());
    let Some(ip) = ip else {
        return source;
    };
    let port = match via.rport() {
        Some(Some(p)) => p,
        _ => via.port().unwrap_or(5060),
    };
    Peer {
        protocol: Protocol::Udp,
        addr: SocketAddr::new(ip, port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    fn req(via: &str) -> Request {
        let text = format!(
            "OPTIONS sip:b@x SIP/2.0\r\nVia: {via}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\n\
             Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        match Message::parse(text.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn same_address_untouched() {
        let mut r = req("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx");
        stamp_via(&mut r, addr("192.0.2.1:5060"));
        assert_eq!(
            r.headers().get(&HeaderName::VIA),
            Some("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx")
        );
    }

    #[test]
    fn ipv6_received_parses_back() {
        let mut r = req("SIP/2.0/UDP [2001:db8::1];branch=z9hG4bKx;rport, SIP/2.0/UDP b");
        stamp_via(&mut r, addr("[2001:db8::9]:4000"));
        let top = r.headers().top_via().map(|v| (v.received(), v.rport()));
        assert_eq!(top, Ok((Some("2001:db8::9"), Some(Some(4000)))));
        assert_eq!(r.headers().vias().count(), 2);
        let p = response_peer(
            &r,
            Peer {
                protocol: Protocol::Udp,
                addr: addr("[2001:db8::9]:4000"),
            },
        );
        assert_eq!(p.addr, addr("[2001:db8::9]:4000"));
    }
}
