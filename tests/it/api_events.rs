//! The live events WebSocket of `dce serve`: a real sipp call's events in
//! order for the admin and the answering buyer, nothing of it for a buyer
//! not in the call, and no socket without credentials.

use crate::api_calls::{market_for_api, one_call, ENV};
use crate::api_support::*;
use crate::pg::backends;
use crate::sip_support::*;
use serde_json::Value;
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::stream::MaybeTlsStream;
use tokio_tungstenite::tungstenite::{self, Message, WebSocket};

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// Connects to `/api/v1/events`: by `Authorization` header, or (for
/// browsers) by `?access_token=`.
fn connect(api: &Api, token: &str, in_query: bool) -> Socket {
    let base = api.url("/api/v1/events").replacen("http://", "ws://", 1);
    let mut req = if in_query {
        format!("{base}?access_token={token}")
            .into_client_request()
            .unwrap()
    } else {
        base.into_client_request().unwrap()
    };
    if !in_query {
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let (socket, response) = tungstenite::connect(req).expect("websocket upgrade");
    assert_eq!(response.status(), 101);
    if let MaybeTlsStream::Plain(s) = socket.get_ref() {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
    }
    socket
}

/// Every event frame received until `until` (a kind) or `wait` passes.
fn read_until(socket: &mut Socket, until: Option<&str>, wait: Duration) -> Vec<Value> {
    let deadline = Instant::now() + wait;
    let mut got = Vec::new();
    while Instant::now() < deadline {
        match socket.read() {
            Ok(Message::Text(t)) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                let done = until.is_some_and(|k| v["kind"] == k);
                got.push(v);
                if done {
                    break;
                }
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("socket: {e}"),
        }
    }
    got
}

fn kinds<'a>(events: &'a [Value], call: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|e| e["call_id"] == call)
        .map(|e| e["kind"].as_str().unwrap())
        .collect()
}

#[test]
fn the_events_socket_streams_a_call_in_order_to_whom_may_see_it() {
    if !have_sipp() {
        return;
    }
    for db in backends() {
        let port = free_port();
        let api = Api::start_market(&db, &market_for_api(port), &ENV);
        let admin = api.admin();
        let (_, b1) = api.buyer_user(&admin, 1, "b1@buyer.example");
        let (_, b3) = api.buyer_user(&admin, 3, "b3@buyer.example");

        // No credentials, bad credentials: no socket.
        let plain = api.get("/api/v1/events", None);
        assert_eq!((plain.status, plain.code()), (401, "unauthenticated"));
        let url = api
            .url("/api/v1/events?access_token=nonsense")
            .replacen("http://", "ws://", 1);
        match tungstenite::connect(url) {
            Err(tungstenite::Error::Http(r)) => assert_eq!(r.status(), 401),
            other => panic!("expected 401, got {:?}", other.map(|(_, r)| r.status())),
        }
        // Authenticated but not an upgrade: the API's error shape.
        assert_eq!(api.get("/api/v1/events", Some(&admin)).status, 400);

        let mut admin_ws = connect(&api, &admin, false);
        let mut b1_ws = connect(&api, &b1, true);
        let mut b3_ws = connect(&api, &b3, false);
        // The server subscribes once the upgrade completes.
        std::thread::sleep(Duration::from_millis(300));

        let id = one_call(&api, &admin, port);
        let all = read_until(&mut admin_ws, Some("rated"), Duration::from_secs(10));
        assert_eq!(
            kinds(&all, &id),
            ["arrived", "decided", "ringing", "answered", "ended", "rated"],
            "{all:?}"
        );
        let rated = all.iter().find(|e| e["kind"] == "rated").unwrap();
        assert_eq!(rated["details"]["charge"], 1000, "{rated}");
        assert_eq!(rated["details"]["payout"], 400, "{rated}");

        let mine = read_until(&mut b1_ws, Some("rated"), Duration::from_secs(5));
        assert_eq!(
            kinds(&mine, &id),
            ["decided", "ringing", "answered", "ended", "rated"],
            "{mine:?}"
        );
        let decided = mine.iter().find(|e| e["kind"] == "decided").unwrap();
        assert_eq!(
            decided["details"]["ranked"].as_array().unwrap().len(),
            1,
            "only its own target: {decided}"
        );
        let rated = mine.iter().find(|e| e["kind"] == "rated").unwrap();
        assert!(rated["details"].get("payout").is_none(), "{rated}");

        let stranger = read_until(&mut b3_ws, None, Duration::from_secs(1));
        assert!(
            stranger.is_empty(),
            "buyer 3 is not in the call: {stranger:?}"
        );
    }
}
