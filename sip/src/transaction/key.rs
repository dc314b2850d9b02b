//! Transaction keys: how a message finds its transaction (RFC 3261
//! §17.1.3 for clients, §17.2.3 for servers), and fresh branch ids.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Method, Request, Response, Via, BRANCH_MAGIC_COOKIE};

/// Identifies a server transaction (RFC 3261 §17.2.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServerKey(Server);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Server {
    /// The branch carries the magic cookie: branch, sent-by and method
    /// identify the transaction.
    Rfc3261 {
        branch: Box<str>,
        sent_by: SentBy,
        method: Method,
    },
    /// An RFC 2543 peer: the branch (if any) is not unique, so the
    /// request's identity is compared instead. The To tag is left out: a
    /// CANCEL carries the INVITE's, an ACK the response's (checked apart,
    /// see [`ServerKey::is_rfc2543`]).
    Rfc2543 {
        request_uri: Box<str>,
        from_tag: Box<str>,
        call_id: Box<str>,
        cseq: u32,
        top_via: Box<str>,
        method: Method,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SentBy {
    host: Box<str>,
    port: Option<u16>,
}

impl SentBy {
    fn of(via: &Via<'_>) -> SentBy {
        SentBy {
            host: via.host().to_string().to_ascii_lowercase().into(),
            port: via.port(),
        }
    }
}

impl ServerKey {
    /// The key of the server transaction `request` belongs to. An ACK
    /// maps to its INVITE's transaction (§17.2.3: "except for ACK, where
    /// the method of the request that created the transaction is INVITE").
    /// `None` when the request lacks what matching needs (a top Via, and
    /// for RFC 2543 peers From, Call-ID and CSeq).
    pub(crate) fn for_request(request: &Request) -> Option<ServerKey> {
        let h = request.headers();
        let via = h.top_via().ok()?;
        let method = match request.method() {
            m if *m == Method::ACK => Method::INVITE,
            m => m.clone(),
        };
        if via.has_rfc3261_branch() {
            return Some(ServerKey(Server::Rfc3261 {
                branch: via.branch()?.into(),
                sent_by: SentBy::of(&via),
                method,
            }));
        }
        let sent_by = SentBy::of(&via);
        let top_via = format!(
            "{}/{}:{};{}",
            via.transport(),
            sent_by.host,
            sent_by.port.unwrap_or(0),
            via.branch().unwrap_or("")
        );
        Some(ServerKey(Server::Rfc2543 {
            request_uri: request.uri().as_str().into(),
            from_tag: h.from().ok()?.tag().unwrap_or("").into(),
            call_id: h.call_id().ok()?.into(),
            cseq: h.cseq().ok()?.seq,
            top_via: top_via.into(),
            method,
        }))
    }

    /// The same key for another method: a CANCEL's key turned into the key
    /// of the INVITE it cancels (RFC 3261 §9.2).
    pub(crate) fn with_method(&self, method: Method) -> ServerKey {
        let mut k = self.clone();
        match &mut k.0 {
            Server::Rfc3261 { method: m, .. } | Server::Rfc2543 { method: m, .. } => *m = method,
        }
        k
    }

    /// Whether the key was built by the RFC 2543 fallback, where an ACK
    /// must also carry the To tag of the response it acknowledges.
    pub(crate) fn is_rfc2543(&self) -> bool {
        matches!(self.0, Server::Rfc2543 { .. })
    }
}

/// Identifies a client transaction: the branch of the top Via and the
/// CSeq method (RFC 3261 §17.1.3; the method tells a CANCEL apart from
/// the INVITE whose branch it shares).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey {
    branch: Box<str>,
    method: Method,
}

impl ClientKey {
    /// The key of a request we send; the branch is empty when the request
    /// has no top Via or no branch (such a request is refused).
    pub(crate) fn for_request(request: &Request) -> ClientKey {
        let branch = request
            .headers()
            .top_via()
            .ok()
            .and_then(|v| v.branch().map(Box::from))
            .unwrap_or_default();
        ClientKey {
            branch,
            method: request.method().clone(),
        }
    }

    /// The key a response matches, if it has a branch and a CSeq.
    pub(crate) fn for_response(response: &Response) -> Option<ClientKey> {
        let h = response.headers();
        let branch = h.top_via().ok()?.branch()?.into();
        let method = h.cseq().ok()?.method;
        Some(ClientKey { branch, method })
    }

    /// The key of the CANCEL for this (INVITE) transaction: same branch.
    pub(crate) fn cancel(&self) -> ClientKey {
        ClientKey {
            branch: self.branch.clone(),
            method: Method::CANCEL,
        }
    }

    /// Whether the key can identify a transaction: an RFC 3261 branch.
    pub(crate) fn is_usable(&self) -> bool {
        self.branch.len() > BRANCH_MAGIC_COOKIE.len()
            && self.branch.starts_with(BRANCH_MAGIC_COOKIE)
    }

    /// The method of the request that created the transaction.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The branch of the request that created the transaction.
    pub fn branch(&self) -> &str {
        &self.branch
    }
}

/// A new Via branch: the RFC 3261 magic cookie (§8.1.1.7) and 128 random
/// bits in hex, unique in space and time.
pub fn new_branch() -> String {
    format!("{BRANCH_MAGIC_COOKIE}{}", random_hex())
}

/// 128 random bits as 32 hex digits. `RandomState` is seeded from the OS
/// once per thread and stepped on every `new()`; a process-wide counter
/// keeps two values apart even across threads with equal seeds.
pub(crate) fn random_hex() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let word = |salt: u64| {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u64(salt);
        h.finish()
    };
    format!("{:016x}{:016x}", word(0), word(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    fn req(text: &str) -> Request {
        match Message::parse(text.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    const INVITE: &str = "INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP Host.example:5060;branch=z9hG4bKa\r\n\
        From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn ack_and_cancel_map_to_invite() {
        let inv = ServerKey::for_request(&req(INVITE));
        let ack = req(&INVITE
            .replace("INVITE sip", "ACK sip")
            .replace("1 INVITE", "1 ACK"));
        assert_eq!(ServerKey::for_request(&ack), inv);
        let cancel = req(&INVITE
            .replace("INVITE sip", "CANCEL sip")
            .replace("1 INVITE", "1 CANCEL"));
        let ck = ServerKey::for_request(&cancel);
        assert_ne!(ck, inv);
        assert_eq!(ck.map(|k| k.with_method(Method::INVITE)), inv);
        // sent-by host compares without case.
        let other = req(&INVITE.replace("Host.example", "host.EXAMPLE"));
        assert_eq!(ServerKey::for_request(&other), inv);
    }

    #[test]
    fn branches_are_fresh() {
        let (a, b) = (new_branch(), new_branch());
        assert_ne!(a, b);
        assert!(a.starts_with("z9hG4bK") && a.len() == 7 + 32);
    }
}
