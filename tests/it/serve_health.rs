//! `dce serve`: starts on the embedded defaults, imports its market file,
//! reports health, picks up market changes live, and stops on SIGTERM.

use crate::support::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn wait_for(port: u16, path: &str, want: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(r) = get(port, path) {
            if want(&r) {
                return r;
            }
        }
        assert!(Instant::now() < deadline, "timed out waiting for {path}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serves_health_reloads_the_market_and_stops_on_sigterm() {
    let s = Scratch::new();
    let port = free_port();
    let sip = free_port();
    let mut child = s
        .command(&[
            "serve",
            "--http-listen",
            &format!("127.0.0.1:{port}"),
            "--sip-listen",
            &format!("127.0.0.1:{sip}"),
            "--market",
            EXAMPLE,
        ])
        .env("DCE_MARKET_RELOAD_INTERVAL", "100ms")
        .spawn()
        .unwrap();
    let ready = wait_for(port, "/health/ready", |r| r.contains("200 OK"));
    assert!(ready.contains("\"database\":\"ok\""), "{ready}");
    assert!(ready.contains("\"backend\":\"local\""));
    let v1: i64 = version(&ready);
    assert!(get(port, "/health/live").unwrap().contains("ok"));

    // A change through the store reaches the running switch without restart.
    let changed = s.write(
        "changed.toml",
        &std::fs::read_to_string(EXAMPLE)
            .unwrap()
            .replace("\"12.50\"", "\"13.00\""),
    );
    assert!(s.dce(&["import", p(&changed)]).status.success());
    wait_for(port, "/health/ready", |r| {
        r.contains("200 OK") && version(r) > v1
    });

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "clean exit on SIGTERM: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn version(r: &str) -> i64 {
    let body = &r[r.find('{').unwrap()..];
    let v: serde_json::Value = serde_json::from_str(body.trim()).unwrap();
    v["market_version"].as_i64().unwrap()
}
