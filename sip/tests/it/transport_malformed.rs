//! Garbage over UDP: an answerable bad request arrives as Malformed with
//! its 400/505 ready; what cannot be answered is counted and dropped; no
//! input stops the receive task.

use dce_sip::{Disposition, Received, StatusCode};
use tokio::net::UdpSocket;

use crate::transport_common::{bind, config, eventually, next, options, request};

const CSEQ_MISMATCH: &[u8] = b"OPTIONS sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK-bad\r\n\
Max-Forwards: 70\r\n\
To: <sip:bob@example.com>\r\n\
From: <sip:alice@example.com>;tag=1\r\n\
Call-ID: bad-1\r\n\
CSeq: 1 INVITE\r\n\
Content-Length: 0\r\n\r\n";

#[tokio::test]
async fn garbage_is_answered_or_dropped_never_fatal() {
    let (transports, mut rx) = bind(config()).await;
    let local = transports.local_addr();
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();

    // Not SIP at all: dropped.
    phone.send_to(b"hello world\r\n\r\n", local).await.unwrap();
    // Pseudo-random bytes, STUN-like binary included: dropped.
    let mut x: u32 = 0x9e37_79b9;
    for len in [1usize, 20, 64, 500, 1400] {
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        phone.send_to(&junk, local).await.unwrap();
    }
    // CRLF keep-alives are not messages at all.
    phone.send_to(b"\r\n\r\n", local).await.unwrap();
    // A request that can be answered.
    phone.send_to(CSEQ_MISMATCH, local).await.unwrap();

    let inbound = next(&mut rx).await;
    let Received::Malformed(bad) = &inbound.received else {
        panic!("expected Malformed, got {:?}", inbound.received)
    };
    assert_eq!(
        bad.disposition(),
        Disposition::Respond(StatusCode::BAD_REQUEST)
    );
    assert_eq!(inbound.peer.addr, phone.local_addr().unwrap());

    // Still alive.
    phone.send_to(&options("good"), local).await.unwrap();
    assert_eq!(
        request(&next(&mut rx).await).headers().call_id(),
        Ok("good")
    );
    eventually("counted", || transports.stats().received == 8).await;
    assert_eq!(transports.stats().malformed, 7);
    assert!(rx.try_recv().is_err());
    transports.shutdown().await;
}

#[tokio::test]
async fn oversized_datagram_is_dropped() {
    let mut cfg = config();
    cfg.max_message = 1000;
    let (transports, mut rx) = bind(cfg).await;
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = transports.local_addr();
    let big = crate::transport_common::invite("big", 3000);
    phone.send_to(&big, local).await.unwrap();
    phone.send_to(&options("small"), local).await.unwrap();
    assert_eq!(
        request(&next(&mut rx).await).headers().call_id(),
        Ok("small")
    );
    assert_eq!(transports.stats().dropped_too_large, 1);
    transports.shutdown().await;
}
