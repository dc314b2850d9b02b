//! SDP (RFC 8866) for a B2BUA that anchors media: parse, read the few
//! lines the relay needs, rewrite addresses and ports, print.
//!
//! - `body.rs`: the body as ordered lines; unknown lines survive byte for
//!   byte (see `docs/decisions/sdp.md` for why our own parser).
//! - `views.rs`: typed views of `c=`, `m=`, `a=rtcp`, `a=rtpmap`,
//!   direction attributes.
//! - `rewrite.rs`: [`Sdp::anchor`], pointing a stream at the relay.
//! - `remote.rs`: [`Sdp::remote_media`], what the relay learns.

mod body;
mod error;
mod remote;
mod rewrite;
mod views;

pub use body::{Media, Sdp};
pub use error::SdpError;
pub use remote::RemoteMedia;
pub use views::{
    static_clock_rate, ConnectionAddress, Direction, MediaLine, RtcpAttribute, RtpMap,
};

/// Largest body accepted. Real offers are well under 4 KiB; the bound
/// keeps a hostile body from costing more than a few microseconds.
pub const MAX_SDP_LEN: usize = 16 * 1024;
/// Most lines accepted in one body.
pub const MAX_LINES: usize = 512;
/// Most media sections accepted in one body.
pub const MAX_MEDIA: usize = 16;
