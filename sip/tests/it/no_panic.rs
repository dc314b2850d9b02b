//! No input makes the parser, the framer or the printer panic, and what
//! parses prints to something that parses to the same bytes again.

use dce_sip::{Framer, Message};
use proptest::prelude::*;

use crate::corpus;

/// Parses, and for an accepted message checks print → parse → print is stable.
fn check(data: &[u8]) {
    let _ = Framer::default().frame(data);
    match Message::parse(data) {
        Ok(m) => {
            touch(&m);
            let once = m.to_bytes();
            let again = Message::parse(&once).map(|m| m.to_bytes());
            assert_eq!(again.as_deref().ok(), Some(&once[..]), "reprint differs");
        }
        Err(e) => {
            let _ = e.to_string();
            if let Some(r) = e.response() {
                let _ = r.to_bytes();
            }
        }
    }
}

/// Runs every view, as a transaction layer would.
fn touch(m: &Message) {
    let h = m.headers();
    for v in h.vias() {
        let _ = v.map(|v| (v.branch(), v.received(), v.rport(), v.host().ip()));
    }
    let _ = h
        .from()
        .map(|a| (a.tag(), a.uri().host(), a.display_name()));
    let _ = h.to();
    let _ = h.call_id();
    let _ = h.cseq();
    let _ = h.max_forwards();
    let _ = h.contacts();
    let _ = h.routes();
    let _ = h.record_routes();
    let _ = h.expires();
    if let Message::Request(r) = m {
        let _ = r.uri().params().iter().count();
    }
}

/// Torture messages, or one typical message when the corpus is absent.
fn seeds() -> Vec<Vec<u8>> {
    match corpus::load() {
        Some(c) => c.into_iter().map(|c| c.bytes).collect(),
        None => vec![crate::views::CARRIER_INVITE.as_bytes().to_vec()],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        check(&data);
    }

    #[test]
    fn random_sip_like_text(data in "[A-Za-z0-9 :;<>@\"=,./\\[\\]\r\n\t%-]{0,400}") {
        check(data.as_bytes());
        check(format!("INVITE sip:a@b SIP/2.0\r\n{data}\r\n\r\n").as_bytes());
    }

    #[test]
    fn mutated_torture_messages(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..8),
    ) {
        let seeds = seeds();
        let mut data = seeds[pick.index(seeds.len())].clone();
        for (at, byte, op) in edits {
            if data.is_empty() { break; }
            let i = at.index(data.len());
            match op {
                0 => data[i] = byte,
                1 => data.insert(i, byte),
                2 => { data.remove(i); }
                // Interesting bytes for a SIP parser.
                _ => data[i] = b"\r\n \t:;,<>\"@[]%\\"[usize::from(byte) % 15],
            }
        }
        check(&data);
    }
}
