//! Sending to a TCP or TLS peer with no open connection opens one; the
//! answer comes back on it. Two DCE transports talk to each other here:
//! `carrier` listens, `switch` dials.

use dce_sip::{Message, Peer, Protocol, Received, SendError, StatusCode};

use crate::transport_common::{bind, config, eventually, next, ok_to, request, transmit, TestCert};

async fn dial_and_answer(protocol: Protocol) {
    let cert = TestCert::new();
    let mut carrier_cfg = config();
    carrier_cfg.tls = Some(cert.listen());
    let (carrier, mut carrier_rx) = bind(carrier_cfg).await;
    let mut switch_cfg = config();
    switch_cfg.tls_client_roots = Some(cert.cert.clone());
    let (switch, mut switch_rx) = bind(switch_cfg).await;

    let addr = match protocol {
        Protocol::Tls => carrier.tls_local_addr().unwrap(),
        _ => carrier.local_addr(),
    };
    let to = Peer { protocol, addr };
    // Two sends before the connection is up: both queue on it, in order.
    switch.send(transmit(to, "out-1")).unwrap();
    switch.send(transmit(to, "out-2")).unwrap();
    let first = next(&mut carrier_rx).await;
    let second = next(&mut carrier_rx).await;
    assert_eq!(request(&first).headers().call_id(), Ok("out-1"));
    assert_eq!(request(&second).headers().call_id(), Ok("out-2"));
    assert_eq!(first.peer.protocol, protocol);

    carrier.send(ok_to(&first)).unwrap();
    let answer = next(&mut switch_rx).await;
    assert_eq!(
        answer.peer, to,
        "the answer arrives on the connection we opened"
    );
    let Received::Message(Message::Response(ok)) = answer.received else {
        panic!("expected a response")
    };
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(switch.stats().connections_open, 1);
    switch.shutdown().await;
    carrier.shutdown().await;
}

#[tokio::test]
async fn tcp_peer_without_connection_gets_one() {
    dial_and_answer(Protocol::Tcp).await;
}

#[tokio::test]
async fn tls_peer_without_connection_gets_one_verified() {
    dial_and_answer(Protocol::Tls).await;
}

#[tokio::test]
async fn unreachable_peer_counts_a_send_error() {
    let (switch, _rx) = bind(config()).await;
    // A port just freed: nothing listens there.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let to = Peer {
        protocol: Protocol::Tcp,
        addr,
    };
    switch.send(transmit(to, "lost")).unwrap();
    eventually("connect failure counted", || {
        switch.stats().send_errors == 1
    })
    .await;
    assert_eq!(switch.stats().connections_open, 0);

    // WebSocket peers cannot be dialled.
    let ws = Peer {
        protocol: Protocol::Ws,
        addr,
    };
    assert_eq!(
        switch.send(transmit(ws, "ws")),
        Err(SendError::NoConnection)
    );
    switch.shutdown().await;
    assert_eq!(switch.send(transmit(to, "late")), Err(SendError::Closed));
}
