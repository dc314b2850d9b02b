//! TCP: a stream trickled in small pieces, two messages in one write and
//! keep-alives each come out whole; a response goes back on the same
//! connection; an oversized message closes the connection.

use std::time::Duration;

use bytes::BytesMut;
use dce_sip::{Framed, Framer, Message, Peer, Protocol, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::transport_common::{bind, config, invite, next, ok_to, options, request};

#[tokio::test]
async fn trickled_batched_and_keepalive_frames_come_out_whole() {
    let (transports, mut rx) = bind(config()).await;
    let mut phone = TcpStream::connect(transports.local_addr()).await.unwrap();
    let peer = Peer {
        protocol: Protocol::Tcp,
        addr: phone.local_addr().unwrap(),
    };

    // A 3 kB INVITE, 100 bytes at a time.
    let big = invite("tcp-invite", 3000);
    assert!(big.len() >= 3000);
    for piece in big.chunks(100) {
        phone.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let inbound = next(&mut rx).await;
    assert_eq!(inbound.peer, peer);
    let invite = request(&inbound).clone();
    assert_eq!(invite.headers().call_id(), Ok("tcp-invite"));
    assert_eq!(Message::Request(invite).to_bytes(), big);

    // Two messages in one write, a ping between them.
    let mut two = options("tcp-a");
    two.extend_from_slice(b"\r\n\r\n");
    two.extend_from_slice(&options("tcp-b"));
    phone.write_all(&two).await.unwrap();
    for id in ["tcp-a", "tcp-b"] {
        let inbound = next(&mut rx).await;
        assert_eq!(request(&inbound).headers().call_id(), Ok(id));
        assert_eq!(inbound.peer, peer);
    }
    // The ping got its pong (RFC 5626 §4.4.1).
    let mut pong = [0u8; 2];
    tokio::time::timeout(Duration::from_secs(5), phone.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong, b"\r\n");

    // The response to the INVITE goes back on this connection.
    transports.send(ok_to(&inbound)).unwrap();
    let framer = Framer::default();
    let mut buf = BytesMut::new();
    let frame = loop {
        if let Some(Framed::Message(m)) = framer.decode(&mut buf).unwrap() {
            break m;
        }
        let n = tokio::time::timeout(Duration::from_secs(5), phone.read_buf(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed before the response");
    };
    let Ok(Message::Response(ok)) = Message::parse(&frame) else {
        panic!("not a response")
    };
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers().call_id(), Ok("tcp-invite"));
    assert_eq!(transports.stats().connections_open, 1);
    transports.shutdown().await;
}

#[tokio::test]
async fn oversized_message_closes_the_connection() {
    let mut cfg = config();
    cfg.max_message = 4096;
    let (transports, mut rx) = bind(cfg).await;
    let mut phone = TcpStream::connect(transports.local_addr()).await.unwrap();
    // Fine alone, then one too large for the limit.
    phone.write_all(&options("fits")).await.unwrap();
    assert_eq!(
        request(&next(&mut rx).await).headers().call_id(),
        Ok("fits")
    );
    phone.write_all(&invite("too-big", 6000)).await.unwrap();

    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), phone.read_to_end(&mut rest)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "expected the server to close"
    );
    crate::transport_common::eventually("connection closed", || {
        transports.stats().connections_open == 0
    })
    .await;
    assert!(rx.try_recv().is_err(), "nothing delivered from the big one");
    transports.shutdown().await;
}
