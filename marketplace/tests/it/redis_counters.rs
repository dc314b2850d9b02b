//! The Redis counters against a real Redis: shared limits across nodes,
//! leases that free a dead node's slots, and the fallback when Redis goes.

use crate::services::{redis_url, unique};
use crate::support::*;
use dce_marketplace::counters::{Counters, HistoryQuery, RedisCounters};
use dce_marketplace::domain::*;
use dce_marketplace::Reason;
use std::time::Duration;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};

async fn node(url: &str, prefix: &str) -> RedisCounters {
    RedisCounters::connect(url, prefix, Duration::from_secs(3600))
        .await
        .expect("connect to REDIS_URL")
}

#[tokio::test]
async fn two_nodes_share_concurrency_caps_and_balance() {
    let Some(url) = redis_url() else { return };
    let prefix = unique("dce");
    let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
    let mut t = target(10, 1, 1, 1250);
    t.concurrency = Some(2);
    t.caps.hourly = Some(3);
    let mut m = TestMarket::new().with_target(t);
    m.data.buyers[0].balance = Money::from_minor(5000);
    // Each node has its own snapshot and live atomics, as on two machines.
    let (ma, mb) = (
        m.build(),
        TestMarket {
            registry: Default::default(),
            ..TestMarket::new().with_target(m.data.targets[0].clone())
        }
        .build(),
    );
    let (ea, eb) = (
        ma.target(TargetId(10)).unwrap(),
        mb.target(TargetId(10)).unwrap(),
    );
    eb.buyer
        .balance
        .store(5000, std::sync::atomic::Ordering::Relaxed);
    let now = monday_noon_ny();
    let bid = Money::from_minor(1250);

    let s1 = a.acquire(ea, bid, now).await.unwrap();
    let s2 = b.acquire(eb, bid, now).await.unwrap();
    assert_eq!(
        a.acquire(ea, bid, now).await.unwrap_err(),
        Reason::ConcurrencyFull
    );
    assert_eq!(
        b.acquire(eb, bid, now).await.unwrap_err(),
        Reason::ConcurrencyFull
    );
    assert_eq!(
        eb.live
            .concurrent
            .load(std::sync::atomic::Ordering::Relaxed),
        2,
        "mirrored locally"
    );
    a.release(s1, true).await;
    let s3 = b.acquire(eb, bid, now).await.unwrap();
    b.release(s3, true).await;
    assert_eq!(
        a.acquire(ea, bid, now).await.unwrap_err(),
        Reason::HourlyCapReached,
        "3 answered calls this hour"
    );
    b.release(s2, false).await;
    let s4 = a
        .acquire(ea, bid, now)
        .await
        .expect("an unanswered call gave its cap count back");
    a.release(s4, false).await;
    assert!(!a.status().degraded);
}

#[tokio::test]
async fn balance_reservations_span_nodes() {
    let Some(url) = redis_url() else { return };
    let prefix = unique("dce");
    let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
    let mut m = TestMarket::new().with_target(target(10, 1, 1, 1250));
    m.data.buyers[0].balance = Money::from_minor(2000);
    let (ma, mb) = (
        m.build(),
        TestMarket {
            registry: Default::default(),
            ..TestMarket::new()
        }
        .with_target(target(10, 1, 1, 1250))
        .build(),
    );
    mb.target(TargetId(10))
        .unwrap()
        .buyer
        .balance
        .store(2000, std::sync::atomic::Ordering::Relaxed);
    let now = monday_noon_ny();
    let held = a
        .acquire(
            ma.target(TargetId(10)).unwrap(),
            Money::from_minor(1250),
            now,
        )
        .await
        .unwrap();
    let refused = b
        .acquire(
            mb.target(TargetId(10)).unwrap(),
            Money::from_minor(1250),
            now,
        )
        .await;
    assert_eq!(refused.unwrap_err(), Reason::BalanceExhausted);
    a.release(held, false).await;
    assert!(b
        .acquire(
            mb.target(TargetId(10)).unwrap(),
            Money::from_minor(1250),
            now
        )
        .await
        .is_ok());
}

#[tokio::test]
async fn a_dead_nodes_slots_expire_with_their_lease() {
    let Some(url) = redis_url() else { return };
    let prefix = unique("dce");
    let dead = node(&url, &prefix)
        .await
        .with_lease(Duration::from_millis(300));
    let alive = node(&url, &prefix).await;
    let mut t = target(10, 1, 1, 1);
    t.concurrency = Some(1);
    let m = TestMarket::new().with_target(t);
    let market = m.build();
    let entry = market.target(TargetId(10)).unwrap();
    let now = chrono::Utc::now();
    let slot = dead
        .acquire(entry, Money::from_minor(1), now)
        .await
        .unwrap();
    std::mem::forget(slot); // the node dies holding it
    assert_eq!(
        alive
            .acquire(entry, Money::from_minor(1), now)
            .await
            .unwrap_err(),
        Reason::ConcurrencyFull
    );
    let later = now + chrono::Duration::milliseconds(400);
    assert!(alive
        .acquire(entry, Money::from_minor(1), later)
        .await
        .is_ok());
}

#[tokio::test]
async fn caller_history_is_shared() {
    let Some(url) = redis_url() else { return };
    let prefix = unique("dce");
    let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
    let now = monday_noon_ny();
    a.record_call(n(NY_CALLER), CampaignId(1), now).await;
    a.record_call(n(NY_CALLER), CampaignId(2), now).await;
    let q = HistoryQuery {
        campaign: CampaignId(1),
        velocity_window: Duration::from_secs(3600),
    };
    let h = b
        .caller_history(n(NY_CALLER), q, now + chrono::Duration::seconds(1))
        .await;
    assert_eq!(h.calls_in_velocity_window, 2);
    assert_eq!(h.last_in_campaign_ms, Some(now.timestamp_millis()));
}

/// A TCP proxy the test can cut, standing for a network failure.
async fn proxy(upstream: String) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                break;
            };
            let upstream = upstream.clone();
            conns.spawn(async move {
                if let Ok(mut out) = TcpStream::connect(upstream).await {
                    let _ = copy_bidirectional(&mut inbound, &mut out).await;
                }
            });
        }
    });
    (format!("redis://{addr}"), task)
}

#[tokio::test]
async fn without_redis_calls_keep_flowing_on_local_counters() {
    let Some(url) = redis_url() else { return };
    let upstream = url
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_string();
    let (via_proxy, cut) = proxy(upstream).await;
    let counters = node(&via_proxy, &unique("dce")).await;
    let mut t = target(10, 1, 1, 1);
    t.concurrency = Some(1);
    let market = TestMarket::new().with_target(t).build();
    let entry = market.target(TargetId(10)).unwrap();
    let now = monday_noon_ny();
    let slot = counters
        .acquire(entry, Money::from_minor(1), now)
        .await
        .unwrap();
    counters.release(slot, false).await;
    assert!(!counters.status().degraded);

    cut.abort(); // the proxy and every connection through it are gone
    let _ = cut.await;
    let slot = counters
        .acquire(entry, Money::from_minor(1), now)
        .await
        .expect("falls back");
    assert!(counters.status().degraded);
    assert_eq!(
        counters
            .acquire(entry, Money::from_minor(1), now)
            .await
            .unwrap_err(),
        Reason::ConcurrencyFull,
        "limits still hold on this node"
    );
    counters.release(slot, false).await;
    let h = counters
        .caller_history(
            n(NY_CALLER),
            HistoryQuery {
                campaign: CampaignId(1),
                velocity_window: Duration::from_secs(60),
            },
            now,
        )
        .await;
    assert_eq!(h, Default::default());
}
