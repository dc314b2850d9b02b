//! Rewriting an offer or answer so that media flows through the relay.
//!
//! The B2BUA hands each side an SDP that names DCE's address and the
//! relay ports of that side's leg; everything else the remote party
//! wrote (codec list and order, fmtp, direction, unknown attributes)
//! passes unchanged, so offer/answer (RFC 3264) still happens between
//! the two ends.

use std::net::IpAddr;

use super::body::{Line, Sdp};
use super::views::{connection_value, with_port, RtcpAttribute};
use crate::relay::LegPorts;

/// ICE attributes (RFC 8839) name the other side's own addresses: they
/// would both leak them (topology hiding) and invite connectivity checks
/// that bypass the relay. The relay is not an ICE agent, so they go.
const ICE_ATTRIBUTES: &[&str] = &[
    "candidate",
    "remote-candidates",
    "end-of-candidates",
    "ice-ufrag",
    "ice-pwd",
    "ice-options",
    "ice-lite",
    "ice-mismatch",
];

impl Sdp {
    /// Points media section `index` at `ip` and `ports`, and disables
    /// (port 0, RFC 3264 §6) every other enabled section, so no stream can
    /// bypass the relay.
    ///
    /// - the session `c=` and the section's `c=` become `ip` (IPv4 or
    ///   IPv6); if neither existed, one is added to the section;
    /// - the `m=` port becomes `ports.rtp`, the rest of the line is kept;
    /// - `a=rtcp` (RFC 3605) becomes `ports.rtcp`, or the RTP port when
    ///   the leg is muxed (RFC 5761 §5.1.3 allows the same port);
    /// - ICE attributes are removed (see `ICE_ATTRIBUTES`);
    /// - the `o=` line's address becomes `ip` (topology hiding: the other
    ///   party never learns the offerer's address); its username, session
    ///   id and version are kept, so the version still moves only when the
    ///   offerer changes its session (RFC 3264 §8).
    ///
    /// Returns `false` (and changes nothing) when `index` is not a section.
    pub fn anchor(&mut self, index: usize, ip: IpAddr, ports: LegPorts) -> bool {
        if index >= self.media.len() {
            return false;
        }
        hide_origin(&mut self.session, ip);
        let had_session_c = replace_connection(&mut self.session, ip);
        strip_ice(&mut self.session);
        for (i, media) in self.media.iter_mut().enumerate() {
            let enabled = media.line().is_some_and(|l| l.port != 0);
            if i != index {
                if enabled {
                    if let Some(m) = with_port(&media.m, 0) {
                        media.m = m;
                    }
                }
                continue;
            }
            if let Some(m) = with_port(&media.m, ports.rtp) {
                media.m = m;
            }
            if !replace_connection(&mut media.lines, ip) && !had_session_c {
                // RFC 8866 §5: c= comes after i= in a media section.
                let at = media.lines.iter().take_while(|l| l.kind == b'i').count();
                media.lines.insert(
                    at,
                    Line {
                        kind: b'c',
                        value: connection_value(ip),
                    },
                );
            }
            strip_ice(&mut media.lines);
            let rtcp_port = ports.rtcp.unwrap_or(ports.rtp);
            for line in media.lines.iter_mut().filter(|l| l.kind == b'a') {
                let Some(value) = line.value.strip_prefix("rtcp:") else {
                    continue;
                };
                let with_address = RtcpAttribute::parse(value).is_some_and(|r| r.address.is_some());
                line.value = if with_address {
                    format!("rtcp:{rtcp_port} {}", connection_value(ip))
                } else {
                    format!("rtcp:{rtcp_port}")
                };
            }
        }
        true
    }
}

/// `o=<username> <sess-id> <sess-version> IN <IP4|IP6> <address>`: the
/// address becomes `ip`. A malformed origin is left as written.
fn hide_origin(lines: &mut [Line], ip: IpAddr) {
    for line in lines.iter_mut().filter(|l| l.kind == b'o') {
        let fields: Vec<&str> = line.value.split_ascii_whitespace().collect();
        if let [user, id, version, "IN", _, _] = fields[..] {
            line.value = format!("{user} {id} {version} {}", connection_value(ip));
        }
    }
}

/// Rewrites every `c=` in `lines` to `ip`; tells whether there was one.
fn replace_connection(lines: &mut [Line], ip: IpAddr) -> bool {
    let mut found = false;
    for line in lines.iter_mut().filter(|l| l.kind == b'c') {
        line.value = connection_value(ip);
        found = true;
    }
    found
}

fn strip_ice(lines: &mut Vec<Line>) {
    lines.retain(|l| {
        let name = l.value.split(':').next().unwrap_or_default();
        l.kind != b'a' || !ICE_ATTRIBUTES.contains(&name)
    });
}
