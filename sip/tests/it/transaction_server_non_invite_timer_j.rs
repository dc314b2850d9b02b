//! RFC 3261 §17.2.2: a non-INVITE server transaction absorbs
//! retransmissions in Trying, answers them with the last response in
//! Proceeding and Completed, and ends on Timer J (64·T1 over UDP, at once
//! over TCP).

use dce_sip::Event;

use crate::transaction_common::*;

fn key_of(events: Vec<Event>) -> dce_sip::ServerKey {
    match &events[..] {
        [Event::Request { key, .. }] => key.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn retransmissions_then_timer_j() {
    let mut sim = Sim::new();
    let bye = request("BYE", "z9hG4bK-bye-1");
    sim.recv(0, bye.clone(), carrier());
    let key = key_of(sim.events());
    assert!(sim.sent().is_empty(), "no 100 for a non-INVITE");

    sim.recv(500, bye.clone(), carrier());
    assert!(
        sim.sent().is_empty() && sim.events().is_empty(),
        "Trying absorbs"
    );

    let _ = sim
        .tsx
        .respond(sim.at(600), &key, response(&bye, 100, None));
    sim.recv(700, bye.clone(), carrier());
    assert_eq!(sim.sent_lines(), ["100 BYE", "100 BYE"]);

    assert_eq!(
        sim.tsx
            .respond(sim.at(1000), &key, response(&bye, 200, Some("d"))),
        Ok(())
    );
    sim.recv(1500, bye.clone(), carrier());
    assert_eq!(sim.sent_lines(), ["200 BYE", "200 BYE"]);
    assert!(sim.events().is_empty());

    // Timer J = 64·T1 after the final.
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(33_000)));
    sim.tsx.handle_timeout(sim.at(32_999));
    assert_eq!(sim.tsx.len(), 1);
    sim.tsx.handle_timeout(sim.at(33_000));
    assert_eq!(sim.tsx.len(), 0);
}

#[test]
fn timer_j_is_zero_over_tcp() {
    let mut sim = Sim::new();
    let bye = request_via("BYE", "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-bye-2");
    let peer = tcp("192.0.2.10:40000");
    sim.recv(0, bye.clone(), peer);
    let key = key_of(sim.events());
    let _ = sim
        .tsx
        .respond(sim.at(10), &key, response(&bye, 200, Some("d")));
    // Same connection, whatever the Via says.
    assert_eq!(sim.sent_to(), [("200 BYE".to_owned(), peer)]);
    assert_eq!(sim.tsx.len(), 0);
    assert_eq!(sim.tsx.poll_timeout(), None);
}
