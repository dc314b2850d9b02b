//! Parse then print gives back the input bytes.

use dce_sip::{Frame, Framer, HeaderName, Message};

use crate::corpus;

/// The bytes one message occupies: head plus Content-Length, or all.
fn message_len(bytes: &[u8]) -> usize {
    match Framer::default().frame(bytes) {
        Ok(Frame::Message { len }) => len,
        _ => bytes.len(),
    }
}

#[test]
fn every_accepted_torture_message_prints_back_byte_for_byte() {
    let Some(cases) = corpus::load() else { return };
    let mut checked = 0;
    for c in &cases {
        let Ok(msg) = Message::parse(&c.bytes) else {
            continue;
        };
        let printed = msg.to_bytes();
        // dblreq carries a second request after its Content-Length: 0 body;
        // RFC 4475 §3.1.1.8 says to ignore it, so it is not printed.
        let want = &c.bytes[..message_len(&c.bytes)];
        assert!(
            printed == want,
            "{}:\n--- printed\n{}\n--- input\n{}",
            c.name,
            String::from_utf8_lossy(&printed),
            String::from_utf8_lossy(want)
        );
        checked += 1;
    }
    assert!(checked >= 39, "only {checked} accepted");
}

const ODD: &str = "OPTIONS sip:bob@example.com;X-Odd=Val%41ue;flag SIP/2.0\r\n\
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bK776;X-Unk=\"q v\";novalue\r\n\
Max-Forwards: 70\r\n\
To: <sip:bob@example.com;Weird=1>;X-Tag=AbC\r\n\
From: \"A\" <sip:alice@example.com>;tag=1928;Priv=Yes\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 63104 OPTIONS\r\n\
X-Custom-Header:   spaced ;  Odd=Param , Second\r\n\
x-lower-case :value\r\n\
X-Folded: one\r\n  two\r\n\
Content-Length: 0\r\n\r\n";

#[test]
fn unknown_headers_and_params_survive_edits_elsewhere() {
    let Ok(Message::Request(mut req)) = Message::parse(ODD.as_bytes()) else {
        panic!("parse")
    };
    assert_eq!(req.to_bytes(), ODD.as_bytes());
    // A B2BUA rewrites Call-ID and adds a Via; every other byte stays.
    let h = req.headers_mut();
    assert!(h.set(HeaderName::CALL_ID, "b2b-leg-2").is_ok());
    assert!(h
        .push_front(
            HeaderName::VIA,
            "SIP/2.0/UDP dce.example.net;branch=z9hG4bKdce1"
        )
        .is_ok());
    let want = ODD
        .replace("Call-ID: a84b4c76e66710", "Call-ID: b2b-leg-2")
        .replace(
            "Via: SIP/2.0/UDP host",
            "Via: SIP/2.0/UDP dce.example.net;branch=z9hG4bKdce1\r\nVia: SIP/2.0/UDP host",
        );
    assert_eq!(String::from_utf8_lossy(&req.to_bytes()), want);
    assert_eq!(
        req.headers()
            .get(&HeaderName::new("x-folded").unwrap_or(HeaderName::VIA)),
        Some("one  two")
    );
}
