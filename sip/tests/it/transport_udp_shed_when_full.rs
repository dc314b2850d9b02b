//! With the switch not reading, a UDP burst fills the bounded queue and
//! the rest is shed and counted, never buffered; reading then resumes.

use dce_sip::{Message, Received};
use tokio::net::UdpSocket;

use crate::transport_common::{bind, config, eventually, next, options, request};

#[tokio::test]
async fn burst_past_a_full_queue_is_shed() {
    let mut cfg = config();
    cfg.inbound_queue = 4;
    let (transports, mut rx) = bind(cfg).await;
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();

    for i in 0..100 {
        let dgram = options(&format!("burst-{i}"));
        phone
            .send_to(&dgram, transports.local_addr())
            .await
            .unwrap();
    }
    eventually("all 100 read off the socket", || {
        transports.stats().received == 100
    })
    .await;
    let stats = transports.stats();
    assert_eq!(stats.dropped_queue_full, 96);

    // Exactly what fit, the first ones, in order.
    for i in 0..4 {
        let inbound = rx.try_recv().expect("queued");
        let Received::Message(Message::Request(r)) = &inbound.received else {
            panic!("expected a request")
        };
        assert_eq!(r.headers().call_id(), Ok(format!("burst-{i}").as_str()));
    }
    assert!(
        rx.try_recv().is_err(),
        "nothing beyond the queue's capacity"
    );

    // Reading resumes normally.
    phone
        .send_to(&options("after"), transports.local_addr())
        .await
        .unwrap();
    assert_eq!(
        request(&next(&mut rx).await).headers().call_id(),
        Ok("after")
    );
    assert_eq!(transports.stats().dropped_queue_full, 96);
    transports.shutdown().await;
}
