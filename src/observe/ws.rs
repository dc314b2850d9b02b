//! The live events WebSocket: one task per connected client, sending the
//! events its scope may see as JSON text frames, in the order published.
//!
//! A client that cannot keep up is closed, never waited for: when it falls
//! more than the bus's capacity behind (`Lagged`), or when one frame
//! cannot be written within [`SEND_DEADLINE`], it gets a close frame
//! (1008, with the reason) and its subscription is dropped. The switch
//! publishes without ever looking at a client.

use super::events::{EventBus, Scope};
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// How long one frame may take to reach the client's socket.
pub const SEND_DEADLINE: Duration = Duration::from_secs(2);

/// Serves `scope`'s view of the bus on `socket` until the client leaves,
/// falls behind, or the bus closes.
pub async fn serve_socket(socket: WebSocket, bus: EventBus, scope: Scope) {
    serve_socket_with(socket, bus, scope, SEND_DEADLINE).await
}

pub(crate) async fn serve_socket_with(
    mut socket: WebSocket,
    bus: EventBus,
    scope: Scope,
    send_deadline: Duration,
) {
    let mut events = bus.subscribe();
    drop(bus);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    let Some(view) = event.view_for(&scope) else {
                        continue;
                    };
                    let text = match serde_json::to_string(&view) {
                        Ok(t) => t,
                        Err(e) => {
                            tracing::error!(error = %e, "live event not serializable");
                            continue;
                        }
                    };
                    match tokio::time::timeout(send_deadline, socket.send(Message::Text(text.into()))).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => return, // the client is gone
                        Err(_) => {
                            tracing::info!(?scope, "live events client too slow; closed");
                            let why = format!("slow consumer: a frame took over {send_deadline:?}");
                            return close(socket, close_code::POLICY, &why, send_deadline).await;
                        }
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::info!(?scope, missed, "live events client fell behind; closed");
                    let why = format!("slow consumer: fell {missed} events behind");
                    return close(socket, close_code::POLICY, &why, send_deadline).await;
                }
                Err(RecvError::Closed) => {
                    return close(socket, close_code::AWAY, "shutting down", send_deadline).await;
                }
            },
            incoming = socket.recv() => match incoming {
                // Pings are answered by the library; nothing else is expected.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Sends a close frame, giving up after `deadline` (the client may be
/// the reason the socket is stuck).
async fn close(mut socket: WebSocket, code: u16, reason: &str, deadline: Duration) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    let _ = tokio::time::timeout(deadline, socket.send(frame)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::events::tests::event;
    use crate::observe::events::{Details, EventKind, LiveEvent, RankedTarget};
    use axum::extract::ws::WebSocketUpgrade;
    use axum::extract::Query;
    use axum::routing::get;
    use axum::Router;
    use dce_marketplace::domain::{BuyerId, SellerId, TargetId};
    use futures_util::StreamExt;
    use std::time::Instant;
    use tokio_tungstenite::tungstenite::Message as WsMessage;

    /// A server of the bus on 127.0.0.1 where `?scope=admin|buyer:N|seller:N`
    /// stands in for the API's authentication.
    async fn server(bus: EventBus, deadline: Duration) -> String {
        #[derive(serde::Deserialize)]
        struct Q {
            scope: String,
        }
        let app = Router::new().route(
            "/events",
            get(move |ws: WebSocketUpgrade, Query(q): Query<Q>| {
                let bus = bus.clone();
                async move {
                    let scope = match q.scope.split_once(':') {
                        Some(("buyer", n)) => Scope::Buyer(BuyerId(n.parse().unwrap())),
                        Some(("seller", n)) => Scope::Seller(SellerId(n.parse().unwrap())),
                        _ => Scope::Admin,
                    };
                    ws.on_upgrade(move |s| serve_socket_with(s, bus, scope, deadline))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("ws://{addr}/events")
    }

    type Client = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    async fn connect(url: &str, scope: &str) -> Client {
        tokio_tungstenite::connect_async(format!("{url}?scope={scope}"))
            .await
            .unwrap()
            .0
    }

    async fn wait_for_subscribers(bus: &EventBus, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while bus.subscribers() != n {
            assert!(
                Instant::now() < deadline,
                "{} subscribers, not {n}",
                bus.subscribers()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The next text frame as (call, kind); `None` at the end of the stream.
    async fn next(client: &mut Client) -> Option<(String, String)> {
        let frame = tokio::time::timeout(Duration::from_secs(5), client.next())
            .await
            .expect("a frame within 5 s")?;
        match frame.ok()? {
            WsMessage::Text(t) => {
                let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
                Some((
                    v["call_id"].as_str().unwrap().to_string(),
                    v["kind"].as_str().unwrap().to_string(),
                ))
            }
            WsMessage::Close(_) => None,
            other => panic!("unexpected frame {other:?}"),
        }
    }

    const LIFE: [EventKind; 6] = [
        EventKind::Arrived,
        EventKind::Decided,
        EventKind::Ringing,
        EventKind::Answered,
        EventKind::Ended,
        EventKind::Rated,
    ];

    fn pairs(call: &str, kinds: &[&str]) -> Vec<(String, String)> {
        kinds
            .iter()
            .map(|k| (call.to_string(), k.to_string()))
            .collect()
    }

    #[tokio::test]
    async fn each_client_gets_its_scope_in_order() {
        let bus = EventBus::default();
        let url = server(bus.clone(), SEND_DEADLINE).await;
        let mut admin = connect(&url, "admin").await;
        let mut buyer = connect(&url, "buyer:1").await;
        let mut seller2 = connect(&url, "seller:2").await;
        wait_for_subscribers(&bus, 3).await;
        // c1: seller 1, buyer 1 answers. c2: seller 2, buyer 1 not ranked.
        for kind in LIFE {
            bus.publish(event("c1", kind));
            let mut other = event("c2", kind);
            other.seller_id = SellerId(2);
            other.ranked_buyers = vec![BuyerId(3)];
            if other.buyer_id.is_some() {
                other.buyer_id = Some(BuyerId(3));
            }
            bus.publish(other);
        }
        let mut got = Vec::new();
        for _ in 0..12 {
            got.push(next(&mut admin).await.unwrap());
        }
        let mut want = Vec::new();
        for k in [
            "arrived", "decided", "ringing", "answered", "ended", "rated",
        ] {
            want.push(("c1".to_string(), k.to_string()));
            want.push(("c2".to_string(), k.to_string()));
        }
        assert_eq!(got, want, "the admin sees everything, in order");
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push(next(&mut buyer).await.unwrap());
        }
        assert_eq!(
            got,
            pairs("c1", &["decided", "ringing", "answered", "ended", "rated"])
        );
        let mut got = Vec::new();
        for _ in 0..6 {
            got.push(next(&mut seller2).await.unwrap());
        }
        assert_eq!(
            got,
            pairs(
                "c2",
                &["arrived", "decided", "ringing", "answered", "ended", "rated"]
            )
        );
        // Nothing else was queued for the buyer or the seller.
        bus.publish(event("c3", EventKind::Answered));
        assert_eq!(
            next(&mut buyer).await.unwrap(),
            ("c3".into(), "answered".into())
        );
    }

    #[tokio::test]
    async fn a_client_that_falls_behind_is_closed_with_the_reason() {
        let bus = EventBus::new(8);
        let url = server(bus.clone(), SEND_DEADLINE).await;
        let mut client = connect(&url, "admin").await;
        wait_for_subscribers(&bus, 1).await;
        // One thread: the socket's task cannot run while this burst goes out.
        let started = Instant::now();
        for i in 0..100 {
            bus.publish(event(&format!("c{i}"), EventKind::Arrived));
        }
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "publishing never waits"
        );
        let frame = tokio::time::timeout(Duration::from_secs(5), client.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let WsMessage::Close(Some(close)) = frame else {
            panic!("expected a close frame, got {frame:?}");
        };
        assert_eq!(u16::from(close.code), close_code::POLICY);
        assert_eq!(
            close.reason.as_str(),
            "slow consumer: fell 92 events behind"
        );
        wait_for_subscribers(&bus, 0).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_that_stops_reading_is_dropped_without_slowing_the_publisher() {
        // Room for every event published: no `Lagged`, only the deadline.
        let bus = EventBus::new(2048);
        let url = server(bus.clone(), Duration::from_millis(300)).await;
        let mut client = connect(&url, "admin").await;
        wait_for_subscribers(&bus, 1).await;
        // ~60 kB per frame, until the socket buffers are full.
        let big = |i: u32| LiveEvent {
            kind: EventKind::Decided,
            details: Details::Decided {
                ranked: (0..1400)
                    .map(|t| RankedTarget {
                        target_id: TargetId(1_000_000 + t),
                        buyer_id: BuyerId(1),
                        rank: Some(t as u32 + 1),
                    })
                    .collect(),
                ranked_count: None,
                excluded_count: None,
            },
            ..event(&format!("big{i}"), EventKind::Decided)
        };
        let (mut publishing, mut published) = (Duration::ZERO, 0);
        while bus.has_subscribers() {
            assert!(published < 2000, "the client was never dropped");
            let e = big(published);
            let started = Instant::now();
            bus.publish(e);
            publishing += started.elapsed();
            published += 1;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // The client never read: its socket task gave up on it.
        assert!(
            publishing < Duration::from_millis(100),
            "{published} events took {publishing:?} to publish"
        );
        let mut received = 0;
        while let Some(Ok(WsMessage::Text(_))) =
            tokio::time::timeout(Duration::from_secs(5), client.next())
                .await
                .unwrap()
        {
            received += 1;
        }
        assert!(
            received < published,
            "dropped before the end: {received} of {published}"
        );
    }
}
