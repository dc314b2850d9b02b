//! A real call through the real switch: its driver, transports and billing
//! run in this process on loopback sockets, between a sipp caller and a
//! sipp buyer. The call's live events arrive in order; the CDR id they
//! carry finds its trace; that trace, written as a pcap file, reads back in
//! tshark message for message.
//!
//! In process, not against `dce serve`: until the API serves traces, the
//! only way out of the switch for them is the `TraceStore` handle.

use super::{pcap, Ladder, LiveEvent, Observers};
use crate::switch::{Driver, Ledger, Services, SwitchCore, SwitchStats};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sipp");

fn installed(tool: &str, package: &str) -> bool {
    let ok = Command::new(tool).arg("-v").output().is_ok();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} (Debian package {package}) must be installed under CI"
        );
        eprintln!("skipped: {tool} is not installed (apt-get install {package})");
    }
    ok
}

fn free_udp_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

fn market(buyer_port: u16) -> String {
    format!(
        "[[seller]]\nname = \"s\"\ntrunks = [\"127.0.0.1\"]\n\n\
         [[buyer]]\nname = \"b\"\nbalance = \"10000.00\"\n\n\
         [[campaign]]\nname = \"c\"\nseller = \"s\"\nnumbers = [\"+18005550100\"]\npayout = \"1.00\"\n\n\
         [[target]]\nname = \"t1\"\nbuyer = \"b\"\ncampaign = \"c\"\n\
         destination = \"sip:buyer@127.0.0.1:{buyer_port}\"\nbid = \"10.00\"\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_call_is_published_in_order_traced_and_read_back_by_tshark() {
    if !installed("sipp", "sip-tester") || !installed("tshark", "tshark") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::config::Config::default();
    config.database.url.0 = format!("sqlite://{}", dir.path().join("dce.db").display());
    let store = crate::app::open_store(&config).await.unwrap();
    let buyer_port = free_udp_port();
    let spec = dce_marketplace::market_file::parse(&market(buyer_port)).unwrap();
    store.import(&spec).await.unwrap();
    let (market, registry) = crate::app::load_market(&store, &config).await.unwrap();
    let counters = crate::app::counters(&config, &market).await;
    let market = Arc::new(dce_marketplace::MarketHandle::new(market, registry));

    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let transports = dce_sip::Transports::bind(
        dce_sip::TransportConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..dce_sip::TransportConfig::default()
        },
        tx,
    )
    .await
    .unwrap();
    let sip = transports.local_addr();
    let mut core = SwitchCore::new(
        crate::switch::CoreConfig {
            local: sip,
            local_tls: None,
            max_call_duration: Duration::from_secs(3600),
            timers: Default::default(),
            epoch: (Instant::now(), chrono::Utc::now().timestamp_millis()),
        },
        market,
    );
    // As app::start_switch wires them.
    let observers = Observers::new(100, 256);
    core.set_observers(observers.traces.clone(), observers.events.clone());
    let spool = dce_marketplace::store::Spool::open(dir.path().join("spool"), 1 << 20).unwrap();
    let ledger = Ledger {
        events: observers.events.clone(),
        ..Ledger::new(store.clone(), Arc::new(spool))
    };
    let mut events = observers.events.subscribe();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let switch = tokio::spawn(
        Driver {
            core,
            transports,
            inbound: rx,
            inbound_capacity: 1024,
            services: std::sync::Arc::new(Services {
                counters,
                rtb: dce_marketplace::auction::RtbClient::new(),
                ledger: Some(ledger),
                media: None,
            }),
            media_events: None,
            stats: Arc::new(SwitchStats::default()),
            stop: stop_rx,
            drain: Duration::from_secs(1),
        }
        .run(),
    );

    let sipp = |scenario: &str| {
        let mut cmd = Command::new("sipp");
        cmd.args(["-sf", &format!("{SCENARIOS}/{scenario}"), "-i", "127.0.0.1"])
            .args(["-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    };
    let buyer = sipp("uas_answer.xml")
        .args(["-p", &buyer_port.to_string()])
        .spawn()
        .unwrap();
    let mut caller = sipp("uac_call.xml");
    caller
        .arg(sip.to_string())
        .args(["-p", &free_udp_port().to_string(), "-s", "18005550100"])
        .args(["-key", "caller", "+12125551234", "-d", "300"]);
    let caller = tokio::task::spawn_blocking(move || caller.output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        caller.status.success(),
        "caller sipp: {}",
        String::from_utf8_lossy(&caller.stderr)
    );
    let buyer = tokio::task::spawn_blocking(move || buyer.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        buyer.status.success(),
        "buyer sipp: {}",
        String::from_utf8_lossy(&buyer.stderr)
    );

    // The call's events, in order, ending with its rating.
    let mut got: Vec<Arc<LiveEvent>> = Vec::new();
    while got.last().is_none_or(|e| e.kind != super::EventKind::Rated) {
        let e = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("the call's events within 10 s")
            .unwrap();
        got.push(e);
    }
    let kinds: Vec<String> = got
        .iter()
        .map(|e| {
            serde_json::to_value(e.kind)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds,
        ["arrived", "decided", "ringing", "answered", "ended", "rated"]
    );
    let cdr_id = got[0].call_id.clone();
    assert!(
        got.iter().all(|e| e.call_id == cdr_id),
        "one call id throughout"
    );
    let answered = serde_json::to_value(&*got[3]).unwrap();
    assert_eq!(answered["details"]["attempt"], 1);
    assert!(answered["buyer_id"].is_number());
    let ended = serde_json::to_value(&*got[4]).unwrap();
    assert_eq!(ended["details"]["cause"], "caller_bye");
    assert!(ended["details"]["connected_ms"].as_u64().unwrap() >= 250);
    let rated = serde_json::to_value(&*got[5]).unwrap();
    assert_eq!(rated["details"]["billable"], true);
    assert_eq!(rated["details"]["payout"], 100, "the campaign's 1.00");
    assert!(
        store.cdr(&cdr_id).await.unwrap().is_some(),
        "the CDR id of the events is the record's"
    );

    // The trace, found by that id: both legs, in order.
    let trace = observers.traces.by_cdr(cdr_id.as_str()).expect("traced");
    let lines: Vec<String> = trace.entries.iter().map(|e| e.first_line()).collect();
    assert!(
        lines[0].starts_with("INVITE sip:18005550100@"),
        "{lines:#?}"
    );
    for m in ["INVITE sip:buyer@", "SIP/2.0 180", "ACK sip:", "BYE sip:"] {
        assert!(lines.iter().any(|l| l.starts_with(m)), "{m} in {lines:#?}");
    }
    assert!(lines.len() >= 13, "{lines:#?}");
    assert!(trace.entries.iter().all(|e| e.local == sip));
    let ladder = serde_json::to_value(Ladder::from(&trace)).unwrap();
    assert_eq!(ladder["call_id"], cdr_id.as_str());
    assert_eq!(ladder["messages"][0]["direction"], "in");
    assert_eq!(ladder["messages"][0]["to"], sip.to_string());
    let read_back = pcap::tests::tshark(&trace, &[]).unwrap();
    assert_eq!(read_back, lines, "tshark reads every SIP message, in order");

    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), switch).await;
}
