//! What the relay learns from a party's SDP: where that party wants to
//! receive RTP and RTCP, and whether it will send.

use std::net::SocketAddr;

use super::body::Sdp;
use super::views::{static_clock_rate, Direction};

/// The media endpoint a party announced for one stream (RFC 3264 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteMedia {
    /// Where to send RTP; `None` when `c=` is a host name or the
    /// unspecified address (`c=0.0.0.0` hold), i.e. nowhere yet.
    pub rtp: Option<SocketAddr>,
    /// Where to send RTCP: `a=rtcp` (RFC 3605), else RTP port + 1
    /// (RFC 3550 §11), else the RTP address when muxed.
    pub rtcp: Option<SocketAddr>,
    /// `a=rtcp-mux` offered or accepted (RFC 5761).
    pub mux: bool,
    /// The direction in effect for the stream.
    pub direction: Direction,
    /// True when the party puts the other on hold (`sendonly`/`inactive`
    /// or `c=0.0.0.0` without ICE, RFC 3264 §8.4). With `c=0.0.0.0`,
    /// `rtp` is `None`: the party asked not to be sent media.
    pub hold: bool,
    /// RTP clock rate of the first listed codec (for jitter, RFC 3550
    /// §6.4.1); 8000 when unknown.
    pub clock_rate: u32,
    /// Payload type of RFC 4733 telephone events, if offered.
    pub telephone_event: Option<u8>,
}

impl Sdp {
    /// The endpoint of media section `index`, or `None` if there is no
    /// such section or it is disabled (port 0).
    pub fn remote_media(&self, index: usize) -> Option<RemoteMedia> {
        let media = self.media.get(index)?;
        let line = media.line()?;
        if line.port == 0 {
            return None;
        }
        let conn = self.effective_connection(index);
        let zero = self.zero_address_hold(index);
        let ip = conn.and_then(|c| c.ip()).filter(|ip| !ip.is_unspecified());
        let rtp = ip.map(|ip| SocketAddr::new(ip, line.port));
        let mux = media.rtcp_mux();
        let rtcp = match media.rtcp() {
            Some(attr) => attr
                .address
                .and_then(|a| a.ip())
                .or(ip)
                .filter(|ip| !ip.is_unspecified())
                .map(|ip| SocketAddr::new(ip, attr.port)),
            None if mux => rtp,
            None => ip
                .zip(line.port.checked_add(1))
                .map(|(ip, p)| SocketAddr::new(ip, p)),
        };
        let direction = self.direction(index);
        let rtpmaps: Vec<_> = media.rtpmaps().collect();
        let clock_rate = line
            .formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .find_map(|pt| {
                rtpmaps
                    .iter()
                    .find(|m| m.payload_type == pt && !m.is_telephone_event())
                    .map(|m| m.clock_rate)
                    .or_else(|| static_clock_rate(pt))
            })
            .unwrap_or(8_000);
        Some(RemoteMedia {
            rtp,
            rtcp,
            mux,
            direction,
            hold: zero || direction.is_hold(),
            clock_rate,
            telephone_event: rtpmaps
                .iter()
                .find(|m| m.is_telephone_event())
                .map(|m| m.payload_type),
        })
    }
}
