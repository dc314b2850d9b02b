//! Symmetric RTP latching (RFC 4961 behaviour, the "comedia" practice of
//! RFC 4145 §4 applied to RTP): a party behind NAT sends from an address
//! other than the one in its SDP, so the relay learns the real address
//! from the first packets and sends back there.
//!
//! Latching is what lets anyone who guesses a relay port steal a call's
//! audio, so the policy is explicit and a stranger can never take over a
//! live stream.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Who may latch a leg's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Latch {
    /// Only a source whose IP is the one in the party's SDP (any port, for
    /// port-rewriting NATs). Safe against hijacking; fails for parties
    /// behind address-rewriting NAT whose SDP shows a private address.
    Strict,
    /// The first source latches, whatever its address; then no other can
    /// take over until the stream has been silent for the re-latch time.
    #[default]
    AnyOnce,
}

/// Why a source was refused by the latch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Strict latching and the IP is not the SDP's.
    NotSdpAddress,
    /// Another source holds the latch and is not silent.
    Latched,
}

/// The latch of one leg's RTP or RTCP stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct LatchState {
    pub(crate) addr: Option<SocketAddr>,
    last_seen: Option<Instant>,
}

impl LatchState {
    /// Admits `src` or refuses it. Returns `Ok(true)` when `src` newly
    /// latched.
    pub(crate) fn admit(
        &mut self,
        policy: Latch,
        sdp_ip: Option<IpAddr>,
        src: SocketAddr,
        now: Instant,
        relatch_after: Duration,
    ) -> Result<bool, Refused> {
        if self.addr == Some(src) {
            self.last_seen = Some(now);
            return Ok(false);
        }
        if policy == Latch::Strict && sdp_ip != Some(src.ip()) {
            return Err(Refused::NotSdpAddress);
        }
        let silent = self
            .last_seen
            .is_none_or(|seen| now.saturating_duration_since(seen) >= relatch_after);
        if self.addr.is_some() && !silent {
            return Err(Refused::Latched);
        }
        self.addr = Some(src);
        self.last_seen = Some(now);
        Ok(true)
    }

    /// Forgets the latched source (the party's SDP moved, RFC 3264 §8).
    pub(crate) fn reset(&mut self) {
        *self = Self::default();
    }
}
