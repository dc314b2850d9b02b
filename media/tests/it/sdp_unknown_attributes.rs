//! Vendor attributes, odd spacing, unknown line types: preserved byte for
//! byte through parse, anchor and print.

use dce_media::{LegPorts, Sdp};

use crate::common::fixture;

#[test]
fn unknown_attributes_survive_anchoring() {
    let body = String::from_utf8(fixture("unknown-attributes.sdp")).expect("utf8");
    let mut sdp = Sdp::parse(body.as_bytes()).expect("parse");
    assert_eq!(
        sdp.media()[0].attribute("X-vendor-Thing"),
        Some(Some("  two  spaces;odd=1"))
    );
    assert_eq!(sdp.media()[0].attribute("x-flag"), Some(None));
    sdp.anchor(
        0,
        "198.18.0.1".parse().expect("ip"),
        LegPorts {
            rtp: 30000,
            rtcp: Some(30001),
        },
    );
    let out = sdp.to_string();
    for line in [
        "a=X-nat:0",
        "a=X-vendor-Thing:  two  spaces;odd=1",
        "a=x-flag",
        "a=silenceSupp:off - - - -",
        "b=AS:64",
        "m=audio 30000 RTP/AVP 18 0 101",
    ] {
        assert!(
            out.contains(&format!("{line}\r\n")),
            "{line} missing from {out}"
        );
    }
    // Same number of lines, same order of the untouched ones.
    let rewritten = |l: &&str| {
        ["c=", "m=", "a=rtcp:", "o="]
            .iter()
            .any(|p| l.starts_with(p))
    };
    let before: Vec<_> = body.lines().filter(|l| !rewritten(l)).collect();
    let after: Vec<_> = out.lines().filter(|l| !rewritten(l)).collect();
    assert_eq!(before, after);
}

#[test]
fn unknown_line_types_and_lf_tolerated() {
    let body = "v=0\nx=whatever\ny=1 2 3\nc=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0\n\n";
    let sdp = Sdp::parse(body.as_bytes()).expect("parse");
    assert_eq!(
        sdp.to_string(),
        body.trim_end().replace('\n', "\r\n") + "\r\n"
    );
}
