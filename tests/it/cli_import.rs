//! `dce import`: validation errors with line and field; idempotent upserts.

use crate::support::*;

#[test]
fn imports_the_example_twice_without_duplicating() {
    let s = Scratch::new();
    let first = s.dce(&["import", EXAMPLE]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("7 created, 0 updated"),
        "{}",
        stdout(&first)
    );
    let second = s.dce(&["import", EXAMPLE]);
    assert!(
        stdout(&second).contains("0 created, 7 updated"),
        "{}",
        stdout(&second)
    );
}

#[test]
fn invalid_files_name_line_and_field_and_write_nothing() {
    let s = Scratch::new();
    let bad = s.write(
        "bad.toml",
        "[[buyer]]\nname = \"b\"\nbalance = \"ten\"\n\n[[target]]\nname = \"t\"\nbuyer = \"b\"\ncampaign = \"c\"\ndestination = \"tel:123\"\nbid = \"1.00\"\n",
    );
    let out = s.dce(&["import", p(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("bad.toml:line 3: buyer.balance:"), "{err}");
    assert!(
        err.contains("bad.toml:line 9: target.destination:"),
        "{err}"
    );

    let dangling = s.write("dangling.toml", "[[target]]\nname = \"t\"\nbuyer = \"nobody\"\ncampaign = \"c\"\ndestination = \"sip:a@127.0.0.1\"\nbid = \"1.00\"\n");
    let out = s.dce(&["import", p(&dangling)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("line 1: target.buyer: no buyer named \"nobody\""),
        "{}",
        stderr(&out)
    );
    let check = s.dce(&["import", "--check", EXAMPLE]);
    assert!(stdout(&check).contains("valid"));
}

#[test]
fn flags_override_environment_which_overrides_the_file() {
    let s = Scratch::new();
    let cfg = s.write(
        "dce.toml",
        &format!(
            "[database]\nurl = \"sqlite://{}\"\n",
            s.path("from-file.db").display()
        ),
    );
    let from_env = s
        .command(&["--config", p(&cfg), "import", EXAMPLE])
        .output()
        .unwrap();
    assert!(from_env.status.success(), "{}", stderr(&from_env));
    assert!(s.path("dce.db").exists(), "DCE_DATABASE_URL beats the file");
    let flag_db = format!("sqlite://{}", s.path("from-flag.db").display());
    let from_flag = s
        .command(&[
            "--config",
            p(&cfg),
            "--database",
            &flag_db,
            "import",
            EXAMPLE,
        ])
        .output()
        .unwrap();
    assert!(from_flag.status.success());
    assert!(
        s.path("from-flag.db").exists(),
        "--database beats the environment"
    );
    assert!(!s.path("from-file.db").exists());
}

#[test]
fn a_top_up_moves_a_buyers_balance_through_the_ledger() {
    let s = Scratch::new();
    assert!(s.dce(&["import", EXAMPLE]).status.success());
    let out = s.dce(&[
        "ledger",
        "top-up",
        "--buyer",
        "callcenter-b",
        "--amount",
        "25.50",
        "--reason",
        "wire 1234",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let balances: serde_json::Value =
        serde_json::from_str(&stdout(&s.dce(&["ledger", "balances", "--json"]))).unwrap();
    let b = balances
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["account"] == "buyer:2")
        .unwrap();
    assert_eq!(b["balance"], "275.50", "250.00 opening + 25.50");
    assert!(s.dce(&["ledger", "check"]).status.success());
    let bad = s.dce(&[
        "ledger",
        "top-up",
        "--buyer",
        "callcenter-b",
        "--amount",
        "-1.00",
        "--reason",
        "x",
    ]);
    assert!(!bad.status.success());
    let unknown = s.dce(&[
        "ledger", "top-up", "--buyer", "nobody", "--amount", "1.00", "--reason", "x",
    ]);
    assert!(stderr(&unknown).contains("no such buyer"));
}
