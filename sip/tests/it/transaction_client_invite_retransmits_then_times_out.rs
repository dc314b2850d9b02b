//! RFC 3261 §17.1.1.2 over UDP: Timer A retransmits the INVITE at T1, 2·T1,
//! 4·T1, ... with no cap, until Timer B (64·T1 = 32 s) ends the transaction
//! with a timeout for the TU.

use dce_sip::{Event, Method};

use crate::transaction_common::*;

#[test]
fn client_invite_retransmits_then_times_out() {
    let mut sim = Sim::new();
    let key = sim.tsx.send_request(sim.at(0), outgoing("INVITE"), buyer());
    assert_eq!(key.method(), &Method::INVITE);
    assert_eq!(sim.sent_to(), [("INVITE".to_owned(), buyer())]);
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(500)));
    assert_eq!(sim.tsx.len(), 1);

    // Nothing is due before Timer A.
    sim.tsx.handle_timeout(sim.at(499));
    assert!(sim.sent().is_empty());

    assert_eq!(
        sim.drain(),
        ladder(&[
            (500, "INVITE"),          // A = T1
            (1500, "INVITE"),         // A = 2·T1
            (3500, "INVITE"),         // A = 4·T1
            (7500, "INVITE"),         // A = 8·T1
            (15500, "INVITE"),        // A = 16·T1
            (31500, "INVITE"),        // A = 32·T1 (no T2 cap for INVITE)
            (32000, "event Timeout"), // B = 64·T1
        ])
    );
    let _ = key;
}

#[test]
fn timeout_names_the_transaction() {
    let mut sim = Sim::new();
    let key = sim.tsx.send_request(sim.at(0), outgoing("INVITE"), buyer());
    sim.tsx.handle_timeout(sim.at(32_000));
    let timeouts: Vec<_> = sim
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Timeout { key } => Some(key),
            _ => None,
        })
        .collect();
    assert_eq!(timeouts, [key]);
    assert_eq!(sim.tsx.len(), 0);
}
