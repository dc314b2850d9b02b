//! RFC 3261 §17.1.2.2 over UDP: Timer E doubles from T1 but never beyond
//! T2 (4 s); in Proceeding it fires every T2; Timer F (64·T1) times out.

use dce_sip::Event;

use crate::transaction_common::*;

#[test]
fn timer_e_doubles_up_to_t2_then_f_times_out() {
    let mut sim = Sim::new();
    let key = sim
        .tsx
        .send_request(sim.at(0), outgoing("OPTIONS"), buyer());
    assert_eq!(sim.sent_lines(), ["OPTIONS"]);
    assert_eq!(
        sim.drain(),
        ladder(&[
            (500, "OPTIONS"),  // E = T1
            (1500, "OPTIONS"), // E = 2·T1
            (3500, "OPTIONS"), // E = 4·T1
            (7500, "OPTIONS"), // E = T2 from here on
            (11500, "OPTIONS"),
            (15500, "OPTIONS"),
            (19500, "OPTIONS"),
            (23500, "OPTIONS"),
            (27500, "OPTIONS"),
            (31500, "OPTIONS"),
            (32000, "event Timeout"), // F = 64·T1
        ])
    );
    let _ = key;
}

#[test]
fn proceeding_retransmits_every_t2() {
    let mut sim = Sim::new();
    let options = outgoing("OPTIONS");
    let key = sim.tsx.send_request(sim.at(0), options.clone(), buyer());
    sim.sent();
    assert_eq!(sim.run_until(600), ladder(&[(500, "OPTIONS")]));
    sim.recv(600, response(&options, 100, None), buyer());
    assert!(matches!(&sim.events()[..], [Event::Response { key: k, .. }] if *k == key));
    assert_eq!(
        sim.run_until(12_000),
        // E was armed for 1500 in Trying and keeps that instant; from then
        // on every T2.
        ladder(&[(1500, "OPTIONS"), (5500, "OPTIONS"), (9500, "OPTIONS")])
    );
    sim.recv(12_100, response(&options, 200, Some("b")), buyer());
    assert_eq!(sim.event_kinds(), ["Response 200"]);
    assert_eq!(sim.drain(), ladder(&[]));
}
