//! RFC 4475 and RFC 5118: what the parser must do with each message.
//!
//! The table records, per message, the outcome its RFC section asks of a
//! receiving element's parser. Messages that are syntactically valid but
//! call for an application-level answer (416, 420, 415, 483, ...) are
//! `Accept` here: the parser's job is to hand them on intact.

use dce_sip::{Disposition, Message, ParseError, StatusCode};

use crate::corpus;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Parsed; handed to the transaction layer.
    Accept,
    /// Rejected with this answer.
    Respond(u16),
    /// Rejected silently.
    Drop,
}
use Expect::*;

/// (file, RFC section, expected outcome, why).
const TABLE: &[(&str, &str, Expect, &str)] = &[
    // RFC 4475 §3.1.1: valid messages, all accepted.
    (
        "wsinv",
        "4475 3.1.1.1",
        Accept,
        "short tortuous INVITE: folding, SWS, compact forms",
    ),
    (
        "intmeth",
        "4475 3.1.1.2",
        Accept,
        "wide range of valid characters",
    ),
    ("esc01", "4475 3.1.1.3", Accept, "valid use of % escaping"),
    ("escnull", "4475 3.1.1.4", Accept, "escaped NULs in URIs"),
    (
        "esc02",
        "4475 3.1.1.5",
        Accept,
        "% in method and header name are tokens",
    ),
    (
        "lwsdisp",
        "4475 3.1.1.6",
        Accept,
        "no LWS between display name and <",
    ),
    ("longreq", "4475 3.1.1.7", Accept, "long values, many Vias"),
    (
        "dblreq",
        "4475 3.1.1.8",
        Accept,
        "extra trailing octets after Content-Length ignored",
    ),
    (
        "semiuri",
        "4475 3.1.1.9",
        Accept,
        "semicolon-separated parameters in URI user part",
    ),
    (
        "transports",
        "4475 3.1.1.10",
        Accept,
        "varied and unknown transports",
    ),
    (
        "mpart01",
        "4475 3.1.1.11",
        Accept,
        "multipart body with binary",
    ),
    (
        "unreason",
        "4475 3.1.1.12",
        Accept,
        "unusual reason phrase (UTF-8)",
    ),
    ("noreason", "4475 3.1.1.13", Accept, "empty reason phrase"),
    // RFC 4475 §3.1.2: invalid messages.
    (
        "badinv01",
        "4475 3.1.2.1",
        Respond(400),
        "extraneous header field separators",
    ),
    (
        "clerr",
        "4475 3.1.2.2",
        Respond(400),
        "Content-Length larger than message (UDP: 400)",
    ),
    (
        "ncl",
        "4475 3.1.2.3",
        Respond(400),
        "negative Content-Length",
    ),
    ("scalar02", "4475 3.1.2.4", Respond(400), "overlarge CSeq"),
    (
        "scalarlg",
        "4475 3.1.2.5",
        Drop,
        "response with overlarge scalars: discard",
    ),
    (
        "quotbal",
        "4475 3.1.2.6",
        Respond(400),
        "unterminated quoted display name",
    ),
    (
        "ltgtruri",
        "4475 3.1.2.7",
        Respond(400),
        "<> around Request-URI",
    ),
    (
        "lwsruri",
        "4475 3.1.2.8",
        Respond(400),
        "LWS inside Request-URI",
    ),
    (
        "lwsstart",
        "4475 3.1.2.9",
        Respond(400),
        "multiple SP in Request-Line",
    ),
    (
        "trws",
        "4475 3.1.2.10",
        Respond(400),
        "SP at end of Request-Line",
    ),
    (
        "escruri",
        "4475 3.1.2.11",
        Respond(400),
        "escaped headers in Request-URI",
    ),
    // §3.1.2.12 lets an element that does not use Date ignore it; this
    // parser never reads Date, so the message is accepted.
    ("baddate", "4475 3.1.2.12", Accept, "non-GMT Date: ignored"),
    (
        "regbadct",
        "4475 3.1.2.13",
        Respond(400),
        "URI with ? in Contact not enclosed in <>",
    ),
    (
        "badaspec",
        "4475 3.1.2.14",
        Respond(400),
        "spaces inside <addr-spec>",
    ),
    (
        "baddn",
        "4475 3.1.2.15",
        Respond(400),
        "non-token characters in unquoted display name",
    ),
    (
        "badvers",
        "4475 3.1.2.16",
        Respond(505),
        "SIP/7.0: 505 Version Not Supported",
    ),
    (
        "mismatch01",
        "4475 3.1.2.17",
        Respond(400),
        "CSeq method differs from Request-Line",
    ),
    // §3.1.2.18 prefers 501 but accepts 400; the parser cannot tell an
    // unknown method from a mismatch without knowing what is implemented.
    (
        "mismatch02",
        "4475 3.1.2.18",
        Respond(400),
        "unknown method, CSeq mismatch",
    ),
    ("bigcode", "4475 3.1.2.19", Drop, "status code > 699: drop"),
    // RFC 4475 §3.2: transaction layer.
    (
        "badbranch",
        "4475 3.2.1",
        Accept,
        "branch is only the magic cookie: parsed, treated as RFC 2543",
    ),
    // RFC 4475 §3.3: application layer. Parsed unless the fault is in a
    // header the parser must read.
    (
        "insuf",
        "4475 3.3.1",
        Respond(400),
        "missing Call-ID, From, To",
    ),
    (
        "unkscm",
        "4475 3.3.2",
        Accept,
        "unknown Request-URI scheme: element answers 416",
    ),
    ("novelsc", "4475 3.3.3", Accept, "known but atypical scheme"),
    (
        "unksm2",
        "4475 3.3.4",
        Accept,
        "unknown URI schemes in headers",
    ),
    (
        "bext01",
        "4475 3.3.5",
        Accept,
        "Proxy-Require/Require: element answers 420",
    ),
    (
        "invut",
        "4475 3.3.6",
        Accept,
        "unknown Content-Type: element answers 415",
    ),
    (
        "regaut01",
        "4475 3.3.7",
        Accept,
        "unknown authorization scheme",
    ),
    (
        "multi01",
        "4475 3.3.8",
        Respond(400),
        "multiple values in single-value headers",
    ),
    (
        "mcl01",
        "4475 3.3.9",
        Respond(400),
        "multiple Content-Length values",
    ),
    (
        "bcast",
        "4475 3.3.10",
        Accept,
        "broadcast sent-by: the transaction layer drops it",
    ),
    (
        "zeromf",
        "4475 3.3.11",
        Accept,
        "Max-Forwards 0: element answers 483 (or OPTIONS 200)",
    ),
    (
        "cparam01",
        "4475 3.3.12",
        Accept,
        "REGISTER with contact parameter",
    ),
    (
        "cparam02",
        "4475 3.3.13",
        Accept,
        "REGISTER with URL parameter",
    ),
    (
        "regescrt",
        "4475 3.3.14",
        Accept,
        "REGISTER with escaped header in bracketed Contact",
    ),
    (
        "sdp01",
        "4475 3.3.15",
        Accept,
        "unacceptable Accept: element answers 406",
    ),
    // RFC 4475 §3.4.
    ("inv2543", "4475 3.4.1", Accept, "RFC 2543 INVITE"),
    // RFC 5118 §4: only 4.2 is invalid.
    (
        "ipv6-good",
        "5118 4.1",
        Accept,
        "IPv6 reference in Request-URI",
    ),
    (
        "ipv6-bad",
        "5118 4.2",
        Respond(400),
        "IPv6 address without brackets in Request-URI",
    ),
    (
        "port-ambiguous",
        "5118 4.3",
        Accept,
        "port-looking group inside brackets is address",
    ),
    (
        "port-unambiguous",
        "5118 4.4",
        Accept,
        "port after brackets",
    ),
    (
        "via-received-param-with-delim",
        "5118 4.5",
        Accept,
        "received=[v6]",
    ),
    (
        "via-received-param-no-delim",
        "5118 4.5",
        Accept,
        "received=v6",
    ),
    ("ipv6-in-sdp", "5118 4.6", Accept, "IPv6 in SDP body"),
    (
        "mult-ip-in-header",
        "5118 4.7",
        Accept,
        "IPv4 and IPv6 in Vias",
    ),
    ("mult-ip-in-sdp", "5118 4.8", Accept, "IPv4 and IPv6 in SDP"),
    (
        "ipv4-mapped-ipv6",
        "5118 4.9",
        Accept,
        "IPv4-mapped IPv6 addresses",
    ),
    (
        "ipv6-bug-abnf-3-colons",
        "5118 4.10",
        Accept,
        "three colons: tolerated",
    ),
    (
        "ipv6-correct-abnf-2-colons",
        "5118 4.10",
        Accept,
        "two colons",
    ),
];

fn outcome(bytes: &[u8]) -> (Expect, Option<ParseError>) {
    match Message::parse(bytes) {
        Ok(_) => (Accept, None),
        Err(m) => {
            let e = match m.disposition() {
                Disposition::Respond(s) => Respond(s.as_u16()),
                Disposition::Drop => Drop,
            };
            (e, Some(m.error().clone()))
        }
    }
}

#[test]
fn every_message_has_its_rfc_outcome() {
    let Some(cases) = corpus::load() else { return };
    assert_eq!(cases.len(), 61, "49 RFC 4475 + 12 RFC 5118 messages");
    let mut failures = Vec::new();
    for c in &cases {
        let Some(&(_, section, want, why)) = TABLE.iter().find(|(n, ..)| *n == c.name) else {
            failures.push(format!("{}/{}: not in the table", c.suite, c.name));
            continue;
        };
        let (got, err) = outcome(&c.bytes);
        if got != want {
            failures.push(format!(
                "{} ({section}, {why}): want {want:?}, got {got:?} {err:?}",
                c.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(TABLE.len(), cases.len(), "table rows without a file");
}

#[test]
fn answers_to_bad_requests_copy_the_dialog_headers() {
    let Some(cases) = corpus::load() else { return };
    for c in &cases {
        let Err(m) = Message::parse(&c.bytes) else {
            continue;
        };
        let Some(r) = m.response() else { continue };
        let code = r.status();
        assert!(code == StatusCode::BAD_REQUEST || code == StatusCode::VERSION_NOT_SUPPORTED);
        let h = r.headers();
        assert!(
            h.top_via().is_ok() || h.get(&dce_sip::HeaderName::VIA).is_some(),
            "{}",
            c.name
        );
        // The answer is well-formed SIP whenever the copied headers were.
        let wire = r.to_bytes();
        if h.vias().all(|v| v.is_ok())
            && h.from().is_ok()
            && h.to().is_ok()
            && h.cseq().is_ok()
            && h.call_id().is_ok()
        {
            assert!(
                Message::parse(&wire).is_ok(),
                "{}: {}",
                c.name,
                String::from_utf8_lossy(&wire)
            );
        }
    }
}

#[test]
fn specific_errors_name_the_fault() {
    let Some(cases) = corpus::load() else { return };
    let get = |n: &str| {
        let c = cases
            .iter()
            .find(|c| c.name == n)
            .unwrap_or_else(|| panic!("{n}"));
        outcome(&c.bytes).1
    };
    use dce_sip::HeaderName as H;
    assert!(matches!(
        get("mismatch01"),
        Some(ParseError::CSeqMethodMismatch)
    ));
    assert!(matches!(
        get("badvers"),
        Some(ParseError::UnsupportedVersion)
    ));
    assert!(matches!(get("bigcode"), Some(ParseError::BadStatusCode)));
    assert!(matches!(
        get("clerr"),
        Some(ParseError::BodyTruncated { declared: 9999, .. })
    ));
    assert!(
        matches!(get("ncl"), Some(ParseError::BadHeader { name, .. }) if name == H::CONTENT_LENGTH)
    );
    assert!(matches!(get("mcl01"), Some(ParseError::MultipleValues(n)) if n == H::CONTENT_LENGTH));
    assert!(matches!(get("insuf"), Some(ParseError::MissingHeader(_))));
    assert!(matches!(get("scalar02"), Some(ParseError::BadHeader { name, .. }) if name == H::CSEQ));
    assert!(matches!(get("quotbal"), Some(ParseError::BadHeader { name, .. }) if name == H::TO));
    assert!(matches!(
        get("ltgtruri"),
        Some(ParseError::BadRequestUri(_))
    ));
    assert!(matches!(get("escruri"), Some(ParseError::BadRequestUri(_))));
    assert!(matches!(get("lwsstart"), Some(ParseError::BadStartLine)));
    assert!(
        matches!(get("regbadct"), Some(ParseError::BadHeader { name, .. }) if name == H::CONTACT)
    );
    assert!(matches!(get("badinv01"), Some(ParseError::BadHeader { name, .. }) if name == H::VIA));
}
