//! Many calls on several relay workers: every call's packets come back
//! from that call's own ports, the counters add up across workers, and
//! releasing in a scrambled order returns every port pair.

use std::collections::HashSet;
use std::time::Duration;

use dce_media::{CallId, Leg, MediaConfig, MediaEngine};
use tokio::net::UdpSocket;
use tokio::time::timeout;

use crate::common::rtp;

const CALLS: usize = 24;

fn sdp(port: u16) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_relay_independently_on_three_workers() {
    let config = MediaConfig {
        bind: "127.0.0.1".parse().expect("ip"),
        advertise: "127.0.0.1".parse().expect("ip"),
        ports: 41_400..=41_599,
        ..MediaConfig::default()
    };
    let (engine, _events) = MediaEngine::with_workers(config, 16, 3);
    let pairs = engine.free_port_pairs();
    // One caller and one buyer socket, shared by all calls: each session
    // latches its own source, so sharing is fine.
    let caller = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let buyer = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let caller_port = caller.local_addr().expect("addr").port();
    let buyer_port = buyer.local_addr().expect("addr").port();

    let mut calls = Vec::new();
    for i in 0..CALLS {
        let call = CallId::from(format!("call-{i}").as_str());
        let ports = engine.allocate_session(call.clone()).expect("allocate");
        engine
            .anchor_sdp(&call, Leg::Caller, sdp(caller_port).as_bytes())
            .expect("offer");
        engine
            .anchor_sdp(&call, Leg::Buyer, sdp(buyer_port).as_bytes())
            .expect("answer");
        calls.push((call, ports));
    }
    assert_eq!(engine.counters().sessions_active, CALLS as u64);

    // Caller → buyer for every call; each arrives from that call's buyer port.
    for (i, (_, ports)) in calls.iter().enumerate() {
        caller
            .send_to(&rtp(0, 1, 160, i as u32), ("127.0.0.1", ports.caller.rtp))
            .await
            .expect("send");
    }
    let mut from = HashSet::new();
    let mut buf = vec![0; 2048];
    for _ in 0..CALLS {
        let (n, src) = timeout(Duration::from_secs(5), buyer.recv_from(&mut buf))
            .await
            .expect("relayed within 5 s")
            .expect("recv");
        let ssrc = u32::from_be_bytes(buf[8..12].try_into().expect("ssrc"));
        assert_eq!(n, 172);
        assert_eq!(src.port(), calls[ssrc as usize].1.buyer.rtp);
        from.insert(src.port());
    }
    assert_eq!(from.len(), CALLS);
    // And back, for every call.
    for (i, (_, ports)) in calls.iter().enumerate() {
        buyer
            .send_to(&rtp(0, 1, 160, i as u32), ("127.0.0.1", ports.buyer.rtp))
            .await
            .expect("send");
    }
    for _ in 0..CALLS {
        let (_, src) = timeout(Duration::from_secs(5), caller.recv_from(&mut buf))
            .await
            .expect("relayed within 5 s")
            .expect("recv");
        let ssrc = u32::from_be_bytes(buf[8..12].try_into().expect("ssrc"));
        assert_eq!(src.port(), calls[ssrc as usize].1.caller.rtp);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let counters = engine.counters();
    assert_eq!(counters.relayed_packets, 2 * CALLS as u64);
    assert_eq!(counters.relayed_bytes, 2 * 172 * CALLS as u64);

    // Release in a scrambled order; each call saw one packet each way.
    for k in 0..CALLS {
        let (call, _) = &calls[(k * 7) % CALLS];
        let stats = engine.release(call).await.expect("stats");
        assert_eq!(
            (stats.stats.caller.packets, stats.stats.buyer.packets),
            (1, 1)
        );
    }
    assert_eq!(engine.free_port_pairs(), pairs);
    assert_eq!(engine.counters().sessions_active, 0);
}
