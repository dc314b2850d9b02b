//! `/metrics`: a real call shows in it, `promtool` accepts it, and what
//! deploy/ builds on it (alert rules, the Grafana dashboard) reads only
//! metrics a running switch exposes.

use crate::sip_support::*;
use crate::support::Scratch;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy");

/// Whether promtool (Debian package `prometheus`) is installed; under CI
/// it must be.
fn have_promtool() -> bool {
    let ok = Command::new("promtool").arg("--version").output().is_ok();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "promtool (Debian package prometheus) must be installed under CI"
        );
        eprintln!("skipped: promtool is not installed (apt-get install prometheus)");
    }
    ok
}

/// The body of `GET path`.
fn get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    out.split_once("\r\n\r\n").unwrap().1.to_string()
}

/// The value of the sample named exactly `series` (name and labels as
/// exposed), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
}

/// Sample names of an exposition.
fn sample_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap().to_string())
        .collect()
}

/// `promtool ARGS` with `stdin`; panics with its output unless it succeeds.
fn promtool(args: &[&str], stdin: &str) {
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool {args:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A switch that has bridged one call and refused one (an invalid caller
/// id: blocked by the auction, `503`), and its `/metrics` once both ended.
fn scrape_after_two_calls() -> (Switch, String) {
    let dir = Scratch::new();
    let b = free_port();
    let switch = Switch::start(&market(
        "127.0.0.1",
        &[
            Buyer {
                name: "t1",
                port: b,
                bid: "10.00",
                extra: "",
            },
            Buyer {
                name: "off",
                port: b,
                bid: "20.00",
                extra: "enabled = false",
            },
        ],
    ));
    let answers = buyer(&dir, "uas_answer.xml", b, 1, &[]);
    let out = caller(&dir, &switch, "uac_call.xml", None, &[]);
    assert_ok(&out, "caller", &switch);
    finish(answers, "buyer", &switch);

    let refused = std::fs::read_to_string(format!("{SCENARIOS}/uac_refused.xml"))
        .unwrap()
        .replace("\"CODE\"", "\"503\"")
        .replace("[caller]", "12345");
    let sf = dir.write("uac_invalid_caller.xml", &refused);
    let out = caller_cmd(&dir, &switch, &sf, DIALED, &[])
        .output()
        .unwrap();
    assert_ok(&out, "caller with an invalid caller id", &switch);

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = get(switch.http_port, "/metrics");
        if value(
            &text,
            "dce_calls_failed_total{cause=\"no_eligible_target\"}",
        ) == Some(1.0)
            && value(&text, "dce_calls_ended_total{cause=\"caller_bye\"}") == Some(1.0)
            && text.contains("route=\"/metrics\"")
        {
            return (switch, text);
        }
        assert!(
            Instant::now() < deadline,
            "the calls never showed:\n{text}\n--- dce log ---\n{}",
            switch.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_call_shows_in_metrics_and_promtool_accepts_them() {
    if !have_sipp() {
        return;
    }
    let (switch, text) = scrape_after_two_calls();
    let v = |series: &str| value(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
    assert_eq!(v("dce_calls_arrived_total"), 2.0);
    assert_eq!(v("dce_calls_answered_total"), 1.0);
    assert_eq!(v("dce_calls_active"), 0.0);
    assert_eq!(v("dce_calls_shed_total"), 0.0);
    assert!(v("dce_sip_requests_received_total{method=\"INVITE\"}") >= 2.0);
    assert!(v("dce_sip_requests_sent_total{method=\"INVITE\"}") >= 1.0);
    assert!(v("dce_sip_requests_received_total{method=\"BYE\"}") >= 1.0);
    assert!(v("dce_sip_responses_received_total{code=\"200\"}") >= 1.0);
    assert!(v("dce_sip_responses_sent_total{code=\"100\"}") >= 2.0);
    assert!(v("dce_sip_responses_sent_total{code=\"503\"}") >= 1.0);
    // Only the bridged call sent an INVITE on; both were decided.
    assert_eq!(v("dce_invite_delay_seconds_count"), 1.0);
    assert_eq!(v("dce_invite_delay_seconds_bucket{le=\"+Inf\"}"), 1.0);
    assert!(v("dce_invite_delay_seconds_sum") > 0.0);
    assert_eq!(v("dce_decision_duration_seconds_count"), 2.0);
    assert!(v("dce_decision_exclusions_total{reason=\"disabled\"}") >= 1.0);
    assert_eq!(
        v("dce_calls_blocked_total{reason=\"invalid_caller_id\"}"),
        1.0
    );
    assert_eq!(v("dce_database_up"), 1.0);
    assert_eq!(v("dce_spool_bytes"), 0.0);
    assert_eq!(v("dce_counters_degraded{backend=\"local\"}"), 0.0);
    assert!(v("dce_market_version") >= 1.0);
    assert!(
        text.contains("dce_http_request_duration_seconds_count{route=\"/metrics\",method=\"GET\",status=\"2xx\"}"),
        "{text}"
    );

    // /stats/switch (the load scripts read it) still answers the same.
    let stats: serde_json::Value =
        serde_json::from_str(&get(switch.http_port, "/stats/switch")).unwrap();
    assert_eq!(stats["arrived"], 2);
    assert_eq!(stats["answered"], 1);
    assert_eq!(stats["ended"], 2);
    assert_eq!(stats["invite_delay"]["count"], 1);

    if have_promtool() {
        promtool(&["check", "metrics"], &text);
    }
}

#[test]
fn the_alert_rules_pass_promtool_and_their_tests() {
    if !have_promtool() {
        return;
    }
    let rules = format!("{DEPLOY}/prometheus/alerts.yml");
    promtool(&["check", "rules", &rules], "");
    promtool(
        &[
            "test",
            "rules",
            &format!("{DEPLOY}/prometheus/alerts_test.yml"),
        ],
        "",
    );
}

/// Every `expr` in a dashboard (panels, rows' panels, template queries).
fn exprs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("expr", serde_json::Value::String(e)) => out.push(e.clone()),
                    ("query", serde_json::Value::String(q)) if q.contains("dce_") => {
                        out.push(q.clone())
                    }
                    _ => exprs(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| exprs(v, out)),
        _ => {}
    }
}

/// The `dce_…` metric names a PromQL expression reads.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("dce_") {
        let preceded_by_word = rest[..i]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if !preceded_by_word {
            names.push(tail[..end].to_string());
        }
        rest = &tail[end..];
    }
    names
}

#[test]
fn the_dashboard_and_the_alerts_read_only_metrics_dce_exposes() {
    if !have_sipp() {
        return;
    }
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{DEPLOY}/grafana/dce-dashboard.json")).unwrap(),
    )
    .expect("the dashboard is JSON");
    assert!(dashboard["title"].is_string() && dashboard["panels"].is_array());
    let mut all = Vec::new();
    exprs(&dashboard, &mut all);
    assert!(all.len() >= 15, "a dashboard with its queries: {all:?}");
    let rules = std::fs::read_to_string(format!("{DEPLOY}/prometheus/alerts.yml")).unwrap();
    all.extend(
        rules
            .lines()
            .filter(|l| l.contains("dce_"))
            .map(str::to_string),
    );

    let (_switch, text) = scrape_after_two_calls();
    let exposed = sample_names(&text);
    let missing: BTreeSet<String> = all
        .iter()
        .flat_map(|e| metric_names(e))
        .filter(|n| !exposed.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "read by deploy/ but not exposed: {missing:?}\nexposed: {exposed:?}"
    );
}

#[test]
fn metric_names_are_found_in_promql() {
    assert_eq!(
        metric_names(
            "histogram_quantile(0.99, sum by (le) (rate(dce_invite_delay_seconds_bucket{instance=~\"$instance\"}[5m]))) / x_dce_not"
        ),
        ["dce_invite_delay_seconds_bucket"]
    );
}
