//! Integration tests of dce-media, one binary with a module per scenario.

mod common;
mod driver_calls_across_workers;
mod driver_inactive_event;
mod driver_udp_relay;
mod hold_stops_forwarding;
mod inactivity_timeout;
mod latch_any_once_stranger_cannot_hijack;
mod latch_strict_refuses_other_ip;
mod no_panic;
mod port_reuse_after_release;
mod reinvite_port_change;
mod rtcp_mux_demux;
mod sdp_early_media_183;
mod sdp_hold;
mod sdp_ipv6;
mod sdp_rewrite_audio_only;
mod sdp_rewrite_rtcp_mux;
mod sdp_roundtrip_corpus;
mod sdp_unknown_attributes;
mod stats_jitter_hand_computed;
mod stats_loss_sequence_wrap;
