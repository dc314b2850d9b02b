//! Past `max_connections`, new stream connections are refused and
//! counted; a freed slot is usable again. Idle connections are closed.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::transport_common::{bind, config, eventually, next, options, request};

/// Whether the server closed `stream` within 5 seconds.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

#[tokio::test]
async fn connections_past_the_limit_are_refused() {
    let mut cfg = config();
    cfg.max_connections = 2;
    let (transports, mut rx) = bind(cfg).await;
    let addr = transports.local_addr();

    let mut a = TcpStream::connect(addr).await.unwrap();
    let mut b = TcpStream::connect(addr).await.unwrap();
    a.write_all(&options("a")).await.unwrap();
    b.write_all(&options("b")).await.unwrap();
    next(&mut rx).await;
    next(&mut rx).await;
    assert_eq!(transports.stats().connections_open, 2);

    let mut c = TcpStream::connect(addr).await.unwrap();
    assert!(closed_by_server(&mut c).await, "third connection refused");
    assert_eq!(transports.stats().connections_refused, 1);

    drop(a);
    eventually("slot freed", || transports.stats().connections_open == 1).await;
    let mut d = TcpStream::connect(addr).await.unwrap();
    d.write_all(&options("d")).await.unwrap();
    assert_eq!(request(&next(&mut rx).await).headers().call_id(), Ok("d"));
    assert_eq!(transports.stats().connections_open, 2);
    drop(b);
    transports.shutdown().await;
}

#[tokio::test]
async fn idle_connection_is_closed() {
    let mut cfg = config();
    cfg.idle_timeout = Duration::from_millis(200);
    let (transports, _rx) = bind(cfg).await;
    let mut phone = TcpStream::connect(transports.local_addr()).await.unwrap();
    assert!(closed_by_server(&mut phone).await);
    eventually("closed", || transports.stats().connections_open == 0).await;
    transports.shutdown().await;
}
