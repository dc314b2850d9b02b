//! RFC 3261 §17.2.1 over UDP: a non-2xx final is retransmitted by Timer G
//! (T1 doubling up to T2) until an ACK or Timer H (64·T1), which tells the
//! TU the ACK never came.

use dce_sip::Event;

use crate::transaction_common::*;

#[test]
fn final_retransmitted_by_g_until_h() {
    let mut sim = Sim::new();
    let invite = request("INVITE", "z9hG4bK-gh");
    sim.recv(0, invite.clone(), carrier());
    let key = match &sim.events()[..] {
        [Event::Request { key, .. }] => key.clone(),
        other => panic!("{other:?}"),
    };
    sim.sent();

    let respond = sim
        .tsx
        .respond(sim.at(1000), &key, response(&invite, 404, Some("dce")));
    assert_eq!(respond, Ok(()));
    assert_eq!(sim.sent_lines(), ["404 INVITE"]);
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(1500)));

    assert_eq!(
        sim.drain(),
        ladder(&[
            (1500, "404 INVITE"), // G = T1
            (2500, "404 INVITE"), // G = 2·T1
            (4500, "404 INVITE"), // G = 4·T1
            (8500, "404 INVITE"), // G = T2
            (12500, "404 INVITE"),
            (16500, "404 INVITE"),
            (20500, "404 INVITE"),
            (24500, "404 INVITE"),
            (28500, "404 INVITE"),
            (32500, "404 INVITE"),
            (33000, "event AckTimeout"), // H = 64·T1
        ])
    );
}

#[test]
fn ack_timeout_names_the_transaction() {
    let mut sim = Sim::new();
    let invite = request("INVITE", "z9hG4bK-gh2");
    sim.recv(0, invite.clone(), carrier());
    let key = match &sim.events()[..] {
        [Event::Request { key, .. }] => key.clone(),
        other => panic!("{other:?}"),
    };
    let _ = sim
        .tsx
        .respond(sim.at(0), &key, response(&invite, 503, Some("dce")));
    sim.tsx.handle_timeout(sim.at(32_000));
    let late: Vec<_> = sim
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::AckTimeout { key } => Some(key),
            _ => None,
        })
        .collect();
    assert_eq!(late, [key]);
    assert_eq!(sim.tsx.len(), 0);
}
