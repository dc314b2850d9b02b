//! Zero-copy views of RTP and RTCP headers (RFC 3550 §5.1, §6.4) and the
//! RTP/RTCP demultiplexing rule of RFC 5761 §4.

/// The fixed RTP header, read from a packet without copying its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// Marker bit.
    pub marker: bool,
    /// Payload type (7 bits).
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// RTP timestamp, in the codec's clock.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: Ssrc,
}

/// An RTP synchronisation source identifier (RFC 3550 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ssrc(pub u32);

/// RTP version 2, the only one in use (RFC 3550 §5.1).
const VERSION: u8 = 2;
/// Fixed header length (RFC 3550 §5.1).
const RTP_HEADER_LEN: usize = 12;

impl RtpHeader {
    /// Reads the fixed header. `None` when the packet is shorter than the
    /// header plus its CSRC list, or is not version 2. Header extensions
    /// and padding are not checked: the relay forwards them untouched.
    pub fn parse(packet: &[u8]) -> Option<Self> {
        let head = packet.get(..RTP_HEADER_LEN)?;
        if head[0] >> 6 != VERSION {
            return None;
        }
        let csrc = usize::from(head[0] & 0x0f) * 4;
        if packet.len() < RTP_HEADER_LEN + csrc {
            return None;
        }
        Some(Self {
            marker: head[1] & 0x80 != 0,
            payload_type: head[1] & 0x7f,
            sequence: u16::from_be_bytes([head[2], head[3]]),
            timestamp: u32::from_be_bytes([head[4], head[5], head[6], head[7]]),
            ssrc: Ssrc(u32::from_be_bytes([head[8], head[9], head[10], head[11]])),
        })
    }
}

/// The common RTCP header of the first packet in a compound packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpHeader {
    /// Packet type: 200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP, …
    pub packet_type: u8,
    /// Sender's SSRC (SR, RR) or first source (SDES, BYE).
    pub ssrc: Ssrc,
}

impl RtcpHeader {
    /// Reads the first RTCP header; `None` unless version 2 and at least
    /// 8 bytes (RFC 3550 §6.4.1 minimum, an empty RR).
    pub fn parse(packet: &[u8]) -> Option<Self> {
        let head = packet.get(..8)?;
        if head[0] >> 6 != VERSION || !is_rtcp(packet) {
            return None;
        }
        Some(Self {
            packet_type: head[1],
            ssrc: Ssrc(u32::from_be_bytes([head[4], head[5], head[6], head[7]])),
        })
    }
}

/// RFC 5761 §4: on a muxed port, a packet whose second byte is 192–223
/// (RTCP packet types 192–223; RTP payload types 64–95 are not used for
/// that reason) is RTCP, anything else RTP.
pub fn is_rtcp(packet: &[u8]) -> bool {
    packet.get(1).is_some_and(|b| (192..=223).contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_header_and_rejects_short_or_wrong_version() {
        let pkt = [
            0x80, 0xe0, 0x01, 0x02, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef, 0xff,
        ];
        let h = RtpHeader::parse(&pkt);
        assert_eq!(
            h,
            Some(RtpHeader {
                marker: true,
                payload_type: 96,
                sequence: 258,
                timestamp: 160,
                ssrc: Ssrc(0xdead_beef)
            })
        );
        assert_eq!(RtpHeader::parse(&pkt[..11]), None);
        assert_eq!(RtpHeader::parse(&[0x40; 12]), None);
        // CC = 2 needs 8 more bytes.
        assert_eq!(
            RtpHeader::parse(&[0x82, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            None
        );
    }

    #[test]
    fn rtcp_demux() {
        let rr = [0x80, 201, 0, 1, 0, 0, 0, 7];
        assert!(is_rtcp(&rr));
        assert_eq!(RtcpHeader::parse(&rr).map(|h| h.ssrc), Some(Ssrc(7)));
        assert!(!is_rtcp(&[0x80, 0]));
        assert!(!is_rtcp(&[0x80]));
    }
}
