//! What DCE, as the UAS of every request sent to it, reads from a request
//! before routing it: refusals it owes the sender (RFC 3261 §8.2), the
//! caller's identity and STIR/SHAKEN attestation.

use dce_marketplace::domain::{Attestation, Caller};
use dce_sip::{HeaderName, Method, Request, StatusCode};

/// The methods DCE serves.
pub(crate) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO";

/// A request DCE, as the UAS it is toward the caller, must refuse before
/// looking at what it asks: the answer and a header to explain it.
pub(crate) struct UasRefusal {
    pub(crate) status: StatusCode,
    pub(crate) header: Option<(HeaderName, String)>,
}

/// RFC 3261 §8.2.2 and §8.2.3, in their order: the Request-URI scheme
/// (416), required extensions (420), then for an INVITE a body DCE cannot
/// relay as a session (415) or an Accept that rules out SDP answers (406).
pub(crate) fn uas_checks(request: &Request) -> Option<UasRefusal> {
    let code = |c: u16| StatusCode::new(c).unwrap_or(StatusCode::BAD_REQUEST);
    let scheme = request.uri().scheme_str().to_ascii_lowercase();
    if !matches!(scheme.as_str(), "sip" | "sips" | "tel") {
        return Some(UasRefusal {
            status: code(416),
            header: None,
        });
    }
    let h = request.headers();
    let required: Vec<&str> = h
        .get_all(&HeaderName::REQUIRE)
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if !required.is_empty() {
        return Some(UasRefusal {
            status: code(420),
            header: Some((HeaderName::UNSUPPORTED, required.join(", "))),
        });
    }
    if request.method() != &Method::INVITE {
        return None;
    }
    let sdp = Some((HeaderName::ACCEPT, "application/sdp".to_string()));
    if let Some(ct) = h.content_type() {
        let ct = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !request.body().is_empty() && ct != "application/sdp" && ct != "multipart/mixed" {
            return Some(UasRefusal {
                status: code(415),
                header: sdp,
            });
        }
    }
    if h.contains(&HeaderName::ACCEPT) {
        let accepts_sdp = h
            .get_all(&HeaderName::ACCEPT)
            .flat_map(|v| v.split(','))
            .any(|t| {
                let t = t
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                t == "application/sdp" || t == "application/*" || t == "*/*"
            });
        if !accepts_sdp {
            return Some(UasRefusal {
                status: code(406),
                header: None,
            });
        }
    }
    None
}

/// The caller id: P-Asserted-Identity when the trunk asserts one, else From.
pub(crate) fn caller_of(invite: &Request) -> Caller {
    let h = invite.headers();
    let pai = h
        .name_addrs(&HeaderName::P_ASSERTED_IDENTITY)
        .ok()
        .and_then(|v| v.first().and_then(|na| na.uri().user().map(str::to_string)));
    let from = h
        .from()
        .ok()
        .and_then(|f| f.uri().user().map(str::to_string));
    Caller::from_user(pai.or(from).as_deref().unwrap_or(""))
}

/// STIR/SHAKEN attestation from the `Identity` header's PASSporT claims
/// (RFC 8588 `attest`), read without verifying the signature: the
/// terminating carrier's verification service vouches for it upstream.
pub(crate) fn attestation_of(invite: &Request) -> Option<Attestation> {
    let identity = invite.headers().get(&HeaderName::IDENTITY)?;
    let token = identity.split(';').next()?.trim();
    let payload = token.split('.').nth(1)?;
    use base64::Engine;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&json).ok()?;
    Attestation::parse(value.get("attest")?.as_str()?)
}
