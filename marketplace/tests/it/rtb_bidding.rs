//! Real-time bidding against real HTTP bidders on loopback.

use crate::support::*;
use dce_marketplace::auction::{gather, RtbClient, RtbOutcome};
use dce_marketplace::counters::LocalCounters;
use dce_marketplace::domain::*;
use dce_marketplace::{decide, Reason};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A bidder: answers each path its own way. `/slow` answers after 2 s.
async fn bidder() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                break;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = 0;
                // Read the head and the JSON body (Content-Length).
                loop {
                    let Ok(k) = sock.read(&mut buf[got..]).await else {
                        return;
                    };
                    if k == 0 {
                        return;
                    }
                    got += k;
                    let text = String::from_utf8_lossy(&buf[..got]).to_string();
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let len = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if got >= head_end + 4 + len {
                            break;
                        }
                    }
                }
                let text = String::from_utf8_lossy(&buf[..got]).to_string();
                assert!(text.contains("\"caller_state\":\"NY\""), "{text}");
                assert!(
                    !text.contains("5551234"),
                    "the caller's number is never sent"
                );
                let path = text.split_whitespace().nth(1).unwrap_or("").to_string();
                let (status, body) = match path.as_str() {
                    "/bid" => (
                        "200 OK",
                        r#"{"bid":"14.25","destination":"sip:rtb@127.0.0.1:5099","expires_in_ms":60000}"#,
                    ),
                    "/nobid" => ("204 No Content", ""),
                    "/zero" => ("200 OK", r#"{"bid":"0.00"}"#),
                    "/float" => ("200 OK", r#"{"bid":14.25}"#),
                    "/error" => ("500 Internal Server Error", "{}"),
                    "/slow" => {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        ("200 OK", r#"{"bid":"99.00"}"#)
                    }
                    _ => ("404 Not Found", ""),
                };
                let reply = format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn bids_are_collected_in_parallel_under_the_deadline() {
    let base = bidder().await;
    let mut m = TestMarket::new();
    m.campaign().rtb_timeout = Duration::from_millis(150);
    for (i, path) in [
        "/bid", "/nobid", "/zero", "/float", "/error", "/slow", "/slow",
    ]
    .iter()
    .enumerate()
    {
        let mut t = target(10 + i as i64, 1, 1, 0);
        t.rtb_url = Some(format!("{base}{path}"));
        m = m.with_target(t);
    }
    let mut fixed = target(30, 2, 1, 1000);
    fixed.rtb_url = None;
    let market = m.with_target(fixed).build();
    let counters = LocalCounters::new(Duration::from_secs(60));
    let rtb = RtbClient::new();
    let now = chrono::Utc::now();

    let started = Instant::now();
    let f = gather(&market, &counters, &rtb, facts(NY_CALLER), now).await;
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_millis(600),
        "two slow bidders did not hold the call: {waited:?}"
    );
    assert!(matches!(
        f.rtb.get(TargetId(10)),
        Some(RtbOutcome::Bid { .. })
    ));
    assert_eq!(f.rtb.get(TargetId(15)), Some(&RtbOutcome::Timeout));

    let d = decide(&market, &f, now);
    let ranked: Vec<_> = d
        .ranked
        .iter()
        .map(|r| (r.target.0, r.bid.to_string()))
        .collect();
    assert_eq!(
        ranked,
        [(10, "14.25".to_string()), (30, "10.00".to_string())]
    );
    assert_eq!(
        d.ranked[0].destination.as_deref(),
        Some("sip:rtb@127.0.0.1:5099")
    );
    let reasons: Vec<_> = d.excluded.iter().map(|e| (e.target.0, e.reason)).collect();
    assert_eq!(
        reasons,
        [
            (11, Reason::RtbNoBid),
            (12, Reason::RtbNoBid),
            (13, Reason::RtbError),
            (14, Reason::RtbError),
            (15, Reason::RtbTimeout),
            (16, Reason::RtbTimeout),
        ]
    );
}

#[tokio::test]
async fn closed_targets_are_not_asked() {
    let base = bidder().await;
    let mut t = target(10, 1, 1, 0);
    t.rtb_url = Some(format!("{base}/bid"));
    t.enabled = false;
    let market = TestMarket::new().with_target(t).build();
    let f = gather(
        &market,
        &LocalCounters::new(Duration::from_secs(60)),
        &RtbClient::new(),
        facts(NY_CALLER),
        chrono::Utc::now(),
    )
    .await;
    assert!(f.rtb.is_empty());
}
