//! Media anchored through a real `dce serve`: a sipp caller whose audio
//! this test plays from its own RTP socket, a sipp buyer echoing it
//! (`-rtp_echo`); and a call whose audio never starts, ended by the media
//! timeout.

use crate::sip_support::*;
use crate::support::Scratch;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

fn one_buyer(port: u16) -> String {
    market(
        "127.0.0.1",
        &[Buyer {
            name: "t1",
            port,
            bid: "10.00",
            extra: "",
        }],
    )
}

/// The `m=audio` port and `c=` address of the first message in a sipp
/// message log whose first line starts with `first_line`.
fn sdp_in_log(log: &str, first_line: &str) -> Option<(String, u16)> {
    log.split("-----------------------------------------------")
        .filter_map(|chunk| {
            let start = chunk.find(first_line)?;
            Some(&chunk[start..])
        })
        .find_map(|message| {
            let port = message
                .lines()
                .find_map(|l| l.trim().strip_prefix("m=audio "))?
                .split(' ')
                .next()?
                .parse()
                .ok()?;
            let addr = message
                .lines()
                .find_map(|l| l.trim().strip_prefix("c=IN IP4 "))?
                .trim()
                .to_string();
            Some((addr, port))
        })
}

fn wait_for_sdp(dir: &Scratch, file: &str, first_line: &str) -> (String, u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(dir.path(file)).unwrap_or_default();
        if let Some(found) = sdp_in_log(&log, first_line) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "no {first_line:?} with SDP in {file}:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A 172-byte PCMU packet (20 ms of audio).
fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0xd5u8; 172];
    p[0] = 0x80;
    p[1] = 0;
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p[8..12].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    p
}

/// The newest CDR once it carries `field` (the close is written after the
/// relay session is released).
fn cdr_with(switch: &Switch, field: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = switch.dce(&["cdr", "list", "--json"]);
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if let Some(row) = rows
            .as_array()
            .and_then(|r| r.iter().find(|c| !c[field].is_null()))
        {
            return row.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no CDR with {field}: {}\n--- dce log ---\n{}",
            String::from_utf8_lossy(&out.stdout),
            switch.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn audio_crosses_the_relay_both_ways_and_the_record_counts_it() {
    if !have_sipp() {
        return;
    }
    let dir = Scratch::new();
    let b = free_port();
    let switch = Switch::start(&one_buyer(b));
    let media_port = free_port().to_string();
    let buyer_sipp = buyer(
        &dir,
        "uas_answer.xml",
        b,
        1,
        &[
            "-rtp_echo",
            "-mp",
            &media_port,
            "-trace_msg",
            "-message_file",
            "buyer.log",
        ],
    );
    let rtp_socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let rtp_port = rtp_socket.local_addr().unwrap().port();
    let sf = scenario("uac_media.xml", None, &dir);
    let caller_sipp = caller_cmd(
        &dir,
        &switch,
        &sf,
        DIALED,
        &[
            "-d",
            "4000",
            "-key",
            "rtp_port",
            &rtp_port.to_string(),
            "-trace_msg",
            "-message_file",
            "caller.log",
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();

    // The buyer was offered DCE's relay, not the caller's address.
    let (offered_ip, offered_port) = wait_for_sdp(&dir, "buyer.log", "INVITE ");
    assert_eq!(offered_ip, "127.0.0.1");
    assert_ne!(
        offered_port, rtp_port,
        "the buyer must not see the caller's port"
    );
    assert!(
        (30_000..50_000).contains(&offered_port),
        "a relay port: {offered_port}"
    );
    // The caller's answer points at the relay's caller-facing port.
    let (_, relay_port) = wait_for_sdp(&dir, "caller.log", "SIP/2.0 200 OK");
    assert_ne!(relay_port, media_port.parse::<u16>().unwrap());

    rtp_socket
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let mut echoed = 0;
    let mut buf = [0u8; 2048];
    for seq in 0..100u16 {
        rtp_socket
            .send_to(&rtp(seq), ("127.0.0.1", relay_port))
            .unwrap();
        let until = Instant::now() + Duration::from_millis(20);
        while Instant::now() < until {
            if let Ok((n, _)) = rtp_socket.recv_from(&mut buf) {
                if n == 172 && buf[8..12] == 0x1234_5678u32.to_be_bytes() {
                    echoed += 1;
                }
            }
        }
    }
    let until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < until {
        if let Ok((n, _)) = rtp_socket.recv_from(&mut buf) {
            if n == 172 {
                echoed += 1;
            }
        }
    }
    assert!(
        echoed >= 98,
        "only {echoed} of 100 packets came back through the relay"
    );

    finish(caller_sipp, "caller", &switch);
    finish(buyer_sipp, "buyer", &switch);
    let cdr = cdr_with(&switch, "media");
    let media = &cdr["media"];
    let from_caller = media["from_caller"]["packets"].as_u64().unwrap();
    let from_buyer = media["from_buyer"]["packets"].as_u64().unwrap();
    assert!(
        from_caller >= 98,
        "relay saw {from_caller} from the caller: {media}"
    );
    assert!(
        from_buyer >= 98,
        "relay saw {from_buyer} from the buyer: {media}"
    );
    assert_eq!(media["from_caller"]["lost"], 0, "{media}");
    assert_eq!(cdr["hangup_cause"], "bye", "{cdr}");

    // As root the relay steers its ports to one socket per worker
    // (docs/media.md): the audio must then have gone that way.
    let log = switch.log();
    if log.contains("relay port steering on") {
        let metrics =
            reqwest::blocking::get(format!("http://127.0.0.1:{}/metrics", switch.http_port))
                .and_then(|r| r.text())
                .unwrap();
        let steered: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("dce_rtp_steered_packets_total "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no steered counter in /metrics:\n{metrics}"));
        assert!(
            steered >= from_caller,
            "{steered} packets steered, {from_caller} from the caller alone"
        );
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "port steering must be on under CI (root, io_uring):\n{log}"
        );
        eprintln!("port steering off here; its end-to-end check skipped");
    }
}

#[test]
fn a_call_whose_audio_never_starts_ends_with_the_media_timeout() {
    if !have_sipp() {
        return;
    }
    let dir = Scratch::new();
    let b = free_port();
    let switch = Switch::start_with(&one_buyer(b), &[("DCE_MEDIA_INACTIVITY_TIMEOUT", "2s")]);
    let buyer_sipp = buyer(&dir, "uas_answer.xml", b, 1, &[]);
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let sf = scenario("uac_media_wait_bye.xml", None, &dir);
    let started = Instant::now();
    let out = caller_cmd(&dir, &switch, &sf, DIALED, &["-key", "rtp_port", &port])
        .output()
        .unwrap();
    assert_ok(&out, "caller waiting for DCE's BYE", &switch);
    finish(buyer_sipp, "buyer", &switch);
    assert!(started.elapsed() >= Duration::from_secs(2));
    let cdr = cdr_with(&switch, "hangup_cause");
    assert_eq!(cdr["hangup_cause"], "media_timeout", "{cdr}");
    assert_eq!(cdr["hung_up_by"], "switch", "{cdr}");
    let secs = cdr["duration_secs"].as_f64().unwrap();
    assert!((1.9..10.0).contains(&secs), "connected {secs} s");
    assert_eq!(cdr["media"]["from_caller"]["packets"], 0, "{cdr}");
}
