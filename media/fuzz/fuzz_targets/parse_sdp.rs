//! SDP from either leg is network input: parse, read every view, anchor,
//! print, and parse the printed body again (it must stay valid).
#![no_main]

use dce_media::{LegPorts, Sdp, SdpError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut sdp) = Sdp::parse(data) else { return };
    let _ = sdp.is_hold();
    for (i, media) in sdp.media().iter().enumerate() {
        let _ = (media.line(), media.rtcp(), media.rtcp_mux(), media.rtpmaps().count());
        let _ = sdp.remote_media(i);
    }
    if let Some(index) = sdp.first_audio() {
        sdp.anchor(index, [198, 18, 0, 1].into(), LegPorts { rtp: 30_000, rtcp: Some(30_001) });
    }
    let printed = sdp.to_bytes();
    // Anchoring may lengthen a body (an IPv6 address, an added c=) past
    // the bounds; anything else that fails to re-parse is a bug.
    assert!(
        matches!(Sdp::parse(&printed), Ok(_) | Err(SdpError::TooLarge | SdpError::TooManyLines)),
        "printed SDP must parse"
    );
});
