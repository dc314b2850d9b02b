//! Calls, traces, reports and money over the management API, after a real
//! sipp call through `dce serve`: what the admin, the answering buyer,
//! another buyer and the seller each see.

use crate::api_support::*;
use crate::pg::backends;
use crate::sip_support::*;
use crate::support::Scratch;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Seller 1; buyer 1 (target 1, bid 10.00, the sipp buyer on `port`),
/// buyer 2 (target 2, bid 5.00, ranked second, never tried), buyer 3 (no
/// target); campaign 1 pays 4.00 past 1 s.
pub fn market_for_api(port: u16) -> String {
    format!(
        "[[seller]]\nname = \"s\"\ntrunks = [\"127.0.0.1\"]\n\n\
         [[buyer]]\nname = \"b1\"\nbalance = \"1000.00\"\n\n\
         [[buyer]]\nname = \"b2\"\nbalance = \"1000.00\"\n\n\
         [[buyer]]\nname = \"b3\"\nbalance = \"1000.00\"\n\n\
         [[campaign]]\nname = \"c\"\nseller = \"s\"\nnumbers = [\"+{DIALED}\"]\npayout = \"4.00\"\nbillable_after = \"1s\"\n\n\
         [[target]]\nname = \"t1\"\nbuyer = \"b1\"\ncampaign = \"c\"\ndestination = \"sip:buyer@127.0.0.1:{port}\"\nbid = \"10.00\"\n\n\
         [[target]]\nname = \"t2\"\nbuyer = \"b2\"\ncampaign = \"c\"\ndestination = \"sip:buyer@127.0.0.1:9\"\nbid = \"5.00\"\n"
    )
}

pub const ENV: [(&str, &str); 2] = [
    ("DCE_API_RATE_LIMIT_PER_SECOND", "0"),
    ("DCE_FRAUD_MAX_CALLS_PER_CALLER", "0"),
];

/// A seller account for seller `seller_id` and a user in it; its token.
pub fn seller_user(api: &Api, admin: &str, seller_id: i64, email: &str) -> String {
    let a = api.post(
        "/api/v1/accounts",
        Some(admin),
        json!({ "name": format!("seller {seller_id}"), "kind": "seller", "seller_id": seller_id }),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let u = api.post(
        "/api/v1/users",
        Some(admin),
        json!({ "email": email, "password": "seller password 1", "account_id": a.body["id"] }),
    );
    assert_eq!(u.status, 201, "{}", u.body);
    api.login(email, "seller password 1")["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// One sipp call answered by the sipp buyer on `port` and held 1.5 s
/// (billable); waits until its record is rated and returns its id.
pub fn one_call(api: &Api, admin: &str, port: u16) -> String {
    let dir = Scratch::new();
    let buyer_sipp = buyer(&dir, "uas_answer.xml", port, 1, &[]);
    let out = caller(&dir, &api.switch, "uac_call.xml", None, &["-d", "1500"]);
    assert_ok(&out, "caller", &api.switch);
    finish(buyer_sipp, "buyer", &api.switch);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = api.get("/api/v1/calls", Some(admin));
        assert_eq!(r.status, 200, "{}", r.body);
        if let Some(c) = r.body["items"].as_array().and_then(|i| i.first()) {
            if c["status"] == "closed" {
                return c["id"].as_str().unwrap().to_string();
            }
        }
        assert!(Instant::now() < deadline, "no rated call: {}", r.body);
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn items(r: &Reply) -> &Vec<Value> {
    r.body["items"].as_array().unwrap()
}

fn events_of(detail: &Value) -> Vec<&str> {
    detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

#[test]
fn a_real_call_is_listed_detailed_traced_and_reported_per_role() {
    if !have_sipp() {
        return;
    }
    for db in backends() {
        let port = free_port();
        let api = Api::start_market(&db, &market_for_api(port), &ENV);
        let admin = api.admin();
        let (_, b1) = api.buyer_user(&admin, 1, "b1@buyer.example");
        let (_, b2) = api.buyer_user(&admin, 2, "b2@buyer.example");
        let seller = seller_user(&api, &admin, 1, "s@seller.example");
        let id = one_call(&api, &admin, port);

        // Admin: everything.
        let list = api.get("/api/v1/calls", Some(&admin));
        let c = &items(&list)[0];
        assert_eq!(items(&list).len(), 1, "{}", list.body);
        assert_eq!(c["buyer_id"], 1);
        assert_eq!(c["target_id"], 1);
        assert_eq!(c["caller"], CALLER);
        assert_eq!(c["billable"], true);
        assert_eq!(c["hangup_cause"], "bye");
        assert_eq!(
            (&c["charge"], &c["payout"], &c["margin"]),
            (&json!("10.00"), &json!("4.00"), &json!("6.00"))
        );
        let d = api.get(&format!("/api/v1/calls/{id}"), Some(&admin));
        assert_eq!(d.status, 200, "{}", d.body);
        // The switch may record attempt events in between.
        let timeline = events_of(&d.body);
        assert_eq!(timeline[..2], ["arrived", "decided"], "{}", d.body);
        assert_eq!(
            timeline[timeline.len() - 2..],
            ["ended", "rated"],
            "{}",
            d.body
        );
        let ranked = d.body["decision"]["ranked"].as_array().unwrap();
        assert_eq!(ranked.len(), 2, "{}", d.body);
        assert_eq!(
            (&ranked[0]["bid"], &ranked[1]["bid"]),
            (&json!("10.00"), &json!("5.00"))
        );
        assert_eq!(d.body["attempts"][0]["outcome"], "answered");
        assert_eq!(d.body["margin"], "6.00");

        // Filters.
        for (q, n) in [
            ("outcome=billable", 1),
            ("outcome=not_answered", 0),
            ("campaign_id=1&hangup_cause=bye", 1),
            ("campaign_id=2", 0),
            ("buyer_id=1", 1),
            ("buyer_id=2", 0),
            ("seller_id=1&from=2020-01-01", 1),
            ("to=2020-01-01T00:00:00Z", 0),
        ] {
            let r = api.get(&format!("/api/v1/calls?{q}"), Some(&admin));
            assert_eq!(r.status, 200, "{q}: {}", r.body);
            assert_eq!(items(&r).len(), n, "{q}: {}", r.body);
        }
        let bad = api.get("/api/v1/calls?from=yesterday", Some(&admin));
        assert_eq!((bad.status, bad.field()), (400, "from"));

        // The answering buyer: its part, its charge; never buyer 2's bid.
        let mine = api.get("/api/v1/calls", Some(&b1));
        assert_eq!(items(&mine).len(), 1);
        assert_eq!(items(&mine)[0]["charge"], "10.00");
        assert_eq!(items(&mine)[0]["payout"], Value::Null);
        let d1 = api.get(&format!("/api/v1/calls/{id}"), Some(&b1));
        assert_eq!(d1.status, 200, "{}", d1.body);
        let ranked = d1.body["decision"]["ranked"].as_array().unwrap();
        assert_eq!(ranked.len(), 1, "{}", d1.body);
        assert_eq!(ranked[0]["buyer_id"], 1);
        assert_eq!(d1.body["decision"]["ranked_count"], Value::Null);
        assert!(!d1.body.to_string().contains("\"5.00\""), "{}", d1.body);
        assert_eq!(
            (&d1.body["payout"], &d1.body["margin"]),
            (&Value::Null, &Value::Null)
        );

        // Another buyer (ranked, never tried): nothing.
        assert!(items(&api.get("/api/v1/calls", Some(&b2))).is_empty());
        let other = api.get(&format!("/api/v1/calls/{id}"), Some(&b2));
        assert_eq!((other.status, other.code()), (404, "not_found"));
        assert_eq!(
            api.get("/api/v1/calls/no-such-call", Some(&admin)).status,
            404
        );

        // The seller: its call with its payout; no buyer, bid or charge.
        let s = api.get("/api/v1/calls", Some(&seller));
        let sc = &items(&s)[0];
        assert_eq!(
            (&sc["payout"], &sc["charge"], &sc["buyer_id"]),
            (&json!("4.00"), &Value::Null, &Value::Null)
        );
        let ds = api.get(&format!("/api/v1/calls/{id}"), Some(&seller));
        assert_eq!(ds.status, 200);
        assert_eq!(ds.body["decision"]["ranked"], json!([]));
        assert_eq!(ds.body["decision"]["ranked_count"], 2);
        assert_eq!(ds.body["attempts"][0]["target_id"], Value::Null);
        for hidden in ["\"10.00\"", "\"5.00\"", "\"6.00\""] {
            assert!(
                !ds.body.to_string().contains(hidden),
                "{hidden}: {}",
                ds.body
            );
        }

        // The trace: a ladder, and a pcap tshark reads message for message.
        let ladder = api.get(&format!("/api/v1/calls/{id}/trace"), Some(&admin));
        assert_eq!(ladder.status, 200, "{}", ladder.body);
        let lines: Vec<String> = ladder.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["first_line"].as_str().unwrap().to_string())
            .collect();
        assert!(lines[0].starts_with("INVITE "), "{lines:?}");
        for m in ["INVITE ", "ACK ", "BYE ", "SIP/2.0 200 OK"] {
            assert!(
                lines.iter().filter(|l| l.starts_with(m)).count() >= 2,
                "{m}: {lines:?}"
            );
        }
        assert_eq!(ladder.body["messages"][0]["direction"], "in");
        assert_eq!(
            api.get(&format!("/api/v1/calls/{id}/trace"), Some(&b1))
                .status,
            403
        );
        let pcap = reqwest::blocking::Client::new()
            .get(api.url(&format!("/api/v1/calls/{id}/trace.pcap")))
            .bearer_auth(&admin)
            .send()
            .unwrap();
        assert_eq!(pcap.status(), 200);
        assert_eq!(
            pcap.headers()["content-type"],
            "application/vnd.tcpdump.pcap"
        );
        let file = api.switch.scratch.path("call.pcap");
        std::fs::write(&file, pcap.bytes().unwrap()).unwrap();
        if let Some(read) = tshark_sip_lines(&file) {
            assert_eq!(
                read, lines,
                "tshark reads every SIP message of the ladder, in order"
            );
        }

        // Reports: one day, one campaign, one billable call.
        let rep = api.get("/api/v1/reports?group_by=campaign", Some(&admin));
        assert_eq!(rep.status, 200, "{}", rep.body);
        let row = &rep.body["rows"][0];
        assert_eq!(
            rep.body["rows"].as_array().unwrap().len(),
            1,
            "{}",
            rep.body
        );
        assert_eq!(
            (
                &row["group_id"],
                &row["calls"],
                &row["answered"],
                &row["billable"]
            ),
            (&json!(1), &json!(1), &json!(1), &json!(1))
        );
        assert_eq!(
            (&row["revenue"], &row["payout"], &row["margin"]),
            (&json!("10.00"), &json!("4.00"), &json!("6.00"))
        );
        assert_eq!(row["asr"], 1.0);
        assert!(row["acd"].as_f64().unwrap() >= 1.0, "{row}");
        let by_buyer = api.get("/api/v1/reports?group_by=buyer", Some(&b1));
        assert_eq!(by_buyer.body["rows"][0]["group_id"], 1, "{}", by_buyer.body);
        assert_eq!(by_buyer.body["rows"][0]["margin"], Value::Null);
        assert!(
            api.get("/api/v1/reports?group_by=seller", Some(&b2)).body["rows"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        let srep = api.get("/api/v1/reports?group_by=seller", Some(&seller));
        assert_eq!(srep.body["rows"][0]["payout"], "4.00");
        assert_eq!(srep.body["rows"][0]["revenue"], Value::Null);
        assert_eq!(
            api.get("/api/v1/reports?group_by=buyer", Some(&seller))
                .status,
            400
        );
        assert_eq!(
            api.get("/api/v1/reports?group_by=target", Some(&admin))
                .status,
            400
        );

        // The call moved money: buyer 1 paid 10.00.
        let bal = api.get("/api/v1/balances", Some(&b1));
        assert_eq!(items(&bal).len(), 1);
        assert_eq!(
            items(&bal)[0],
            json!({ "account": "buyer:1", "balance": "990.00" })
        );
    }
}

/// SIP first lines of a pcap file as tshark reads them; `None` (said)
/// without tshark.
pub fn tshark_sip_lines(file: &std::path::Path) -> Option<Vec<String>> {
    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "tshark must be installed under CI"
        );
        eprintln!("skipped: tshark is not installed (apt-get install tshark)");
        return None;
    }
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args([
            "-Y",
            "sip",
            "-T",
            "fields",
            "-e",
            "sip.Request-Line",
            "-e",
            "sip.Status-Line",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_string())
            .collect(),
    )
}

#[test]
fn an_admin_tops_up_a_buyer_and_the_ledger_stays_balanced() {
    for db in backends() {
        let api = Api::start(&db, &ENV);
        let admin = api.admin();
        let (_, b1) = api.buyer_user(&admin, 1, "a@buyer.example");
        let (_, b2) = api.buyer_user(&admin, 2, "b@buyer.example");
        // The example market opens buyer 1 at 500.00.
        let before = api.get("/api/v1/balances", Some(&admin));
        assert!(
            items(&before).contains(&json!({ "account": "buyer:1", "balance": "500.00" })),
            "{}",
            before.body
        );

        let t = api.post(
            "/api/v1/ledger/top-ups",
            Some(&admin),
            json!({ "buyer_id": 1, "amount": "25.50", "reason": "wire 42" }),
        );
        assert_eq!(t.status, 201, "{}", t.body);
        assert_eq!(
            (&t.body["amount"], &t.body["balance"]),
            (&json!("25.50"), &json!("525.50"))
        );
        let tx = t.body["transaction_id"].as_i64().unwrap();

        let mine = api.get("/api/v1/balances", Some(&b1));
        assert_eq!(
            items(&mine),
            &vec![json!({ "account": "buyer:1", "balance": "525.50" })]
        );
        let postings = api.get("/api/v1/ledger/postings", Some(&b1));
        assert_eq!(postings.status, 200, "{}", postings.body);
        let first = &items(&postings)[0];
        assert_eq!(
            (
                &first["transaction_id"],
                &first["account"],
                &first["amount"],
                &first["kind"],
                &first["reason"]
            ),
            (
                &json!(tx),
                &json!("buyer:1"),
                &json!("25.50"),
                &json!("top_up"),
                &json!("wire 42")
            )
        );
        assert!(items(&postings).iter().all(|p| p["account"] == "buyer:1"));
        let house = api.get("/api/v1/ledger/postings?account=house", Some(&admin));
        assert_eq!(items(&house)[0]["amount"], "-25.50");
        // Paging: one at a time reaches the opening balance.
        let p1 = api.get(
            "/api/v1/ledger/postings?account=buyer:1&limit=1",
            Some(&admin),
        );
        let cursor = p1.body["next_cursor"].as_str().unwrap().to_string();
        let p2 = api.get(
            &format!("/api/v1/ledger/postings?account=buyer:1&limit=1&cursor={cursor}"),
            Some(&admin),
        );
        assert_eq!(items(&p2)[0]["reason"], "opening balance", "{}", p2.body);

        // Another tenant's account, a buyer topping up, bad input.
        assert_eq!(
            api.get("/api/v1/ledger/postings?account=buyer:1", Some(&b2))
                .status,
            404
        );
        let forbidden = api.post(
            "/api/v1/ledger/top-ups",
            Some(&b1),
            json!({ "buyer_id": 1, "amount": "1.00", "reason": "x" }),
        );
        assert_eq!((forbidden.status, forbidden.code()), (403, "forbidden"));
        for (body, field) in [
            (
                json!({ "buyer_id": 1, "amount": "-1.00", "reason": "x" }),
                "amount",
            ),
            (
                json!({ "buyer_id": 1, "amount": "1.005", "reason": "x" }),
                "amount",
            ),
            (
                json!({ "buyer_id": 99, "amount": "1.00", "reason": "x" }),
                "buyer_id",
            ),
            (
                json!({ "buyer_id": 1, "amount": "1.00", "reason": " " }),
                "reason",
            ),
            (
                json!({ "buyer_id": 1, "amount": "1.00", "reason": "x", "memo": 1 }),
                "memo",
            ),
        ] {
            let r = api.post("/api/v1/ledger/top-ups", Some(&admin), body);
            assert_eq!((r.status, r.field()), (400, field), "{}", r.body);
        }

        // Audited; and the ledger's own check passes.
        let audit = api.get("/api/v1/audit?object_type=ledger_transaction", Some(&admin));
        assert_eq!(items(&audit).len(), 1, "{}", audit.body);
        assert_eq!(items(&audit)[0]["action"], "ledger.top_up");
        assert_eq!(items(&audit)[0]["after"]["balance"], "525.50");
        let check = api.switch.dce(&["ledger", "check"]);
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
        assert!(String::from_utf8_lossy(&check.stdout).contains("ledger is balanced"));
    }
}
