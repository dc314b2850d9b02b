//! Real sockets through the driver: RTP sent to the caller leg's port
//! reaches the buyer, the buyer's reply reaches the caller, and release
//! returns the ports and the statistics.

use std::time::Duration;

use dce_media::{CallId, Leg, MediaConfig, MediaEngine};
use tokio::net::UdpSocket;
use tokio::time::timeout;

use crate::common::rtp;

fn sdp(port: u16) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    )
}

async fn recv(socket: &UdpSocket) -> (Vec<u8>, std::net::SocketAddr) {
    let mut buf = vec![0; 2048];
    let (n, from) = timeout(Duration::from_secs(5), socket.recv_from(&mut buf))
        .await
        .expect("packet within 5 s")
        .expect("recv");
    buf.truncate(n);
    (buf, from)
}

#[tokio::test(flavor = "current_thread")]
async fn rtp_relayed_both_ways_through_real_sockets() {
    let config = MediaConfig {
        bind: "127.0.0.1".parse().expect("ip"),
        advertise: "127.0.0.1".parse().expect("ip"),
        ports: 41_000..=41_099,
        ..MediaConfig::default()
    };
    let (engine, _events) = MediaEngine::new(config, 16);
    let pairs = engine.free_port_pairs();
    let call = CallId::from("call-1");
    let ports = engine.allocate_session(call.clone()).expect("allocate");

    let caller = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let buyer = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let caller_port = caller.local_addr().expect("addr").port();
    let buyer_port = buyer.local_addr().expect("addr").port();

    // Offer from the caller goes to the buyer pointing at the buyer leg.
    let offer = engine
        .anchor_sdp(&call, Leg::Caller, sdp(caller_port).as_bytes())
        .expect("offer");
    let offer = String::from_utf8(offer).expect("utf8");
    assert!(
        offer.contains(&format!("m=audio {} RTP/AVP 0 101", ports.buyer.rtp)),
        "{offer}"
    );
    let answer = engine
        .anchor_sdp(&call, Leg::Buyer, sdp(buyer_port).as_bytes())
        .expect("answer");
    assert!(String::from_utf8_lossy(&answer).contains(&format!("m=audio {} ", ports.caller.rtp)));

    let packet = rtp(0, 1, 160, 0x1111);
    caller
        .send_to(&packet, ("127.0.0.1", ports.caller.rtp))
        .await
        .expect("send");
    let (got, from) = recv(&buyer).await;
    assert_eq!(got, packet);
    assert_eq!(
        from.port(),
        ports.buyer.rtp,
        "symmetric: from the port the buyer was told"
    );

    let reply = rtp(0, 7, 320, 0x2222);
    buyer
        .send_to(&reply, ("127.0.0.1", ports.buyer.rtp))
        .await
        .expect("send");
    let (got, from) = recv(&caller).await;
    assert_eq!(got, reply);
    assert_eq!(from.port(), ports.caller.rtp);

    // Garbage is dropped and counted, not relayed.
    caller
        .send_to(b"hello", ("127.0.0.1", ports.caller.rtp))
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let counters = engine.counters();
    assert_eq!(
        (
            counters.relayed_packets,
            counters.dropped_not_rtp,
            counters.sessions_active
        ),
        (2, 1, 1)
    );

    let stats = engine.release(&call).await.expect("stats");
    assert_eq!(
        (
            stats.stats.caller.packets,
            stats.stats.buyer.packets,
            stats.dropped
        ),
        (1, 1, 1)
    );
    assert_eq!(engine.free_port_pairs(), pairs);
    assert_eq!(engine.counters().sessions_active, 0);
    assert!(engine.release(&call).await.is_none());
    // The ports are free for the OS again.
    let again = engine.allocate_session(call.clone()).expect("reallocate");
    assert_ne!(again.caller.rtp, 0);
    let _ = engine.release(&call).await;
    assert_eq!(engine.free_port_pairs(), pairs);
}
