//! Building the messages of a B2BUA's two legs: the outbound INVITE, the
//! responses relayed upstream, and requests inside either dialog.

use bytes::Bytes;
use dce_sip::{
    new_branch, HeaderName, Message, Method, ParseError, Peer, Protocol, Request, Response,
    StatusCode,
};
use std::net::SocketAddr;

/// A fresh random token: tags and Call-IDs.
pub(crate) fn token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let a = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let b = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("{a:016x}{b:08x}")
}

/// Where DCE is, as written in its Via and Contact headers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Local {
    pub(crate) udp_tcp: SocketAddr,
    pub(crate) tls: Option<SocketAddr>,
}

impl Local {
    fn addr(&self, protocol: Protocol) -> SocketAddr {
        match protocol {
            Protocol::Tls | Protocol::Wss => self.tls.unwrap_or(self.udp_tcp),
            _ => self.udp_tcp,
        }
    }

    pub(crate) fn via(&self, protocol: Protocol) -> String {
        format!(
            "SIP/2.0/{} {};branch={};rport",
            protocol.via_token(),
            self.addr(protocol),
            new_branch()
        )
    }

    pub(crate) fn contact(&self, protocol: Protocol) -> String {
        let addr = self.addr(protocol);
        match protocol {
            Protocol::Udp => format!("<sip:dce@{addr}>"),
            Protocol::Tls => format!("<sips:dce@{addr}>"),
            p => format!(
                "<sip:dce@{addr};transport={}>",
                p.via_token().to_ascii_lowercase()
            ),
        }
    }
}

/// One side's dialog state as DCE holds it (RFC 3261 §12).
#[derive(Clone, Debug)]
pub(crate) struct Dialog {
    pub(crate) call_id: String,
    /// DCE's own From/To value, with its tag.
    pub(crate) local: String,
    /// The other side's value, with its tag.
    pub(crate) remote: String,
    /// Where in-dialog requests go (the peer's Contact).
    pub(crate) remote_target: String,
    /// Route set, in the order to send.
    pub(crate) route: Vec<String>,
    /// The last CSeq number DCE used on this dialog.
    pub(crate) cseq: u32,
    /// The transport address requests are sent to.
    pub(crate) peer: Peer,
}

impl Dialog {
    /// A request inside the dialog, with the next CSeq (ACK reuses the INVITE's).
    pub(crate) fn request(
        &mut self,
        method: Method,
        local: &Local,
        cseq: Option<u32>,
    ) -> Result<Request, ParseError> {
        let seq = match cseq {
            Some(n) => n,
            None => {
                self.cseq += 1;
                self.cseq
            }
        };
        let mut req = Request::new(method.clone(), &self.remote_target)?;
        let h = req.headers_mut();
        h.push(HeaderName::VIA, &local.via(self.peer.protocol))?;
        h.push(HeaderName::MAX_FORWARDS, "70")?;
        for r in &self.route {
            h.push(HeaderName::ROUTE, r)?;
        }
        h.push(HeaderName::FROM, &self.local)?;
        h.push(HeaderName::TO, &self.remote)?;
        h.push(HeaderName::CALL_ID, &self.call_id)?;
        h.push(HeaderName::CSEQ, &format!("{seq} {}", method.as_str()))?;
        h.push(HeaderName::CONTENT_LENGTH, "0")?;
        Ok(req)
    }
}

fn bracketed(uri: &str) -> String {
    format!("<{uri}>")
}

/// The route set a UAS learns from a request's Record-Route (same order),
/// or a UAC from a response's (reversed), RFC 3261 §12.1.
pub(crate) fn route_set(m: &Message, reverse: bool) -> Vec<String> {
    let mut set: Vec<String> = m
        .headers()
        .record_routes()
        .map(|rr| rr.iter().map(|na| bracketed(na.uri().as_str())).collect())
        .unwrap_or_default();
    if reverse {
        set.reverse();
    }
    set
}

/// The first Contact URI of a message.
pub(crate) fn contact_uri(m: &Message) -> Option<String> {
    match m.headers().contacts().ok()? {
        dce_sip::Contacts::List(list) => list.first().map(|na| na.uri().as_str().to_string()),
        dce_sip::Contacts::Star => None,
    }
}

/// A From/To address without its tag, plus `;tag=tag`.
fn with_tag(na: dce_sip::NameAddr<'_>, tag: &str) -> String {
    let display = na
        .display_name()
        .map(|d| format!("{d} "))
        .unwrap_or_default();
    format!("{display}<{}>;tag={tag}", na.uri().as_str())
}

/// Headers a buyer should see, carried from the caller's INVITE.
const CARRIED: [HeaderName; 4] = [
    HeaderName::P_ASSERTED_IDENTITY,
    HeaderName::PRIVACY,
    HeaderName::ALLOW,
    HeaderName::SUPPORTED,
];

/// The INVITE to a buyer: DCE's own Call-ID, tags, Via and Contact; the
/// caller's identity headers and SDP carried over unchanged.
pub(crate) fn outbound_invite(
    a: &Request,
    destination: &str,
    peer: Peer,
    local: &Local,
    call_id: &str,
    from_tag: &str,
) -> Result<Request, ParseError> {
    let mut req = Request::new(Method::INVITE, destination)?;
    let ah = a.headers();
    let max_forwards = ah
        .max_forwards()
        .ok()
        .flatten()
        .unwrap_or(70)
        .saturating_sub(1);
    let from = with_tag(ah.from()?, from_tag);
    let h = req.headers_mut();
    h.push(HeaderName::VIA, &local.via(peer.protocol))?;
    h.push(HeaderName::MAX_FORWARDS, &max_forwards.to_string())?;
    h.push(HeaderName::FROM, &from)?;
    h.push(HeaderName::TO, &bracketed(destination))?;
    h.push(HeaderName::CALL_ID, call_id)?;
    h.push(HeaderName::CSEQ, "1 INVITE")?;
    h.push(HeaderName::CONTACT, &local.contact(peer.protocol))?;
    for name in CARRIED {
        h.copy_from(ah, &name);
    }
    let content_type = ah.content_type().map(str::to_string);
    req.set_body(a.body().clone(), content_type.as_deref())?;
    Ok(req)
}

/// A response to the caller's INVITE: DCE's To tag and Contact, the
/// Record-Route echoed, and (for 18x/2xx) the buyer's body.
pub(crate) fn upstream_response(
    a: &Request,
    status: StatusCode,
    reason: &str,
    a_tag: &str,
    local: &Local,
    protocol: Protocol,
    from_buyer: Option<&Response>,
) -> Response {
    let mut r = Response::for_request(a, status, reason);
    if status != StatusCode::TRYING {
        let _ = r.set_to_tag(a_tag);
    }
    if status.is_success() || (status.is_provisional() && status != StatusCode::TRYING) {
        r.copy_record_route(a);
        let _ = r
            .headers_mut()
            .set(HeaderName::CONTACT, &local.contact(protocol));
    }
    if let Some(b) = from_buyer {
        if !b.body().is_empty() {
            let ct = b.headers().content_type().map(str::to_string);
            let _ = r.set_body(b.body().clone(), ct.as_deref());
        }
    }
    r
}

/// The caller's side of the dialog once DCE answers the INVITE.
pub(crate) fn a_dialog(a: &Request, a_tag: &str, peer: Peer) -> Result<Dialog, ParseError> {
    let h = a.headers();
    let msg = Message::Request(a.clone());
    Ok(Dialog {
        call_id: h.call_id()?.to_string(),
        local: with_tag(h.to()?, a_tag),
        remote: h.get(&HeaderName::FROM).unwrap_or("").to_string(),
        remote_target: contact_uri(&msg).unwrap_or_else(|| a.uri().as_str().to_string()),
        route: route_set(&msg, false),
        cseq: 0,
        peer,
    })
}

/// The buyer's side of the dialog from its 2xx (or a 1xx with a To tag).
pub(crate) fn b_dialog(
    invite: &Request,
    response: &Response,
    peer: Peer,
) -> Result<Dialog, ParseError> {
    let msg = Message::Response(response.clone());
    Ok(Dialog {
        call_id: invite.headers().call_id()?.to_string(),
        local: invite
            .headers()
            .get(&HeaderName::FROM)
            .unwrap_or("")
            .to_string(),
        remote: response
            .headers()
            .get(&HeaderName::TO)
            .unwrap_or("")
            .to_string(),
        remote_target: contact_uri(&msg).unwrap_or_else(|| invite.uri().as_str().to_string()),
        route: route_set(&msg, true),
        cseq: 1,
        peer,
    })
}

/// Copies a relayed in-dialog request's body and type onto DCE's own request.
pub(crate) fn carry_body(from: &Request, to: &mut Request) -> Result<(), ParseError> {
    if from.body().is_empty() {
        return Ok(());
    }
    let ct = from.headers().content_type().map(str::to_string);
    to.set_body(from.body().clone(), ct.as_deref())
}

/// A response relayed from one leg to a request of the other.
pub(crate) fn relayed_response(req: &Request, from: &Response) -> Response {
    let mut r = Response::for_request(req, from.status(), from.reason());
    if !from.body().is_empty() {
        let ct = from.headers().content_type().map(str::to_string);
        let _ = r.set_body(Bytes::clone(from.body()), ct.as_deref());
    }
    r
}
