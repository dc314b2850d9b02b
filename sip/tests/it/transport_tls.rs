//! TLS listener: a client trusting our self-signed certificate sends an
//! OPTIONS over TLS and reads back the response the switch sends.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use dce_sip::{Framed, Framer, Message, Protocol, StatusCode};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::transport_common::{bind, config, next, ok_to, options, request, TestCert};

#[tokio::test]
async fn options_over_tls_gets_its_response() {
    let cert = TestCert::new();
    let mut cfg = config();
    cfg.tls = Some(cert.listen());
    let (transports, mut rx) = bind(cfg).await;
    let tls_addr = transports.tls_local_addr().expect("tls listening");
    assert_ne!(tls_addr, transports.local_addr());

    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(cert.der.clone())).unwrap();
    let client =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    let tcp = TcpStream::connect(tls_addr).await.unwrap();
    let local = tcp.local_addr().unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut phone = TlsConnector::from(Arc::new(client))
        .connect(name, tcp)
        .await
        .unwrap();

    phone.write_all(&options("tls-1")).await.unwrap();
    let inbound = next(&mut rx).await;
    assert_eq!(inbound.peer.protocol, Protocol::Tls);
    assert_eq!(inbound.peer.addr, local);
    assert_eq!(request(&inbound).headers().call_id(), Ok("tls-1"));

    transports.send(ok_to(&inbound)).unwrap();
    let framer = Framer::default();
    let mut buf = BytesMut::new();
    let frame = loop {
        if let Some(Framed::Message(m)) = framer.decode(&mut buf).unwrap() {
            break m;
        }
        let n = tokio::time::timeout(Duration::from_secs(5), phone.read_buf(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed before the response");
    };
    let Ok(Message::Response(ok)) = Message::parse(&frame) else {
        panic!("not a response")
    };
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(transports.stats().sent, 1);
    transports.shutdown().await;
}

#[tokio::test]
async fn bad_key_file_fails_bind() {
    let cert = TestCert::new();
    let mut cfg = config();
    let mut listen = cert.listen();
    listen.key = listen.cert.clone();
    cfg.tls = Some(listen);
    let (tx, _rx) = tokio::sync::mpsc::channel(4);
    let err = dce_sip::Transports::bind(cfg, tx).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
