//! A call's SIP trace as a classic pcap file that Wireshark, tshark and
//! sngrep open: each message in an Ethernet frame, over IPv4 or IPv6, in a
//! UDP datagram or TCP segments, with correct lengths and checksums.
//!
//! Written by hand: the format is a 24-byte file header and a 16-byte
//! header per packet, and the frames are three fixed headers. The pcap
//! crates read captures or write packets someone already has; none that is
//! kept up builds synthetic packets from application messages, which is
//! all this needs.
//!
//! What the file shows is the messages as DCE printed or parsed them:
//! - Messages that went over TLS or WebSocket are written as plain TCP on
//!   the same ports (decrypted, without WebSocket framing); Wireshark finds
//!   the SIP in them on 5061 too (where a port is taken for something
//!   else, *Decode As… SIP*).
//! - TCP segments carry sequence numbers that run on per direction of each
//!   connection (and acknowledge the other direction), so a dissector
//!   reassembles them; there is no handshake.
//! - When DCE listens on an unspecified address (`0.0.0.0`, `::`), its
//!   side shows the loopback address for loopback peers and the
//!   unspecified address otherwise.

use crate::switch::{Direction, Trace, TraceEntry};
use dce_sip::Protocol;
use rustc_hash::FxHashMap;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// LINKTYPE_ETHERNET.
const LINKTYPE_ETHERNET: u32 = 1;
const SNAPLEN: u32 = 262_144;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
/// Locally administered MAC addresses for DCE and for the far end.
const MAC_DCE: [u8; 6] = [0x02, 0, 0, 0, 0xdc, 0xe0];
const MAC_PEER: [u8; 6] = [0x02, 0, 0, 0, 0xdc, 0xe1];
/// TCP payload per segment: an Ethernet MTU's worth.
const MSS_V4: usize = 1460;
const MSS_V6: usize = 1440;
/// The most a UDP datagram can carry over IPv4 (65535 - 20 - 8).
const MAX_UDP_PAYLOAD: usize = 65_507;
/// Where each direction of a TCP connection starts counting.
const INITIAL_SEQ: u32 = 1;

/// The trace as a pcap file.
pub fn to_pcap(trace: &Trace) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        24 + trace
            .entries
            .iter()
            .map(|e| e.message.len() + 128)
            .sum::<usize>(),
    );
    // Writing into a Vec cannot fail.
    let _ = write_pcap(trace, &mut out);
    out
}

/// Writes the trace as a pcap file to `out`.
pub fn write_pcap(trace: &Trace, out: &mut impl Write) -> io::Result<()> {
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // microsecond timestamps
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&0i32.to_le_bytes()); // UTC
    header.extend_from_slice(&0u32.to_le_bytes()); // accuracy
    header.extend_from_slice(&SNAPLEN.to_le_bytes());
    header.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    out.write_all(&header)?;
    let mut writer = Frames::default();
    for entry in &trace.entries {
        for frame in writer.frames(entry) {
            let mut record = Vec::with_capacity(16 + frame.len());
            record.extend_from_slice(&((entry.at_us / 1_000_000) as u32).to_le_bytes());
            record.extend_from_slice(&((entry.at_us % 1_000_000) as u32).to_le_bytes());
            record.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            record.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            record.extend_from_slice(&frame);
            out.write_all(&record)?;
        }
    }
    Ok(())
}

/// Builds frames, remembering TCP sequence numbers and IPv4 ids.
#[derive(Default)]
struct Frames {
    /// The next sequence number of each direction (from, to) of a connection.
    next_seq: FxHashMap<(SocketAddr, SocketAddr), u32>,
    ip_id: u16,
}

impl Frames {
    fn frames(&mut self, e: &TraceEntry) -> Vec<Vec<u8>> {
        let (local, remote) = addresses(e.local, e.remote);
        let (src, dst) = match e.direction {
            Direction::In => (remote, local),
            Direction::Out => (local, remote),
        };
        let macs = match e.direction {
            Direction::In => (MAC_PEER, MAC_DCE),
            Direction::Out => (MAC_DCE, MAC_PEER),
        };
        match e.protocol {
            Protocol::Udp => {
                let payload = &e.message[..e.message.len().min(MAX_UDP_PAYLOAD)];
                let udp = udp(src, dst, payload);
                vec![self.frame(macs, src, dst, PROTO_UDP, &udp)]
            }
            Protocol::Tcp | Protocol::Tls | Protocol::Ws | Protocol::Wss => {
                let mss = if src.is_ipv4() { MSS_V4 } else { MSS_V6 };
                let ack = *self.next_seq.entry((dst, src)).or_insert(INITIAL_SEQ);
                let mut frames = Vec::new();
                for chunk in e.message.chunks(mss) {
                    let seq = self.next_seq.entry((src, dst)).or_insert(INITIAL_SEQ);
                    let tcp = tcp(src, dst, *seq, ack, chunk);
                    *seq = seq.wrapping_add(chunk.len() as u32);
                    frames.push(self.frame(macs, src, dst, PROTO_TCP, &tcp));
                }
                frames
            }
        }
    }

    /// Ethernet + IP around a transport segment.
    fn frame(
        &mut self,
        (src_mac, dst_mac): ([u8; 6], [u8; 6]),
        src: SocketAddr,
        dst: SocketAddr,
        proto: u8,
        segment: &[u8],
    ) -> Vec<u8> {
        let mut f = Vec::with_capacity(14 + 40 + segment.len());
        f.extend_from_slice(&dst_mac);
        f.extend_from_slice(&src_mac);
        match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                f.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
                self.ip_id = self.ip_id.wrapping_add(1);
                let mut ip = [0u8; 20];
                ip[0] = 0x45; // version 4, 5 words
                ip[2..4].copy_from_slice(&((20 + segment.len()) as u16).to_be_bytes());
                ip[4..6].copy_from_slice(&self.ip_id.to_be_bytes());
                ip[6] = 0x40; // don't fragment
                ip[8] = 64; // TTL
                ip[9] = proto;
                ip[12..16].copy_from_slice(&s.octets());
                ip[16..20].copy_from_slice(&d.octets());
                let sum = checksum(&[&ip]);
                ip[10..12].copy_from_slice(&sum.to_be_bytes());
                f.extend_from_slice(&ip);
            }
            (s, d) => {
                f.extend_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
                let mut ip = [0u8; 40];
                ip[0] = 0x60;
                ip[4..6].copy_from_slice(&(segment.len() as u16).to_be_bytes());
                ip[6] = proto;
                ip[7] = 64; // hop limit
                ip[8..24].copy_from_slice(&v6(s).octets());
                ip[24..40].copy_from_slice(&v6(d).octets());
                f.extend_from_slice(&ip);
            }
        }
        f.extend_from_slice(segment);
        f
    }
}

/// DCE's and the far end's addresses, in one family, DCE's made concrete
/// where it can be.
fn addresses(local: SocketAddr, remote: SocketAddr) -> (SocketAddr, SocketAddr) {
    let remote = SocketAddr::new(remote.ip().to_canonical(), remote.port());
    let mut ip = local.ip().to_canonical();
    if ip.is_ipv4() != remote.is_ipv4() || ip.is_unspecified() {
        ip = match (remote.ip(), remote.ip().is_loopback()) {
            (IpAddr::V4(_), true) => Ipv4Addr::LOCALHOST.into(),
            (IpAddr::V4(_), false) => Ipv4Addr::UNSPECIFIED.into(),
            (IpAddr::V6(_), true) => Ipv6Addr::LOCALHOST.into(),
            (IpAddr::V6(_), false) => Ipv6Addr::UNSPECIFIED.into(),
        };
    }
    (SocketAddr::new(ip, local.port()), remote)
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V6(v) => v,
        IpAddr::V4(v) => v.to_ipv6_mapped(),
    }
}

/// The pseudo-header of RFC 768 / RFC 793 (IPv4) or RFC 8200 §8.1 (IPv6).
fn pseudo_header(src: SocketAddr, dst: SocketAddr, proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(40);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&[0, proto]);
            p.extend_from_slice(&(len as u16).to_be_bytes());
        }
        (s, d) => {
            p.extend_from_slice(&v6(s).octets());
            p.extend_from_slice(&v6(d).octets());
            p.extend_from_slice(&(len as u32).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, proto]);
        }
    }
    p
}

fn udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut u = Vec::with_capacity(len);
    u.extend_from_slice(&src.port().to_be_bytes());
    u.extend_from_slice(&dst.port().to_be_bytes());
    u.extend_from_slice(&(len as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let sum = match checksum(&[&pseudo_header(src, dst, PROTO_UDP, len), &u]) {
        0 => 0xffff, // RFC 768: a computed zero is sent as all ones
        s => s,
    };
    u[6..8].copy_from_slice(&sum.to_be_bytes());
    u
}

fn tcp(src: SocketAddr, dst: SocketAddr, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let len = 20 + payload.len();
    let mut t = Vec::with_capacity(len);
    t.extend_from_slice(&src.port().to_be_bytes());
    t.extend_from_slice(&dst.port().to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(5 << 4); // 5 words, no options
    t.push(0x18); // PSH, ACK
    t.extend_from_slice(&65_535u16.to_be_bytes()); // window
    t.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    t.extend_from_slice(payload);
    let sum = checksum(&[&pseudo_header(src, dst, PROTO_TCP, len), &t]);
    t[16..18].copy_from_slice(&sum.to_be_bytes());
    t
}

/// The Internet checksum (RFC 1071) over parts that are each of even
/// length but the last.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for part in parts {
        let mut words = part.chunks_exact(2);
        for w in &mut words {
            sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = words.remainder() {
            sum += u32::from(*last) << 8;
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::process::Command;

    fn entry(
        direction: Direction,
        protocol: Protocol,
        local: &str,
        remote: &str,
        m: &str,
    ) -> TraceEntry {
        TraceEntry {
            at_us: 1_795_000_000_000_000,
            direction,
            protocol,
            local: local.parse().unwrap(),
            remote: remote.parse().unwrap(),
            message: m.as_bytes().to_vec(),
        }
    }

    const INVITE: &str = "INVITE sip:18005550100@192.0.2.1:5060 SIP/2.0\r\n\
Via: SIP/2.0/TCP 198.51.100.7:40000;branch=z9hG4bKtcp1\r\n\
From: <sip:+12125551234@198.51.100.7>;tag=a\r\n\
To: <sip:18005550100@192.0.2.1>\r\n\
Call-ID: tcp-call@198.51.100.7\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:+12125551234@198.51.100.7:40000;transport=tcp>\r\n\
Max-Forwards: 70\r\n\
Content-Length: 0\r\n\r\n";

    const TRYING: &str = "SIP/2.0 100 Trying\r\n\
Via: SIP/2.0/TCP 198.51.100.7:40000;branch=z9hG4bKtcp1\r\n\
From: <sip:+12125551234@198.51.100.7>;tag=a\r\n\
To: <sip:18005550100@192.0.2.1>\r\n\
Call-ID: tcp-call@198.51.100.7\r\n\
CSeq: 1 INVITE\r\n\
Content-Length: 0\r\n\r\n";

    fn tcp_trace(local: &str, remote: &str) -> Trace {
        Trace {
            entries: vec![
                entry(Direction::In, Protocol::Tcp, local, remote, INVITE),
                entry(Direction::Out, Protocol::Tcp, local, remote, TRYING),
                entry(Direction::Out, Protocol::Tcp, local, remote, TRYING),
            ],
            ..Trace::default()
        }
    }

    /// The records of a pcap file: (timestamp µs, frame).
    fn records(pcap: &[u8]) -> Vec<(u64, &[u8])> {
        assert_eq!(&pcap[..4], &0xa1b2_c3d4u32.to_le_bytes());
        assert_eq!(u32::from_le_bytes(pcap[20..24].try_into().unwrap()), 1);
        let mut at = 24;
        let mut out = Vec::new();
        while at < pcap.len() {
            let r = &pcap[at..at + 16];
            let word = |i: usize| u64::from(u32::from_le_bytes(r[i..i + 4].try_into().unwrap()));
            let len = word(8) as usize;
            assert_eq!(word(12) as usize, len, "nothing cut");
            out.push((word(0) * 1_000_000 + word(4), &pcap[at + 16..at + 16 + len]));
            at += 16 + len;
        }
        assert_eq!(at, pcap.len());
        out
    }

    #[test]
    fn a_tcp_message_gets_a_segment_with_running_sequence_numbers_and_good_checksums() {
        let trace = tcp_trace("192.0.2.1:5060", "198.51.100.7:40000");
        let pcap = to_pcap(&trace);
        let frames = records(&pcap);
        assert_eq!(frames.len(), 3);
        let (at, f) = frames[0];
        assert_eq!(at, 1_795_000_000_000_000);
        assert_eq!(&f[12..14], &ETHERTYPE_IPV4.to_be_bytes());
        let ip = &f[14..34];
        assert_eq!(checksum(&[ip]), 0, "IPv4 header checksum");
        assert_eq!(
            usize::from(u16::from_be_bytes([ip[2], ip[3]])),
            20 + 20 + INVITE.len()
        );
        assert_eq!(ip[9], PROTO_TCP);
        assert_eq!(&ip[12..16], &[198, 51, 100, 7], "from the caller");
        assert_eq!(&ip[16..20], &[192, 0, 2, 1], "to DCE");
        let seg = &f[34..];
        let src = "198.51.100.7:40000".parse().unwrap();
        let dst = "192.0.2.1:5060".parse().unwrap();
        assert_eq!(
            checksum(&[&pseudo_header(src, dst, PROTO_TCP, seg.len()), seg]),
            0,
            "TCP checksum"
        );
        assert_eq!(&seg[20..], INVITE.as_bytes());
        let seq = |f: &[u8]| u32::from_be_bytes(f[38..42].try_into().unwrap());
        let ack = |f: &[u8]| u32::from_be_bytes(f[42..46].try_into().unwrap());
        assert_eq!(seq(frames[0].1), INITIAL_SEQ);
        assert_eq!(
            ack(frames[1].1),
            INITIAL_SEQ + INVITE.len() as u32,
            "acks the INVITE"
        );
        assert_eq!(seq(frames[2].1), seq(frames[1].1) + TRYING.len() as u32);
    }

    #[test]
    fn ipv6_and_udp_carry_their_lengths_and_checksums() {
        let trace = Trace {
            entries: vec![
                entry(
                    Direction::Out,
                    Protocol::Udp,
                    "[2001:db8::1]:5060",
                    "[2001:db8::7]:5062",
                    TRYING,
                ),
                entry(
                    Direction::In,
                    Protocol::Tcp,
                    "[::]:5060",
                    "[::1]:40000",
                    INVITE,
                ),
            ],
            ..Trace::default()
        };
        let pcap = to_pcap(&trace);
        let frames = records(&pcap);
        for (i, (_, f)) in frames.iter().enumerate() {
            assert_eq!(&f[12..14], &ETHERTYPE_IPV6.to_be_bytes());
            let ip = &f[14..54];
            let seg = &f[54..];
            assert_eq!(usize::from(u16::from_be_bytes([ip[4], ip[5]])), seg.len());
            let src = SocketAddr::new(IpAddr::from(<[u8; 16]>::try_from(&ip[8..24]).unwrap()), 0);
            let dst = SocketAddr::new(IpAddr::from(<[u8; 16]>::try_from(&ip[24..40]).unwrap()), 0);
            assert_eq!(
                checksum(&[&pseudo_header(src, dst, ip[6], seg.len()), seg]),
                0,
                "frame {i}"
            );
            if i == 1 {
                assert_eq!(
                    dst.ip(),
                    IpAddr::V6(Ipv6Addr::LOCALHOST),
                    "DCE on :: seen on loopback"
                );
            }
        }
        let udp = &frames[0].1[54..];
        assert_eq!(
            usize::from(u16::from_be_bytes([udp[4], udp[5]])),
            8 + TRYING.len()
        );
    }

    #[test]
    fn a_long_tcp_message_is_cut_into_segments_tshark_reassembles() {
        let body =
            "v=0\r\n".to_string() + &"a=x-padding:0123456789abcdef0123456789abcdef\r\n".repeat(80);
        let invite = INVITE.replace(
            "Content-Length: 0\r\n\r\n",
            &format!(
                "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        );
        let mut trace = tcp_trace("192.0.2.1:5060", "198.51.100.7:40000");
        trace.entries[0].message = invite.into_bytes();
        let frames = records(&to_pcap(&trace)).len();
        assert_eq!(frames, 2 + 3, "a 3.9 kB INVITE in three segments");
        let Some(out) = tshark(&trace, &[]) else {
            return;
        };
        assert_eq!(
            out,
            [
                "INVITE sip:18005550100@192.0.2.1:5060 SIP/2.0",
                "SIP/2.0 100 Trying",
                "SIP/2.0 100 Trying"
            ]
        );
    }

    #[test]
    fn tshark_decodes_sip_over_tcp_with_good_checksums() {
        let trace = tcp_trace("192.0.2.1:5060", "198.51.100.7:40000");
        let checks = [
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-Y",
            "sip && ip.checksum.status == 1 && tcp.checksum.status == 1",
        ];
        let Some(out) = tshark(&trace, &checks) else {
            return;
        };
        assert_eq!(
            out,
            [
                "INVITE sip:18005550100@192.0.2.1:5060 SIP/2.0",
                "SIP/2.0 100 Trying",
                "SIP/2.0 100 Trying"
            ]
        );
    }

    #[test]
    fn tls_carried_messages_decode_as_sip_on_their_own_port() {
        let mut trace = tcp_trace("192.0.2.1:5061", "198.51.100.7:40000");
        for e in &mut trace.entries {
            e.protocol = Protocol::Tls;
        }
        let Some(out) = tshark(&trace, &[]) else {
            return;
        };
        assert_eq!(
            out,
            [
                "INVITE sip:18005550100@192.0.2.1:5060 SIP/2.0",
                "SIP/2.0 100 Trying",
                "SIP/2.0 100 Trying"
            ]
        );
    }

    /// The SIP first lines tshark reads from the trace's pcap (`None` when
    /// tshark is not installed).
    pub(crate) fn tshark(trace: &Trace, extra: &[&str]) -> Option<Vec<String>> {
        if Command::new("tshark").arg("-v").output().is_err() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "tshark must be installed under CI"
            );
            eprintln!("skipped: tshark is not installed (apt-get install tshark)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trace.pcap");
        std::fs::write(&file, to_pcap(trace)).unwrap();
        let mut cmd = Command::new("tshark");
        cmd.arg("-r").arg(&file);
        if !extra.contains(&"-Y") {
            cmd.args(["-Y", "sip"]);
        }
        let out = cmd
            .args(extra)
            .args([
                "-T",
                "fields",
                "-e",
                "sip.Request-Line",
                "-e",
                "sip.Status-Line",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| l.trim().to_string())
                .collect(),
        )
    }
}
