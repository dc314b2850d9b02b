//! Anchoring a call's media through the relay: which SDP the relay learns
//! from, what each party is shown instead, and the statistics kept in the
//! call's record.
//!
//! The core calls the engine synchronously (binding two port pairs and
//! rewriting a body take microseconds and never wait on the network);
//! only the release, which collects the session's final statistics, is
//! a job.

use bytes::Bytes;
use dce_media::{FinalStats, MediaEngine, Sdp, StreamStats};
use dce_sip::{Request, StatusCode};
use serde_json::json;

/// A call whose media runs through the relay.
#[derive(Debug)]
pub(crate) struct Anchored {
    /// The relay session's name.
    pub(crate) id: dce_media::CallId,
    /// The caller's offer pointed at the buyer-facing ports: the body of
    /// every attempt's INVITE.
    pub(crate) offer: Bytes,
}

/// The relay's name for call `call`.
pub(crate) fn session_id(call: u64) -> dce_media::CallId {
    dce_media::CallId::from(call.to_string().as_str())
}

/// Opens the relay session of a new call and rewrites the caller's offer.
/// `Ok(None)`: nothing to anchor (an INVITE without an offer: the offer
/// would come in the 2xx and its answer in the ACK, which DCE does not
/// relay, so such calls stay signalling only). `Err` is the status the
/// caller gets.
pub(crate) fn open(
    engine: &MediaEngine,
    call: u64,
    invite: &Request,
) -> Result<Option<Anchored>, StatusCode> {
    if invite.body().is_empty() {
        tracing::debug!(call, "INVITE without SDP: media not anchored");
        return Ok(None);
    }
    // Checked before any port is taken: a bad offer costs nothing.
    let sdp = Sdp::parse(invite.body()).map_err(|_| not_acceptable())?;
    let audio = sdp.first_audio().ok_or_else(not_acceptable)?;
    sdp.remote_media(audio).ok_or_else(not_acceptable)?;
    let id = session_id(call);
    engine.allocate_session(id.clone()).map_err(|e| {
        tracing::warn!(call, error = %e, "no media session; call refused");
        StatusCode::SERVICE_UNAVAILABLE
    })?;
    match engine.anchor(&id, dce_media::Leg::Caller, sdp) {
        Ok(offer) => Ok(Some(Anchored {
            id,
            offer: Bytes::from(offer),
        })),
        Err(e) => {
            tracing::warn!(call, error = %e, "caller's offer not anchored");
            // The session exists: the caller of `open` releases it.
            Err(StatusCode::SERVER_INTERNAL_ERROR)
        }
    }
}

/// 488 Not Acceptable Here: the SDP cannot be anchored (RFC 3261 §21.4.26).
pub(crate) fn not_acceptable() -> StatusCode {
    StatusCode::new(488).unwrap_or(StatusCode::BAD_REQUEST)
}

/// A released session's statistics as kept in the CDR (`media` field):
/// per direction what the relay received, loss and jitter in the manner
/// of RFC 3550.
pub(crate) fn stats_json(stats: &FinalStats) -> serde_json::Value {
    let stream = |s: &StreamStats| {
        json!({
            "packets": s.packets,
            "bytes": s.bytes,
            "rtcp_packets": s.rtcp_packets,
            "expected": s.expected,
            "lost": s.lost,
            "jitter_us": s.jitter_duration().as_micros() as u64,
            "ssrc_changes": s.ssrc_changes,
        })
    };
    json!({
        "from_caller": stream(&stats.stats.caller),
        "from_buyer": stream(&stats.stats.buyer),
        "dropped": stats.dropped,
    })
}
