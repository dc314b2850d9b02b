//! PostgreSQL goes away for 30 s while calls complete: CDRs go to the
//! spool, calls keep flowing, and when the database returns every CDR
//! arrives exactly once. The outage is a TCP proxy the test cuts.

use crate::pg::{database_url, fresh_schema};
use crate::sip_support::*;
use crate::support::{stdout, Scratch};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A TCP proxy to PostgreSQL that can be cut (every connection dropped,
/// new ones refused) and restored.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, conns2) = (up.clone(), conns.clone());
        std::thread::spawn(move || {
            for inbound in listener.incoming() {
                let Ok(inbound) = inbound else { continue };
                if !up2.load(Ordering::SeqCst) {
                    let _ = inbound.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(outbound) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let mut list = conns2.lock().unwrap();
                list.push(inbound.try_clone().unwrap());
                list.push(outbound.try_clone().unwrap());
                pump(inbound.try_clone().unwrap(), outbound.try_clone().unwrap());
                pump(outbound, inbound);
            }
        });
        Proxy { port, up, conns }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// A fresh schema of the test database, and its URL through the proxy.
fn schema_behind(proxy: &Proxy, url: &str) -> String {
    let schema = fresh_schema(url);
    let rest = url.split_once("@").map_or(url, |(_, r)| r);
    let (_, db) = rest.split_once('/').unwrap_or((rest, "test"));
    let db = db.split('?').next().unwrap_or("test");
    format!(
        "postgres://postgres@127.0.0.1:{}/{db}?options=-c%20search_path%3D{schema}",
        proxy.port
    )
}

#[test]
fn a_30_second_database_outage_loses_and_duplicates_no_cdr() {
    let Some(url) = database_url() else { return };
    if !have_sipp() {
        return;
    }
    let upstream = url.split_once('@').map_or("127.0.0.1:5432", |(_, r)| {
        r.split('/').next().unwrap_or("127.0.0.1:5432")
    });
    let upstream = if upstream.contains(':') {
        upstream.to_string()
    } else {
        format!("{upstream}:5432")
    };
    let proxy = Proxy::start(upstream);
    let db = schema_behind(&proxy, &url);
    let dir = Scratch::new();
    let b = free_port();
    let market = market(
        "127.0.0.1",
        &[Buyer {
            name: "t1",
            port: b,
            bid: "10.00",
            extra: "",
        }],
    )
    .replace(
        "payout = \"1.00\"\n",
        "payout = \"4.00\"\nbillable_after = \"1s\"\n",
    )
    .replace("balance = \"10000.00\"", "balance = \"1000.00\"");
    let switch = Switch::start_with(
        &market,
        &[
            ("DCE_FRAUD_MAX_CALLS_PER_CALLER", "0"),
            ("DCE_DATABASE_URL", &db),
        ],
    );
    let buyer_sipp = buyer(&dir, "uas_answer.xml", b, 20, &[]);

    let before = caller(
        &dir,
        &switch,
        "uac_call.xml",
        None,
        &["-m", "5", "-r", "10", "-d", "1500"],
    );
    assert_ok(&before, "calls before the outage", &switch);
    proxy.cut();
    let started = std::time::Instant::now();
    let during = caller(
        &dir,
        &switch,
        "uac_call.xml",
        None,
        &["-m", "15", "-r", "5", "-d", "1500", "-l", "20"],
    );
    assert_ok(&during, "calls during the outage keep flowing", &switch);
    std::thread::sleep(Duration::from_secs(30).saturating_sub(started.elapsed()));
    proxy.restore();
    finish(buyer_sipp, "buyer", &switch);

    // The spool is replayed every 2 s once the database answers again.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let cdrs = loop {
        let out = switch.dce(&["cdr", "list", "--json"]);
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
            let closed = v
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["ended_at"].is_i64())
                .count();
            if closed == 20 {
                break v;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "CDRs did not all arrive:\n{}",
            switch.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let cdrs = cdrs.as_array().unwrap();
    let mut ids: Vec<&str> = cdrs.iter().map(|c| c["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "every CDR exactly once");
    assert!(cdrs.iter().all(|c| c["billable"] == true));
    let balances = switch.dce(&["ledger", "balances", "--json"]);
    let balances: serde_json::Value = serde_json::from_str(&stdout(&balances)).unwrap();
    let buyer = balances
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["account"] == "buyer:1")
        .unwrap();
    assert_eq!(
        buyer["balance"], "800.00",
        "20 x 10.00 charged once each: {balances}"
    );
    assert!(switch.dce(&["ledger", "check"]).status.success());
}
