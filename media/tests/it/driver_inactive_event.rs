//! Real sockets through the driver: a call whose parties send nothing
//! gets `MediaEvent::Inactive` for each leg from the relay worker's tick,
//! once, and releasing it afterwards still returns its ports.

use std::time::Duration;

use dce_media::{CallId, Leg, MediaConfig, MediaEngine, MediaEvent, SessionConfig};
use tokio::time::timeout;

fn sdp(port: u16) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    )
}

#[tokio::test(flavor = "current_thread")]
async fn silent_call_reported_inactive_on_both_legs() {
    let config = MediaConfig {
        bind: "127.0.0.1".parse().expect("ip"),
        advertise: "127.0.0.1".parse().expect("ip"),
        ports: 41_200..=41_299,
        session: SessionConfig {
            inactivity: Duration::from_millis(300),
            ..SessionConfig::default()
        },
        ..MediaConfig::default()
    };
    let (engine, mut events) = MediaEngine::new(config, 16);
    let pairs = engine.free_port_pairs();
    let call = CallId::from("silent-1");
    engine.allocate_session(call.clone()).expect("allocate");
    engine
        .anchor_sdp(&call, Leg::Caller, sdp(5_000).as_bytes())
        .expect("offer");
    engine
        .anchor_sdp(&call, Leg::Buyer, sdp(5_002).as_bytes())
        .expect("answer");

    let mut silent = Vec::new();
    for _ in 0..2 {
        let event = timeout(Duration::from_secs(3), events.recv())
            .await
            .expect("Inactive within 3 s")
            .expect("engine alive");
        let MediaEvent::Inactive {
            call_id,
            leg,
            silent_for,
        } = event;
        assert_eq!(call_id, call);
        assert!(silent_for >= Duration::from_millis(300), "{silent_for:?}");
        silent.push(leg);
    }
    silent.sort_by_key(|l| *l == Leg::Buyer);
    assert_eq!(silent, [Leg::Caller, Leg::Buyer]);
    // Once per silence: nothing more while it lasts.
    assert!(timeout(Duration::from_millis(500), events.recv())
        .await
        .is_err());

    let stats = engine.release(&call).await.expect("stats");
    assert_eq!(stats.stats.caller.packets + stats.stats.buyer.packets, 0);
    assert_eq!(engine.free_port_pairs(), pairs);
    assert_eq!(engine.counters().events_dropped, 0);
}
