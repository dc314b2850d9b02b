//! RFC 3261 §9.1: a CANCEL asked for before any provisional is held until
//! one arrives (the INVITE keeps retransmitting meanwhile); if a final
//! arrives first, no CANCEL is ever sent. After a CANCEL, §9.1's 64·T1
//! wait for the final runs as Timer B.

use crate::transaction_common::*;

#[test]
fn cancel_waits_for_the_first_provisional() {
    let mut sim = Sim::new();
    let invite = outgoing("INVITE");
    let key = sim.tsx.send_request(sim.at(0), invite.clone(), buyer());
    assert_eq!(sim.sent_lines(), ["INVITE"]);

    assert_eq!(sim.tsx.cancel(sim.at(100), &key), Ok(()));
    assert!(sim.sent().is_empty(), "no CANCEL before a provisional");
    assert_eq!(sim.run_until(600), ladder(&[(500, "INVITE")]));

    // The buyer's 100: the held CANCEL goes now.
    sim.recv(700, response(&invite, 100, None), buyer());
    assert_eq!(sim.event_kinds(), ["Response 100"]);
    assert_eq!(sim.sent_to(), [("CANCEL".to_owned(), buyer())]);
    assert_eq!(sim.tsx.len(), 2);

    // Timer A stopped; the CANCEL retransmits on its own Timer E.
    assert_eq!(sim.run_until(1200), ladder(&[(1200, "CANCEL")]));
    sim.recv(1300, response(&invite, 487, Some("b")), buyer());
    assert_eq!(sim.event_kinds(), ["Response 487"]);
    assert_eq!(sim.sent_lines(), ["ACK"]);
    assert_eq!(sim.drain(), cancel_retransmissions());
}

/// The CANCEL (sent at 700 ms) was never answered: it retransmits on
/// Timer E (T1 doubling to T2) until Timer F, silently.
fn cancel_retransmissions() -> Vec<(u64, String)> {
    ladder(&[
        (2200, "CANCEL"),
        (4200, "CANCEL"),
        (8200, "CANCEL"),
        (12200, "CANCEL"),
        (16200, "CANCEL"),
        (20200, "CANCEL"),
        (24200, "CANCEL"),
        (28200, "CANCEL"),
        (32200, "CANCEL"),
    ])
}

#[test]
fn a_final_first_makes_the_cancel_moot() {
    let mut sim = Sim::new();
    let invite = outgoing("INVITE");
    let key = sim.tsx.send_request(sim.at(0), invite.clone(), buyer());
    sim.sent();
    assert_eq!(sim.tsx.cancel(sim.at(100), &key), Ok(()));
    sim.recv(200, response(&invite, 486, Some("b")), buyer());
    assert_eq!(sim.event_kinds(), ["Response 486"]);
    assert_eq!(sim.sent_lines(), ["ACK"]);
    assert_eq!(sim.drain(), ladder(&[]));
}

#[test]
fn no_final_after_cancel_times_out_at_64_t1() {
    let mut sim = Sim::new();
    let invite = outgoing("INVITE");
    let key = sim.tsx.send_request(sim.at(0), invite.clone(), buyer());
    sim.recv(100, response(&invite, 180, Some("b")), buyer());
    sim.events();
    assert_eq!(sim.tsx.cancel(sim.at(5000), &key), Ok(()));
    sim.sent();
    // The CANCEL is answered, the INVITE never is.
    let mut ok = response(&invite, 200, Some("b"));
    ok.headers_mut()
        .set(dce_sip::HeaderName::CSEQ, "1 CANCEL")
        .unwrap_or_else(|e| panic!("{e}"));
    sim.recv(5100, ok, buyer());
    assert!(sim.events().is_empty());
    // Timer B again, 64·T1 after the CANCEL: the TU hears a timeout.
    let tail = sim.drain();
    assert_eq!(tail.last(), Some(&(37_000, "event Timeout".to_owned())));
}
