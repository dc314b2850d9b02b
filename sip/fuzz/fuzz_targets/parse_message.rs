//! Arbitrary bytes to the parser and the stream framer; whatever parses is
//! printed, re-parsed and must print the same bytes again.

#![no_main]

use bytes::BytesMut;
use dce_sip::{Framed, Framer, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check(data);
    // The same bytes as a TCP stream: cut, then parse each frame.
    let framer = Framer::default();
    let mut buf = BytesMut::from(data);
    while let Ok(Some(item)) = framer.decode(&mut buf) {
        if let Framed::Message(frame) = item {
            check(&frame);
        }
    }
});

fn check(data: &[u8]) {
    match Message::parse(data) {
        Ok(m) => {
            let once = m.to_bytes();
            let again = Message::parse(&once).map(|m| m.to_bytes());
            assert_eq!(again.ok().as_deref(), Some(&once[..]));
        }
        Err(e) => {
            if let Some(r) = e.response() {
                let _ = r.to_bytes();
            }
        }
    }
}
