//! End-to-end calls through a real `dce serve` with real sipp callers and
//! buyers on loopback: each test one ladder.

use crate::sip_support::*;
use crate::support::Scratch;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

fn one(name: &'static str, port: u16, bid: &'static str, extra: &'static str) -> Buyer {
    Buyer {
        name,
        port,
        bid,
        extra,
    }
}

/// One buyer running `buyer_scenario`, one caller running `caller_scenario`:
/// both sipp ladders must complete as written.
fn one_buyer_ladder(buyer_scenario: &str, buyer_extra: &[&str], caller_scenario: &str) {
    let dir = Scratch::new();
    let b = free_port();
    let switch = Switch::start(&market("127.0.0.1", &[one("t1", b, "10.00", "")]));
    let buyer_sipp = buyer(&dir, buyer_scenario, b, 1, buyer_extra);
    let out = caller(&dir, &switch, caller_scenario, None, &[]);
    assert_ok(&out, "caller", &switch);
    finish(buyer_sipp, "buyer", &switch);
}

#[test]
fn a_basic_call_is_bridged_and_hung_up() {
    if !have_sipp() {
        return;
    }
    one_buyer_ladder("uas_answer.xml", &[], "uac_call.xml");
}

#[test]
fn caller_cancel_before_answer_gets_487_and_the_buyer_a_cancel() {
    if !have_sipp() {
        return;
    }
    one_buyer_ladder("uas_ring_forever.xml", &[], "uac_cancel.xml");
}

#[test]
fn a_busy_buyer_falls_back_to_the_next() {
    if !have_sipp() {
        return;
    }
    let dir = Scratch::new();
    let (b1, b2) = (free_port(), free_port());
    let switch = Switch::start(&market(
        "127.0.0.1",
        &[one("first", b1, "10.00", ""), one("second", b2, "5.00", "")],
    ));
    let busy = buyer(&dir, "uas_busy.xml", b1, 1, &[]);
    let answers = buyer(&dir, "uas_answer.xml", b2, 1, &[]);
    let out = caller(&dir, &switch, "uac_call.xml", None, &[]);
    assert_ok(&out, "caller", &switch);
    finish(busy, "busy buyer", &switch);
    finish(answers, "second buyer", &switch);
}

#[test]
fn no_answer_rings_out_then_the_next_buyer_answers() {
    if !have_sipp() {
        return;
    }
    let dir = Scratch::new();
    let (b1, b2) = (free_port(), free_port());
    let switch = Switch::start(&market(
        "127.0.0.1",
        &[
            one("first", b1, "10.00", "ring_timeout = \"1s\""),
            one("second", b2, "5.00", ""),
        ],
    ));
    let silent = buyer(&dir, "uas_ring_forever.xml", b1, 1, &[]);
    let answers = buyer(&dir, "uas_answer.xml", b2, 1, &[]);
    let started = Instant::now();
    let out = caller(&dir, &switch, "uac_call.xml", None, &[]);
    assert_ok(&out, "caller", &switch);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the first buyer rang for its ring timeout"
    );
    finish(silent, "silent buyer (CANCELed)", &switch);
    finish(answers, "second buyer", &switch);
}

#[test]
fn the_buyer_hangs_up() {
    if !have_sipp() {
        return;
    }
    one_buyer_ladder("uas_hangup.xml", &["-d", "300"], "uac_wait_bye.xml");
}

/// A stand-in buyer that only counts the INVITEs reaching it.
fn counting_buyer() -> (UdpSocket, u16) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let port = s.local_addr().unwrap().port();
    (s, port)
}

fn call_ids_received(s: &UdpSocket, for_how_long: Duration) -> std::collections::HashSet<String> {
    let mut ids = std::collections::HashSet::new();
    let deadline = Instant::now() + for_how_long;
    let mut buf = [0u8; 65536];
    while Instant::now() < deadline {
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]);
            if text.starts_with("INVITE ") {
                if let Some(id) = text.lines().find_map(|l| l.strip_prefix("Call-ID: ")) {
                    ids.insert(id.trim().to_string());
                }
            }
        }
    }
    ids
}

#[test]
fn an_unknown_source_gets_403_and_nothing_reaches_a_buyer() {
    if !have_sipp() {
        return;
    }
    let dir = Scratch::new();
    let (sock, port) = counting_buyer();
    let switch = Switch::start(&market("192.0.2.10", &[one("t1", port, "10.00", "")]));
    let out = caller(&dir, &switch, "uac_refused.xml", Some(403), &[]);
    assert_ok(&out, "caller expecting 403", &switch);
    assert!(
        call_ids_received(&sock, Duration::from_millis(500)).is_empty(),
        "no INVITE may leave for a buyer"
    );
}

#[test]
fn an_unknown_number_gets_404() {
    if !have_sipp() {
        return;
    }
    let dir = Scratch::new();
    let (sock, port) = counting_buyer();
    let switch = Switch::start(&market("127.0.0.1", &[one("t1", port, "10.00", "")]));
    let sf = scenario("uac_refused.xml", Some(404), &dir);
    let out = caller_cmd(&dir, &switch, &sf, "18005550199", &[])
        .output()
        .unwrap();
    assert_ok(&out, "caller expecting 404", &switch);
    assert!(call_ids_received(&sock, Duration::from_millis(300)).is_empty());
}

#[test]
fn a_retransmitted_invite_makes_exactly_one_outbound_invite() {
    let (sock, port) = counting_buyer();
    let switch = Switch::start(&market("127.0.0.1", &[one("t1", port, "10.00", "")]));
    let caller_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let me = caller_sock.local_addr().unwrap();
    let invite = format!(
        "INVITE sip:{DIALED}@{sip} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-retrans-1;rport\r\n\
         From: <sip:{CALLER}@{me}>;tag=abc\r\nTo: <sip:{DIALED}@{sip}>\r\nCall-ID: retrans-test@{me}\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:{CALLER}@{me}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        sip = switch.sip()
    );
    for _ in 0..3 {
        caller_sock
            .send_to(invite.as_bytes(), switch.sip())
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let ids = call_ids_received(&sock, Duration::from_millis(1500));
    assert_eq!(
        ids.len(),
        1,
        "three copies of one INVITE make one outbound call: {ids:?}\n{}",
        switch.log()
    );
}

#[test]
fn a_3kb_invite_over_tcp() {
    if !have_sipp() {
        return;
    }
    let dir = Scratch::new();
    let b = free_port();
    let switch = Switch::start(&market("127.0.0.1", &[one("t1", b, "10.00", "")]));
    let buyer_sipp = buyer(&dir, "uas_answer.xml", b, 1, &[]);
    let big = std::fs::read_to_string(format!("{SCENARIOS}/uac_call.xml"))
        .unwrap()
        .replacen(
            "Max-Forwards: 70",
            &format!("Max-Forwards: 70\n      X-Padding: {}", "x".repeat(2600)),
            1,
        );
    let sf = dir.write("uac_big.xml", &big);
    let out = caller_cmd(&dir, &switch, &sf, DIALED, &["-t", "t1", "-d", "200"])
        .output()
        .unwrap();
    assert_ok(&out, "TCP caller with a 3 kB INVITE", &switch);
    finish(buyer_sipp, "buyer", &switch);
}

#[test]
fn sigterm_refuses_new_calls_and_lets_live_ones_finish() {
    if !have_sipp() {
        return;
    }
    let dir = Scratch::new();
    let b = free_port();
    let switch = Switch::start(&market("127.0.0.1", &[one("t1", b, "10.00", "")]));
    let buyer_sipp = buyer(&dir, "uas_answer.xml", b, 1, &[]);
    let sf = scenario("uac_call.xml", None, &dir);
    let live_call = caller_cmd(&dir, &switch, &sf, DIALED, &["-d", "1200"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    switch.terminate();
    std::thread::sleep(Duration::from_millis(100));
    let sf = scenario("uac_refused.xml", Some(503), &dir);
    let refused = caller_cmd(&dir, &switch, &sf, DIALED, &[])
        .output()
        .unwrap();
    assert_ok(&refused, "a new call while draining gets 503", &switch);
    finish(live_call, "the call already up", &switch);
    finish(buyer_sipp, "buyer", &switch);
}
