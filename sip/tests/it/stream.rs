//! The stream framer over the torture corpus, fed in small pieces.

use bytes::BytesMut;
use dce_sip::{FrameError, Framed, Framer, Message};

use crate::corpus;

#[test]
fn valid_messages_cut_from_a_trickled_stream() {
    let Some(cases) = corpus::load() else { return };
    let framer = Framer::default();
    // Every accepted message that has a Content-Length, back to back, with
    // keep-alives between some of them, delivered 7 bytes at a time.
    let mut stream = Vec::new();
    let mut want = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let Ok(m) = Message::parse(&c.bytes) else {
            continue;
        };
        if m.headers().content_length().ok().flatten().is_none() {
            continue;
        }
        let bytes = m.to_bytes();
        if i % 3 == 0 {
            stream.extend_from_slice(b"\r\n\r\n");
        }
        stream.extend_from_slice(&bytes);
        want.push(bytes);
    }
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    let mut pings = 0;
    for chunk in stream.chunks(7) {
        buf.extend_from_slice(chunk);
        loop {
            match framer.decode(&mut buf) {
                Ok(Some(Framed::Message(b))) => got.push(b.to_vec()),
                Ok(Some(Framed::Ping)) => pings += 1,
                Ok(Some(Framed::Pong)) => {}
                Ok(None) => break,
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert!(buf.is_empty());
    assert_eq!(got.len(), want.len());
    assert!(got == want);
    assert!(pings > 5);
}

#[test]
fn stream_faults() {
    let Some(cases) = corpus::load() else { return };
    let framer = Framer::default();
    let get = |n: &str| {
        cases
            .iter()
            .find(|c| c.name == n)
            .map(|c| c.bytes.clone())
            .unwrap_or_default()
    };
    // clerr on a stream: wait for more data (RFC 4475 §3.1.2.2).
    assert_eq!(framer.frame(&get("clerr")), Ok(dce_sip::Frame::Incomplete));
    // ncl: no way to find the next message.
    assert_eq!(framer.frame(&get("ncl")), Err(FrameError::BadContentLength));
    assert_eq!(
        framer.frame(&get("mcl01")),
        Err(FrameError::BadContentLength)
    );
}
