//! Header field names: case-insensitive, with RFC 3261 §7.3.3 compact forms.

use std::fmt;

use super::lex::is_token;

macro_rules! known {
    ($( $konst:ident = $variant:ident, $canon:literal, $lower:literal, $compact:literal; )*) => {
        /// The headers this crate knows by name.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub(crate) enum Known { $( $variant, )* }

        impl Known {
            fn canonical(self) -> &'static str {
                match self { $( Known::$variant => $canon, )* }
            }

            /// Case-insensitive lookup of a long name. Candidates are
            /// bucketed by (length, first and last letter) so that a lookup costs one
            /// hash and at most a couple of compares.
            fn from_name(b: &[u8]) -> Option<Known> {
                const ALL: &[(&[u8], Known)] = &[ $( ($lower, Known::$variant), )* ];
                const BUCKETS: [[u8; 2]; 64] = {
                    // Up to two candidates per bucket, 0xff when empty.
                    let mut t = [[0xffu8; 2]; 64];
                    let mut i = 0;
                    while i < ALL.len() {
                        let n = ALL[i].0;
                        let h = bucket(n.len(), n[0], n[n.len() - 1]);
                        if t[h][0] == 0xff {
                            t[h][0] = i as u8
                        } else if t[h][1] == 0xff {
                            t[h][1] = i as u8
                        } else {
                            // Compile-time only: a third name in one bucket.
                            panic!("header name bucket overflow");
                        }
                        i += 1;
                    }
                    t
                };
                let (first, last) = (b.first()?.to_ascii_lowercase(), b.last()?.to_ascii_lowercase());
                for &i in &BUCKETS[bucket(b.len(), first, last)] {
                    if let Some((name, k)) = ALL.get(usize::from(i)) {
                        if eq_lower(b, name) {
                            return Some(*k);
                        }
                    }
                }
                None
            }

            /// RFC 3261 §7.3.3 and later RFCs' single-letter names.
            fn from_compact(c: u8) -> Option<Known> {
                match c {
                    $( $compact if $compact != b'\0' => Some(Known::$variant), )*
                    _ => None,
                }
            }
        }

        #[cfg(test)]
        const ALL_NAMES: &[(&str, HeaderName)] = &[ $( ($canon, HeaderName::$konst), )* ];

        impl HeaderName {
            $(
                #[doc = concat!("`", $canon, "`.")]
                pub const $konst: HeaderName = HeaderName(Repr::Known(Known::$variant));
            )*
        }
    };
}

known! {
    VIA = Via, "Via", b"via", b'v';
    FROM = From, "From", b"from", b'f';
    TO = To, "To", b"to", b't';
    CALL_ID = CallId, "Call-ID", b"call-id", b'i';
    CSEQ = CSeq, "CSeq", b"cseq", b'\0';
    MAX_FORWARDS = MaxForwards, "Max-Forwards", b"max-forwards", b'\0';
    CONTENT_LENGTH = ContentLength, "Content-Length", b"content-length", b'l';
    CONTENT_TYPE = ContentType, "Content-Type", b"content-type", b'c';
    CONTENT_ENCODING = ContentEncoding, "Content-Encoding", b"content-encoding", b'e';
    CONTACT = Contact, "Contact", b"contact", b'm';
    ROUTE = Route, "Route", b"route", b'\0';
    RECORD_ROUTE = RecordRoute, "Record-Route", b"record-route", b'\0';
    EXPIRES = Expires, "Expires", b"expires", b'\0';
    SUBJECT = Subject, "Subject", b"subject", b's';
    SUPPORTED = Supported, "Supported", b"supported", b'k';
    REQUIRE = Require, "Require", b"require", b'\0';
    PROXY_REQUIRE = ProxyRequire, "Proxy-Require", b"proxy-require", b'\0';
    UNSUPPORTED = Unsupported, "Unsupported", b"unsupported", b'\0';
    ALLOW = Allow, "Allow", b"allow", b'\0';
    ACCEPT = Accept, "Accept", b"accept", b'\0';
    EVENT = Event, "Event", b"event", b'o';
    ALLOW_EVENTS = AllowEvents, "Allow-Events", b"allow-events", b'u';
    REFER_TO = ReferTo, "Refer-To", b"refer-to", b'r';
    REFERRED_BY = ReferredBy, "Referred-By", b"referred-by", b'b';
    SESSION_EXPIRES = SessionExpires, "Session-Expires", b"session-expires", b'x';
    MIN_SE = MinSe, "Min-SE", b"min-se", b'\0';
    RSEQ = RSeq, "RSeq", b"rseq", b'\0';
    RACK = RAck, "RAck", b"rack", b'\0';
    AUTHORIZATION = Authorization, "Authorization", b"authorization", b'\0';
    PROXY_AUTHORIZATION = ProxyAuthorization, "Proxy-Authorization", b"proxy-authorization", b'\0';
    WWW_AUTHENTICATE = WwwAuthenticate, "WWW-Authenticate", b"www-authenticate", b'\0';
    PROXY_AUTHENTICATE = ProxyAuthenticate, "Proxy-Authenticate", b"proxy-authenticate", b'\0';
    P_ASSERTED_IDENTITY = PAssertedIdentity, "P-Asserted-Identity", b"p-asserted-identity", b'\0';
    P_PREFERRED_IDENTITY = PPreferredIdentity, "P-Preferred-Identity", b"p-preferred-identity", b'\0';
    PRIVACY = Privacy, "Privacy", b"privacy", b'\0';
    USER_AGENT = UserAgent, "User-Agent", b"user-agent", b'\0';
    SERVER = Server, "Server", b"server", b'\0';
    DATE = Date, "Date", b"date", b'\0';
    TIMESTAMP = Timestamp, "Timestamp", b"timestamp", b'\0';
    MIN_EXPIRES = MinExpires, "Min-Expires", b"min-expires", b'\0';
    RETRY_AFTER = RetryAfter, "Retry-After", b"retry-after", b'\0';
    REASON = Reason, "Reason", b"reason", b'\0';
    WARNING = Warning, "Warning", b"warning", b'\0';
    IDENTITY = Identity, "Identity", b"identity", b'y';
}

/// `wire` equals the lower-case `lower`, ignoring ASCII case.
#[inline]
fn eq_lower(wire: &[u8], lower: &[u8]) -> bool {
    wire.len() == lower.len()
        && wire
            .iter()
            .zip(lower)
            .all(|(w, l)| w.to_ascii_lowercase() == *l)
}

/// Bucket of a lower-case name by its length, first and last letter
/// (multipliers chosen so that no bucket holds more than two known names).
const fn bucket(len: usize, first: u8, last: u8) -> usize {
    (len + (first as usize) * 24 + last as usize) & 63
}

/// A header field name. Comparison ignores ASCII case (RFC 3261 §7.3.1),
/// and compact forms (`v`, `i`, `m`, ...) equal their long form.
#[derive(Clone)]
pub struct HeaderName(Repr);

#[derive(Clone)]
enum Repr {
    Known(Known),
    Other(Box<str>),
}

impl HeaderName {
    /// A header name from its wire spelling; `None` unless it is a `token`.
    /// Known names (and their compact forms) map to the constants.
    pub fn new(name: &str) -> Option<HeaderName> {
        if let Some(k) = lookup(name) {
            return Some(HeaderName(Repr::Known(k)));
        }
        if !is_token(name) {
            return None;
        }
        Some(HeaderName(Repr::Other(name.into())))
    }

    /// Which known header this is, if any.
    pub(crate) fn known(&self) -> Option<Known> {
        match &self.0 {
            Repr::Known(k) => Some(*k),
            Repr::Other(_) => None,
        }
    }

    /// The canonical spelling (long form) for known names, else as given.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Known(k) => k.canonical(),
            Repr::Other(s) => s,
        }
    }
}

/// Maps a wire name to a known header, ignoring case; no allocation.
fn lookup(name: &str) -> Option<Known> {
    let b = name.as_bytes();
    if b.len() == 1 {
        return Known::from_compact(b[0].to_ascii_lowercase());
    }
    Known::from_name(b)
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &HeaderName) -> bool {
        match (&self.0, &other.0) {
            (Repr::Known(a), Repr::Known(b)) => a == b,
            (Repr::Other(a), Repr::Other(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
    }
}

impl Eq for HeaderName {}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeaderName({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_name_is_found() {
        for (canon, name) in ALL_NAMES {
            assert_eq!(HeaderName::new(canon).as_ref(), Some(name), "{canon}");
            assert_eq!(
                HeaderName::new(&canon.to_uppercase()).as_ref(),
                Some(name),
                "{canon}"
            );
            assert_eq!(name.as_str(), *canon);
        }
    }

    #[test]
    fn case_and_compact_forms() {
        assert_eq!(
            HeaderName::new("MaX-fOrWaRdS"),
            Some(HeaderName::MAX_FORWARDS)
        );
        assert_eq!(HeaderName::new("v"), Some(HeaderName::VIA));
        assert_eq!(HeaderName::new("V"), Some(HeaderName::VIA));
        assert_eq!(HeaderName::new("i"), Some(HeaderName::CALL_ID));
        assert_eq!(HeaderName::new("l"), Some(HeaderName::CONTENT_LENGTH));
        assert_eq!(HeaderName::new("k"), Some(HeaderName::SUPPORTED));
        assert_eq!(HeaderName::new("x-foo"), HeaderName::new("X-Foo"));
        assert_ne!(HeaderName::new("C%6Fntact"), Some(HeaderName::CONTACT));
        assert_eq!(HeaderName::new("Bad Name"), None);
        assert_eq!(HeaderName::new(""), None);
        assert_eq!(HeaderName::CALL_ID.as_str(), "Call-ID");
    }
}
