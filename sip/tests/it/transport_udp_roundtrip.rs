//! A datagram in becomes an Inbound with the sender as peer; a response
//! and a request sent through the transports reach UDP sockets, from the
//! listening port.

use dce_sip::{Message, Peer, Protocol, StatusCode};
use tokio::net::UdpSocket;

use crate::transport_common::{bind, config, next, ok_to, request, transmit};

#[tokio::test]
async fn datagram_in_response_out_from_the_listening_port() {
    let (transports, mut rx) = bind(config()).await;
    let local = transports.local_addr();
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();

    phone
        .send_to(&crate::transport_common::options("udp-1"), local)
        .await
        .unwrap();
    let inbound = next(&mut rx).await;
    assert_eq!(
        inbound.peer,
        Peer {
            protocol: Protocol::Udp,
            addr: phone.local_addr().unwrap()
        }
    );
    assert_eq!(request(&inbound).headers().call_id(), Ok("udp-1"));

    transports.send(ok_to(&inbound)).unwrap();
    let mut buf = vec![0; 65536];
    let (n, from) = phone.recv_from(&mut buf).await.unwrap();
    assert_eq!(from, local, "responses leave from the listening socket");
    let Ok(Message::Response(ok)) = Message::parse(&buf[..n]) else {
        panic!("not a response")
    };
    assert_eq!(ok.status(), StatusCode::OK);

    // A request we originate leaves from the same port too.
    let buyer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let to = Peer {
        protocol: Protocol::Udp,
        addr: buyer.local_addr().unwrap(),
    };
    transports.send(transmit(to, "udp-2")).unwrap();
    let (n, from) = buyer.recv_from(&mut buf).await.unwrap();
    assert_eq!(from, local);
    assert!(Message::parse(&buf[..n]).unwrap().is_request());

    let stats = transports.stats();
    assert_eq!((stats.received, stats.sent, stats.send_errors), (1, 2, 0));
    transports.shutdown().await;
}
