//! DCE's media engine: SDP rewriting, the RTP relay and WebRTC.
//!
//! Not built yet: this crate holds the place the workspace layout gives it
//! (see `ARCHITECTURE.md`) and exports nothing. The README lists media
//! anchoring among the features that are absent.
#![warn(missing_docs, unreachable_pub)]
