//! Typed header views on real messages.

use dce_sip::{Contacts, HeaderName, Host, Message, Method, Request, Scheme, Transport};

use crate::corpus;

/// A typical carrier INVITE: several Vias, Record-Route, P-Asserted-Identity, SDP.
pub const CARRIER_INVITE: &str = include_str!("../../benches/carrier-invite.sip");

fn request(bytes: &[u8]) -> Request {
    match Message::parse(bytes) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn carrier_invite() {
    let req = request(CARRIER_INVITE.as_bytes());
    assert_eq!(req.method(), &Method::INVITE);
    let uri = req.uri();
    assert_eq!(uri.scheme(), Scheme::Sip);
    assert_eq!(uri.user(), Some("+18005550199"));
    assert_eq!(uri.port(), Some(5060));
    assert!(uri.is_phone());
    let h = req.headers();
    let vias: Vec<_> = h.vias().collect::<Result<_, _>>().unwrap_or_default();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].rport(), Some(None));
    assert_eq!(vias[1].received(), Some("198.51.100.22"));
    assert_eq!(vias[2].transport(), Transport::Tcp);
    assert_eq!(h.from().ok().and_then(|f| f.tag()), Some("as5f2b1c9e"));
    assert_eq!(h.to().ok().and_then(|t| t.tag()), None);
    assert_eq!(h.cseq().map(|c| c.seq), Ok(102));
    assert_eq!(h.max_forwards(), Ok(Some(68)));
    assert_eq!(h.content_type(), Some("application/sdp"));
    assert_eq!(h.content_length(), Ok(Some(req.body().len())));
    assert_eq!(h.record_routes().map(|r| r.len()), Ok(2));
    let pai = h
        .name_addrs(&HeaderName::P_ASSERTED_IDENTITY)
        .unwrap_or_default();
    assert_eq!(pai[0].uri().user(), Some("+13125550123"));
    assert_eq!(pai[0].display_name(), Some("\"WIRELESS CALLER\""));
    assert!(matches!(h.contacts(), Ok(Contacts::List(l)) if l.len() == 1));
}

#[test]
fn wsinv_views() {
    let Some(cases) = corpus::load() else { return };
    let c = cases
        .iter()
        .find(|c| c.name == "wsinv")
        .map(|c| c.bytes.clone())
        .unwrap_or_default();
    let req = request(&c);
    let h = req.headers();
    assert_eq!(h.to().ok().and_then(|t| t.tag()), Some("1918181833n"));
    assert_eq!(h.from().ok().and_then(|t| t.tag()), Some("98asjd8"));
    assert_eq!(h.max_forwards(), Ok(Some(68)));
    assert_eq!(h.cseq().map(|c| (c.seq, c.method)), Ok((9, Method::INVITE)));
    let vias: Vec<_> = h.vias().collect::<Result<_, _>>().unwrap_or_default();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].branch(), Some("390skdjuw"));
    assert_eq!(vias[1].host(), Host::Domain("spindle.example.com"));
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(h.get(&HeaderName::SUBJECT), Some(""));
    let Ok(Contacts::List(c)) = h.contacts() else {
        panic!()
    };
    assert_eq!(c[0].params().get("q"), Some(Some("0.33")));
    assert_eq!(h.routes().map(|r| r.len()), Ok(1));
    let nf = HeaderName::new("NewFangledHeader").unwrap_or(HeaderName::VIA);
    assert_eq!(
        h.get(&nf),
        Some("newfangled value continued newfangled value")
    );
}

#[test]
fn compact_forms_and_many_vias() {
    let Some(cases) = corpus::load() else { return };
    let get = |n: &str| {
        cases
            .iter()
            .find(|c| c.name == n)
            .map(|c| c.bytes.clone())
            .unwrap_or_default()
    };
    let req = request(&get("longreq"));
    assert_eq!(req.headers().vias().count(), 34);
    let req = request(&get("esc01"));
    assert!(req.headers().call_id().is_ok());
    assert_eq!(req.headers().content_type(), Some("application/sdp"));
    let req = request(&get("esc02"));
    assert_eq!(req.method().as_str(), "RE%47IST%45R");
    // C%6Fntact is an extension header, not Contact.
    let Ok(Contacts::List(c)) = req.headers().contacts() else {
        panic!()
    };
    assert_eq!(c.len(), 2);
    let req = request(&get("escnull"));
    assert_eq!(req.headers().content_length(), Ok(Some(0)));
    let Ok(Message::Response(r)) = Message::parse(&get("noreason")) else {
        panic!()
    };
    assert_eq!(r.reason(), "");
    assert_eq!(r.status().as_u16(), 100);
}

#[test]
fn ipv6_views() {
    let Some(cases) = corpus::load() else { return };
    let get = |n: &str| {
        cases
            .iter()
            .find(|c| c.name == n)
            .map(|c| c.bytes.clone())
            .unwrap_or_default()
    };
    let req = request(&get("port-unambiguous"));
    assert_eq!(req.uri().host(), Some(Host::V6("2001:db8::10")));
    assert_eq!(req.uri().port(), Some(5070));
    let req = request(&get("port-ambiguous"));
    assert_eq!(req.uri().host(), Some(Host::V6("2001:db8::10:5070")));
    assert_eq!(req.uri().port(), None);
    for n in [
        "via-received-param-no-delim",
        "via-received-param-with-delim",
    ] {
        let req = request(&get(n));
        assert_eq!(
            req.headers().top_via().ok().and_then(|v| v.received()),
            Some("2001:db8::9:255")
        );
    }
    let req = request(&get("mult-ip-in-header"));
    let vias: Vec<_> = req
        .headers()
        .vias()
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    assert_eq!(vias[0].port(), Some(6050));
    assert!(matches!(vias[1].host(), Host::V4(_)));
}

#[test]
fn contact_star() {
    let m = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
             From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: x\r\n\
             CSeq: 2 REGISTER\r\nContact: *\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n";
    let req = request(m.as_bytes());
    assert_eq!(req.headers().contacts(), Ok(Contacts::Star));
    assert_eq!(req.headers().expires(), Ok(Some(0)));
    let bad = m.replace("Contact: *", "Contact: *, <sip:a@b>");
    assert!(Message::parse(bad.as_bytes()).is_err());
}
