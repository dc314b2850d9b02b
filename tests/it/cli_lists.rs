//! `dce dnc import`: lists from CSV reach the decision.

use crate::support::*;

#[test]
fn a_number_on_the_dnc_list_is_blocked() {
    let s = Scratch::new();
    assert!(s.dce(&["import", EXAMPLE]).status.success());
    let csv = s.write("dnc.csv", "phone\n+12125551234\n(212) 555-0000\nbogus\n");
    let out = s.dce(&["dnc", "import", p(&csv)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("2 numbers read, 2 new on the dnc list"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("1 lines are not phone numbers (lines 4)"),
        "{}",
        stderr(&out)
    );
    let lit = s.write("lit.csv", "+13105551234\n");
    assert!(s
        .dce(&["dnc", "import", "--list", "litigator", p(&lit)])
        .status
        .success());

    let d = s.dce(&[
        "decide",
        "--caller",
        "+12125551234",
        "--dialed",
        "+18005550100",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&d)).unwrap();
    assert_eq!(v["blocked"], "dnc");
    let d = s.dce(&[
        "decide",
        "--caller",
        "+13105551234",
        "--dialed",
        "+18005550100",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&d)).unwrap();
    assert_eq!(v["blocked"], "litigator");
    let bad = s.dce(&["dnc", "import", "--list", "naughty", p(&csv)]);
    assert!(stderr(&bad).contains("use dnc, litigator, suppression or blocklist"));
}
