//! Billing end to end: real sipp calls through `dce serve`, rated into the
//! ledger, read back with `dce cdr list --json` and `dce ledger`.

use crate::pg::backends;
use crate::sip_support::*;
use crate::support::{stdout, Scratch};
use serde_json::Value;

fn market_for_billing(port: u16) -> String {
    market(
        "127.0.0.1",
        &[Buyer {
            name: "t1",
            port,
            bid: "10.00",
            extra: "",
        }],
    )
    .replace(
        "payout = \"1.00\"\n",
        "payout = \"4.00\"\nbillable_after = \"1s\"\n",
    )
    .replace("balance = \"10000.00\"", "balance = \"1000.00\"")
}

fn json(switch: &Switch, args: &[&str]) -> Value {
    let out = switch.dce(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        crate::support::stderr(&out)
    );
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn balance(balances: &Value, account: &str) -> String {
    balances
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["account"] == account)
        .map(|b| b["balance"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The settings of a billing test on `db` (`None`: SQLite).
fn env(db: &Option<String>) -> Vec<(&str, &str)> {
    let mut env = vec![("DCE_FRAUD_MAX_CALLS_PER_CALLER", "0")];
    if let Some(url) = db {
        env.push(("DCE_DATABASE_URL", url.as_str()));
    }
    env
}

#[test]
fn twenty_billable_calls_and_short_ones_that_are_not() {
    if !have_sipp() {
        return;
    }
    for db in backends() {
        twenty_billable_calls_on(&db);
    }
}

fn twenty_billable_calls_on(db: &Option<String>) {
    let dir = Scratch::new();
    let b = free_port();
    let switch = Switch::start_with(&market_for_billing(b), &env(db));
    let buyer_sipp = buyer(&dir, "uas_answer.xml", b, 25, &[]);
    // 20 calls held 2 s: billable after 1 s.
    let long = caller(
        &dir,
        &switch,
        "uac_call.xml",
        None,
        &["-m", "20", "-r", "20", "-d", "2000", "-l", "30"],
    );
    assert_ok(&long, "20 long calls", &switch);
    // 5 calls held 0.3 s: recorded, not billed.
    let short = caller(
        &dir,
        &switch,
        "uac_call.xml",
        None,
        &["-m", "5", "-r", "10", "-d", "300"],
    );
    assert_ok(&short, "5 short calls", &switch);
    finish(buyer_sipp, "buyer", &switch);
    // The last CDRs are written as the last BYEs are answered.
    std::thread::sleep(std::time::Duration::from_millis(500));

    let cdrs = json(&switch, &["cdr", "list", "--json"]);
    let cdrs = cdrs.as_array().unwrap();
    assert_eq!(cdrs.len(), 25, "one record per answered call");
    let billable: Vec<&Value> = cdrs.iter().filter(|c| c["billable"] == true).collect();
    assert_eq!(billable.len(), 20);
    for c in &billable {
        assert_eq!(c["charge"], "10.00");
        assert_eq!(c["payout"], "4.00");
        assert_eq!(c["hangup_cause"], "bye");
        assert!(c["duration_secs"].as_f64().unwrap() >= 1.0);
    }
    for c in cdrs.iter().filter(|c| c["billable"] == false) {
        assert_eq!(c["charge"], "0.00");
        assert!(c["duration_secs"].as_f64().unwrap() < 1.0);
    }

    let balances = json(&switch, &["ledger", "balances", "--json"]);
    assert_eq!(
        balance(&balances, "buyer:1"),
        "800.00",
        "1000.00 - 20 x 10.00: {balances}"
    );
    assert_eq!(balance(&balances, "seller:1"), "80.00", "20 x 4.00");
    // The house funded the opening top-up (-1000.00) and kept 20 x 6.00.
    assert_eq!(balance(&balances, "house"), "-880.00");
    let check = switch.dce(&["ledger", "check"]);
    assert!(check.status.success(), "{}", stdout(&check));
}

#[test]
fn a_crash_with_calls_up_loses_no_answered_call() {
    if !have_sipp() {
        return;
    }
    for db in backends() {
        crash_on(&db);
    }
}

fn crash_on(db: &Option<String>) {
    let dir = Scratch::new();
    let b = free_port();
    let mut switch = Switch::start_with(&market_for_billing(b), &env(db));
    let mut buyer_sipp = buyer(&dir, "uas_answer.xml", b, 5, &[]);
    let sf = scenario("uac_call.xml", None, &dir);
    let mut callers = caller_cmd(
        &dir,
        &switch,
        &sf,
        DIALED,
        &["-m", "5", "-r", "10", "-d", "20000"],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    // Up long enough for the CDRs to be marked alive at least once (every 5 s).
    std::thread::sleep(std::time::Duration::from_millis(6500));
    switch.crash();
    let _ = callers.kill();
    let _ = callers.wait();
    let _ = buyer_sipp.kill();
    let _ = buyer_sipp.wait();

    switch.restart();
    let cdrs = json(&switch, &["cdr", "list", "--json"]);
    let cdrs = cdrs.as_array().unwrap();
    assert_eq!(
        cdrs.len(),
        5,
        "every answered call has its record: {cdrs:?}"
    );
    for c in cdrs {
        assert_eq!(c["hangup_cause"], "switch_restart", "{c}");
        assert_eq!(c["hung_up_by"], "switch");
        assert!(c["ended_at"].is_i64(), "closed: {c}");
        let secs = c["duration_secs"].as_f64().unwrap();
        // Answered about a second after start, touched 5 s after start,
        // crashed at 6.5 s: the record ends at the touch. The lower bound
        // leaves room for a loaded machine answering late; 0 would mean
        // the touch was lost.
        assert!(
            (2.0..8.0).contains(&secs),
            "billed up to its last sign of life: {secs}"
        );
        assert_eq!(c["billable"], true);
    }
    let balances = json(&switch, &["ledger", "balances", "--json"]);
    assert_eq!(
        balance(&balances, "buyer:1"),
        "950.00",
        "5 x 10.00, once: {balances}"
    );

    // A second restart rates nothing twice.
    switch.crash();
    switch.restart();
    let again = json(&switch, &["ledger", "balances", "--json"]);
    assert_eq!(balance(&again, "buyer:1"), "950.00");
    assert!(switch.dce(&["ledger", "check"]).status.success());
}

#[test]
fn a_call_no_buyer_answers_is_recorded_and_not_billed() {
    if !have_sipp() {
        return;
    }
    let dir = Scratch::new();
    let b = free_port();
    let switch = Switch::start(&market_for_billing(b));
    let busy = buyer(&dir, "uas_busy.xml", b, 1, &[]);
    let out = caller(&dir, &switch, "uac_refused.xml", Some(480), &[]);
    assert_ok(&out, "caller refused with 480", &switch);
    finish(busy, "busy buyer", &switch);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let cdrs = json(&switch, &["cdr", "list", "--json"]);
    let cdrs = cdrs.as_array().unwrap();
    assert_eq!(cdrs.len(), 1, "{cdrs:?}");
    let c = &cdrs[0];
    assert_eq!(c["hangup_cause"], "all_targets_failed");
    assert!(c["buyer"].is_null() && c["answered_at"].is_null());
    assert_eq!(c["billable"], false);
    assert_eq!(c["attempts"][0]["status"], 486);
    let events: Vec<&str> = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "arrived",
            "decided",
            "attempt_started",
            "attempt_failed",
            "ended",
            "rated"
        ]
    );
    assert!(switch.dce(&["ledger", "check"]).status.success());
}
