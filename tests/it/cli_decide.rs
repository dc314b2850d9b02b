//! `dce decide`: the operator's view of a routing decision.

use crate::support::*;
use serde_json::Value;

fn decide(s: &Scratch, extra: &[&str]) -> Value {
    let mut args = vec!["decide", "--dialed", "+18005550100", "--json"];
    args.extend_from_slice(extra);
    let out = s.dce(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn ranks_by_bid_and_explains_exclusions() {
    let s = Scratch::new();
    assert!(s.dce(&["import", EXAMPLE]).status.success());
    // Monday noon in New York, a New York caller: every target open.
    let open = decide(
        &s,
        &[
            "--caller",
            "+12125551234",
            "--at",
            "2026-11-23T12:00:00-05:00",
        ],
    );
    let ranked: Vec<(&str, &str)> = open["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["target"].as_str().unwrap(), r["bid"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ranked,
        [
            ("cc-a-east", "12.50"),
            ("cc-a-west", "11.00"),
            ("cc-b-anywhere", "9.75")
        ]
    );
    // Sunday: cc-a-east is closed. A Texas caller: outside both east's states and west's area codes.
    let sunday = decide(
        &s,
        &[
            "--caller",
            "+17135550000",
            "--at",
            "2026-11-22T12:00:00-05:00",
        ],
    );
    let excluded: Vec<(&str, &str)> = sunday["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["target"].as_str().unwrap(), e["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        excluded,
        [
            ("cc-a-east", "closed_by_schedule"),
            ("cc-a-west", "state_not_allowed")
        ]
    );
    assert_eq!(sunday["ranked"][0]["target"], "cc-b-anywhere");
    // A California caller to a recorded campaign needs a disclosure.
    let ca = decide(
        &s,
        &[
            "--caller",
            "+13105551234",
            "--at",
            "2026-11-23T12:00:00-05:00",
        ],
    );
    assert_eq!(ca["disclosure_required"], true);
}

#[test]
fn table_output_and_unknown_numbers() {
    let s = Scratch::new();
    assert!(s.dce(&["import", EXAMPLE]).status.success());
    let out = s.dce(&[
        "decide",
        "--caller",
        "anonymous",
        "--dialed",
        "+18005550100",
    ]);
    let text = stdout(&out);
    assert!(text.contains("call blocked: anonymous_caller"), "{text}");
    assert!(text.contains("cc-b-anywhere") && text.contains("anonymous_caller"));
    let unknown = s.dce(&[
        "decide",
        "--caller",
        "+12125551234",
        "--dialed",
        "+18005550199",
    ]);
    assert_eq!(unknown.status.code(), Some(3));
    assert!(stdout(&unknown).contains("no campaign has the number +18005550199"));
    let bad = s.dce(&[
        "decide",
        "--caller",
        "+12125551234",
        "--dialed",
        "+18005550100",
        "--at",
        "tomorrow",
    ]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--at \"tomorrow\" is not RFC 3339"));
}
