//! Every path through the layer ends with no transaction and no timer
//! left, however the calls end; stale timers never surface in
//! `poll_timeout`.

use dce_sip::{Event, HeaderName, Request, ServerKey};

use crate::transaction_common::*;

fn new_request_key(sim: &mut Sim) -> ServerKey {
    let events = sim.events();
    match events.last() {
        Some(Event::Request { key, .. }) => key.clone(),
        other => panic!("{other:?}"),
    }
}

fn acked(mut ack: Request, tag: &str) -> Request {
    let to = format!("<sip:+18005550199@dce.example.com>;tag={tag}");
    let _ = ack.headers_mut().set(HeaderName::TO, &to);
    ack
}

#[test]
fn hundred_mixed_calls_leave_nothing() {
    let mut sim = Sim::new();
    for i in 0..100u64 {
        let t = i * 10;
        let branch = format!("z9hG4bK-leak-{i}");
        let invite = request("INVITE", &branch);
        sim.recv(t, invite.clone(), carrier());
        let key = new_request_key(&mut sim);
        // Buyer leg for the same call.
        let out = outgoing("INVITE");
        let ck = sim.tsx.send_request(sim.at(t), out.clone(), buyer());
        match i % 5 {
            0 => {
                // Answered; caller ACKs end to end.
                sim.recv(t + 1, response(&out, 200, Some("b")), buyer());
                let _ = sim
                    .tsx
                    .respond(sim.at(t + 2), &key, response(&invite, 200, Some("d")));
                sim.recv(t + 3, request("ACK", &format!("{branch}-ack")), carrier());
            }
            1 => {
                // Buyer busy, caller gets 486 and ACKs.
                sim.recv(t + 1, response(&out, 486, Some("b")), buyer());
                let _ = sim
                    .tsx
                    .respond(sim.at(t + 2), &key, response(&invite, 486, Some("d")));
                sim.recv(t + 3, acked(request("ACK", &branch), "d"), carrier());
            }
            2 => {
                // Caller cancels while ringing.
                sim.recv(t + 1, response(&out, 180, Some("b")), buyer());
                sim.recv(t + 2, request("CANCEL", &branch), carrier());
                let _ = sim.tsx.cancel(sim.at(t + 2), &ck);
                let _ = sim
                    .tsx
                    .respond(sim.at(t + 3), &key, response(&invite, 487, Some("d")));
            }
            3 => {
                // Buyer never answers; caller never ACKs our 408.
                let _ = sim
                    .tsx
                    .respond(sim.at(t + 1), &key, response(&invite, 408, Some("d")));
            }
            _ => {
                // Cancel before any provisional, then the buyer's 200.
                let _ = sim.tsx.cancel(sim.at(t + 1), &ck);
                sim.recv(t + 2, response(&out, 200, Some("b")), buyer());
                let _ = sim
                    .tsx
                    .respond(sim.at(t + 3), &key, response(&invite, 603, Some("d")));
            }
        }
        // An OPTIONS ping each way.
        let ping = request("OPTIONS", &format!("{branch}-opt"));
        sim.recv(t + 4, ping.clone(), carrier());
        let okey = new_request_key(&mut sim);
        let _ = sim
            .tsx
            .respond(sim.at(t + 5), &okey, response(&ping, 200, Some("d")));
        sim.tsx
            .send_request(sim.at(t + 4), outgoing("OPTIONS"), buyer());
    }
    assert!(sim.tsx.len() > 100);
    sim.sent();
    sim.events();
    sim.drain();
}

#[test]
fn stale_timers_do_not_surface() {
    let mut sim = Sim::new();
    let invite = outgoing("INVITE");
    sim.tsx.send_request(sim.at(0), invite.clone(), buyer());
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(500))); // A
    sim.recv(100, response(&invite, 180, Some("b")), buyer());
    // A and B are stale; no timer is armed in Proceeding.
    assert_eq!(sim.tsx.poll_timeout(), None);
    sim.recv(200, response(&invite, 200, Some("b")), buyer());
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(32_200))); // M
    sim.drain();
}
