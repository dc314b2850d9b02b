//! Helpers for the transport tests: a bound `Transports` on 127.0.0.1,
//! sample messages, and waiting with a deadline.

use std::net::SocketAddr;
use std::time::Duration;

use dce_sip::{
    Inbound, Message, Peer, Received, Request, Response, StatusCode, Transmit, TransportConfig,
    Transports,
};
use tokio::sync::mpsc;

/// Defaults on a free loopback port.
pub(crate) fn config() -> TransportConfig {
    TransportConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// Binds with `config`, returning the handle and the switch's receiver.
pub(crate) async fn bind(config: TransportConfig) -> (Transports, mpsc::Receiver<Inbound>) {
    let (tx, rx) = mpsc::channel(config.inbound_queue);
    let transports = Transports::bind(config, tx).await.expect("bind");
    (transports, rx)
}

/// An OPTIONS whose Call-ID is `call_id`.
pub(crate) fn options(call_id: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:bob@example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK-{call_id}\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:bob@example.com>\r\n\
         From: <sip:alice@example.com>;tag=1928301774\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// An INVITE of at least `size` bytes, most of it SDP.
pub(crate) fn invite(call_id: &str, size: usize) -> Vec<u8> {
    let mut sdp = String::from(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
         m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n",
    );
    let mut i = 0;
    loop {
        let wire = format!(
            "INVITE sip:+15551230000@example.com SIP/2.0\r\n\
             Via: SIP/2.0/TCP pc33.example.com;branch=z9hG4bK-{call_id}\r\n\
             Max-Forwards: 70\r\n\
             To: <sip:+15551230000@example.com>\r\n\
             From: <sip:alice@example.com>;tag=1928301774\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: 1 INVITE\r\n\
             Contact: <sip:alice@192.0.2.1:5060;transport=tcp>\r\n\
             Content-Type: application/sdp\r\n\
             Content-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        if wire.len() >= size {
            return wire.into_bytes();
        }
        sdp.push_str(&format!(
            "a=x-padding-{i}:0123456789abcdef0123456789abcdef\r\n"
        ));
        i += 1;
    }
}

/// The next inbound item, within 5 seconds.
pub(crate) async fn next(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("inbound within 5 s")
        .expect("inbound channel open")
}

/// The request inside an inbound item.
pub(crate) fn request(inbound: &Inbound) -> &Request {
    match &inbound.received {
        Received::Message(Message::Request(r)) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

/// A 200 for the request in `inbound`, addressed back to its peer.
pub(crate) fn ok_to(inbound: &Inbound) -> Transmit {
    let mut ok = Response::for_request(request(inbound), StatusCode::OK, "OK");
    ok.set_to_tag("srv1").expect("tag");
    Transmit {
        peer: inbound.peer,
        message: Message::Response(ok),
    }
}

/// A request to `peer`.
pub(crate) fn transmit(peer: Peer, call_id: &str) -> Transmit {
    Transmit {
        peer,
        message: Message::parse(&options(call_id)).expect("valid"),
    }
}

/// Polls `cond` every 10 ms for up to 5 seconds.
pub(crate) async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A self-signed certificate for `localhost` and 127.0.0.1, written as PEM
/// files in a fresh temporary folder.
pub(crate) struct TestCert {
    /// The certificate PEM file.
    pub(crate) cert: std::path::PathBuf,
    /// The key PEM file.
    pub(crate) key: std::path::PathBuf,
    /// The certificate, DER.
    pub(crate) der: Vec<u8>,
}

impl TestCert {
    pub(crate) fn new() -> TestCert {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let made = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])
        .expect("rcgen");
        let dir = std::env::temp_dir().join(format!(
            "dce-sip-tls-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, made.cert.pem()).expect("write cert");
        std::fs::write(&key, made.key_pair.serialize_pem()).expect("write key");
        TestCert {
            cert,
            key,
            der: made.cert.der().to_vec(),
        }
    }

    /// A TLS listener on a free loopback port with this certificate.
    pub(crate) fn listen(&self) -> dce_sip::TlsListen {
        dce_sip::TlsListen {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            cert: self.cert.clone(),
            key: self.key.clone(),
        }
    }
}

impl Drop for TestCert {
    fn drop(&mut self) {
        if let Some(dir) = self.cert.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
