//! Reception statistics of one stream, as RFC 3550 Appendix A computes
//! them for receiver reports: extended sequence numbers with wrap (A.1),
//! expected and lost packets (A.3), interarrival jitter (§6.4.1, A.8).

use std::time::{Duration, Instant};

use super::rtp::{RtpHeader, Ssrc};

/// RFC 3550 A.1: a jump of up to this many is a gap (loss)…
const MAX_DROPOUT: u16 = 3000;
/// …and one back by up to this many is reordering, not a restart.
const MAX_MISORDER: u16 = 100;

/// What the relay received from one party, snapshot for reports and CDRs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamStats {
    /// RTP packets received and accepted (after latching).
    pub packets: u64,
    /// RTP bytes received (whole UDP payloads).
    pub bytes: u64,
    /// RTCP packets received.
    pub rtcp_packets: u64,
    /// Expected minus received, over all sources seen (RFC 3550 A.3);
    /// duplicates can hide loss, so it never goes below 0.
    pub lost: u64,
    /// Packets expected from the sequence numbers.
    pub expected: u64,
    /// Interarrival jitter in RTP timestamp units (RFC 3550 §6.4.1).
    pub jitter: u32,
    /// The clock rate `jitter` is counted in (Hz).
    pub clock_rate: u32,
    /// Times the sender's SSRC changed (a re-INVITE or a transfer).
    pub ssrc_changes: u32,
    /// When the last packet (RTP or RTCP) arrived.
    pub last_packet: Option<Instant>,
}

impl StreamStats {
    /// Jitter converted to time.
    pub fn jitter_duration(&self) -> Duration {
        if self.clock_rate == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(u64::from(self.jitter) * 1_000_000_000 / u64::from(self.clock_rate))
    }
}

/// Per-source state of RFC 3550 A.1 and A.8.
#[derive(Debug, Clone)]
struct Source {
    ssrc: Ssrc,
    base_seq: u16,
    max_seq: u16,
    cycles: u64,
    bad_seq: Option<u16>,
    received: u64,
    /// Transit time of the previous packet, in timestamp units (A.8).
    transit: Option<u32>,
}

impl Source {
    fn new(ssrc: Ssrc, seq: u16) -> Self {
        Self {
            ssrc,
            base_seq: seq,
            max_seq: seq,
            cycles: 0,
            bad_seq: None,
            received: 0,
            transit: None,
        }
    }

    fn expected(&self) -> u64 {
        (self.cycles + u64::from(self.max_seq)).saturating_sub(u64::from(self.base_seq)) + 1
    }

    /// RFC 3550 A.1 `update_seq`, without the probation of new sources
    /// (the relay forwards from the first packet). Returns false when the
    /// packet is a wild jump, not counted until the next one confirms it.
    fn update_seq(&mut self, seq: u16) -> SeqUpdate {
        let udelta = seq.wrapping_sub(self.max_seq);
        let mut update = SeqUpdate::Counted;
        if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                // Wrapped: one more cycle of 2^16.
                self.cycles += 1 << 16;
            }
            self.max_seq = seq;
        } else if udelta <= u16::MAX - MAX_MISORDER {
            // A very large jump: the sender restarted, or a stray packet.
            if self.bad_seq != Some(seq) {
                self.bad_seq = Some(seq.wrapping_add(1));
                return SeqUpdate::Ignored;
            }
            update = SeqUpdate::Restarted {
                expected: self.expected(),
                received: self.received,
            };
            *self = Self::new(self.ssrc, seq);
        }
        // Otherwise a duplicate or reordered packet: counted, max unchanged.
        self.received += 1;
        update
    }
}

enum SeqUpdate {
    Counted,
    Ignored,
    /// The source restarted its sequence; the old counts must be kept.
    Restarted {
        expected: u64,
        received: u64,
    },
}

/// Accumulates [`StreamStats`] for one direction.
#[derive(Debug, Clone)]
pub(crate) struct Receiver {
    stats: StreamStats,
    source: Option<Source>,
    /// Expected/received of sources that ended (SSRC change, restart).
    past_expected: u64,
    past_received: u64,
    /// Jitter × 16, the fixed point of RFC 3550 A.8.
    jitter_q4: u32,
    epoch: Option<Instant>,
    /// RFC 4733 events keep the event's start timestamp for its whole
    /// duration: counting their transit would report false jitter.
    telephone_event: Option<u8>,
}

impl Receiver {
    pub(crate) fn new(clock_rate: u32, telephone_event: Option<u8>) -> Self {
        Self {
            stats: StreamStats {
                clock_rate,
                ..StreamStats::default()
            },
            source: None,
            past_expected: 0,
            past_received: 0,
            jitter_q4: 0,
            epoch: None,
            telephone_event,
        }
    }

    /// Sets the codec clock and DTMF payload type after a re-INVITE.
    pub(crate) fn set_codec(&mut self, clock_rate: u32, telephone_event: Option<u8>) {
        if clock_rate != self.stats.clock_rate {
            // Transit times in the old clock mean nothing in the new one.
            if let Some(src) = &mut self.source {
                src.transit = None;
            }
            self.stats.clock_rate = clock_rate;
        }
        self.telephone_event = telephone_event;
    }

    pub(crate) fn on_rtp(&mut self, now: Instant, header: &RtpHeader, len: usize) {
        self.stats.packets += 1;
        self.stats.bytes += len as u64;
        self.stats.last_packet = Some(now);
        let source = match &mut self.source {
            Some(src) if src.ssrc == header.ssrc => src,
            slot => {
                if let Some(old) = slot.take() {
                    self.past_expected += old.expected();
                    self.past_received += old.received;
                    self.stats.ssrc_changes += 1;
                }
                slot.insert(Source::new(header.ssrc, header.sequence))
            }
        };
        match source.update_seq(header.sequence) {
            SeqUpdate::Counted => {}
            SeqUpdate::Ignored => return,
            SeqUpdate::Restarted { expected, received } => {
                self.past_expected += expected;
                self.past_received += received;
            }
        }
        if Some(header.payload_type) == self.telephone_event || self.stats.clock_rate == 0 {
            return;
        }
        let epoch = *self.epoch.get_or_insert(now);
        let elapsed = now.saturating_duration_since(epoch).as_nanos();
        // Arrival in timestamp units, modulo 2^32 like the RTP clock.
        let arrival = (elapsed * u128::from(self.stats.clock_rate) / 1_000_000_000) as u32;
        let transit = arrival.wrapping_sub(header.timestamp);
        if let Some(last) = source.transit.replace(transit) {
            let d = (transit.wrapping_sub(last) as i32).unsigned_abs();
            // A.8: jitter += |D| - jitter/16, in units of 1/16 (rounded).
            let j = self.jitter_q4;
            self.jitter_q4 = j.saturating_add(d).saturating_sub((j + 8) >> 4);
        }
    }

    pub(crate) fn on_rtcp(&mut self, now: Instant) {
        self.stats.rtcp_packets += 1;
        self.stats.last_packet = Some(now);
    }

    pub(crate) fn last_packet(&self) -> Option<Instant> {
        self.stats.last_packet
    }

    pub(crate) fn snapshot(&self) -> StreamStats {
        let (expected, received) = match &self.source {
            Some(src) => (src.expected(), src.received),
            None => (0, 0),
        };
        let expected = self.past_expected + expected;
        StreamStats {
            expected,
            lost: expected.saturating_sub(self.past_received + received),
            jitter: self.jitter_q4 >> 4,
            ..self.stats
        }
    }
}
