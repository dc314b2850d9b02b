//! A bid changed through the API reaches the running switch's market
//! within a second, without a restart: the next sipp call goes to the
//! buyer that now bids highest.

use crate::api_market_support::*;
use crate::pg::backends;
use crate::sip_support::*;
use crate::support::Scratch;
use serde_json::json;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

/// Two buyers, one target each: `low` (port `b1`) first outbids `high`.
fn two_buyer_market(b1: u16, b2: u16) -> String {
    format!(
        "[[seller]]\nname = \"s\"\ntrunks = [\"127.0.0.1\"]\n\n\
         [[buyer]]\nname = \"b1\"\nbalance = \"1000.00\"\n\n[[buyer]]\nname = \"b2\"\nbalance = \"1000.00\"\n\n\
         [[campaign]]\nname = \"c\"\nseller = \"s\"\nnumbers = [\"+{DIALED}\"]\npayout = \"1.00\"\n\n\
         [[target]]\nname = \"first\"\nbuyer = \"b1\"\ncampaign = \"c\"\ndestination = \"sip:buyer@127.0.0.1:{b1}\"\n\
         bid = \"10.00\"\nring_timeout = \"2s\"\n\n\
         [[target]]\nname = \"second\"\nbuyer = \"b2\"\ncampaign = \"c\"\ndestination = \"sip:buyer@127.0.0.1:{b2}\"\n\
         bid = \"5.00\"\n"
    )
}

/// INVITEs that reached a socket within `wait`.
fn invites(sock: &UdpSocket, wait: Duration) -> usize {
    let mut n = 0;
    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if let Ok((len, _)) = sock.recv_from(&mut buf) {
            n += usize::from(buf[..len].starts_with(b"INVITE "));
        }
    }
    n
}

#[test]
fn a_bid_raised_through_the_api_wins_the_next_call() {
    if !have_sipp() {
        return;
    }
    for db in backends() {
        let dir = Scratch::new();
        // The old winner only listens: an INVITE reaching it is the failure.
        let first = UdpSocket::bind("127.0.0.1:0").unwrap();
        first
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let b1 = first.local_addr().unwrap().port();
        let b2 = free_port();
        let env = api_env(&db);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let switch = Switch::start_with(&two_buyer_market(b1, b2), &env);
        let h = Http::of(&switch);
        let admin = h.admin();
        let second = h.get("/targets?name=second", &admin);
        let id = second.body["items"][0]["id"].as_i64().unwrap();
        let buyer = h.user(&admin, "buyer", 2, "b2@buyer.example");

        let raised = h.put(
            &format!("/targets/{id}/bid"),
            &buyer,
            json!({ "bid": "15.00" }),
        );
        assert_eq!(raised.status, 200, "{}", raised.body);
        // One reload interval (500 ms) and margin.
        std::thread::sleep(Duration::from_millis(1000));

        let answers = buyer_sipp(&dir, b2);
        let out = caller(&dir, &switch, "uac_call.xml", None, &[]);
        assert_ok(&out, "caller", &switch);
        finish(answers, "the new highest bidder", &switch);
        assert_eq!(
            invites(&first, Duration::from_millis(200)),
            0,
            "the old highest bidder got the call"
        );
    }
}

fn buyer_sipp(dir: &Scratch, port: u16) -> std::process::Child {
    buyer(dir, "uas_answer.xml", port, 1, &[])
}
