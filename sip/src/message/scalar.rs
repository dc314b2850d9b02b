//! Single-value headers: CSeq, Call-ID, Max-Forwards, Content-Length, Expires.

use super::lex::{is_ws, parse_digits, trim_ws};
use super::method::Method;

/// The CSeq header (RFC 3261 §20.16): sequence number and method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSeq {
    /// The sequence number, below 2^31 (RFC 3261 §8.1.1.5).
    pub seq: u32,
    /// The method; must equal the request's (RFC 3261 §8.1.1.5).
    pub method: Method,
}

impl CSeq {
    /// Parses `1*DIGIT LWS Method`.
    pub fn parse(s: &str) -> Result<CSeq, &'static str> {
        let s = trim_ws(s);
        let split = s.bytes().position(is_ws).ok_or("CSeq without method")?;
        // RFC 3261 §8.1.1.5: the number MUST be less than 2**31.
        let seq = parse_digits(&s[..split], (1 << 31) - 1).ok_or("bad CSeq number")?;
        let method = Method::parse(trim_ws(&s[split..])).ok_or("bad CSeq method")?;
        Ok(CSeq {
            seq: seq as u32,
            method,
        })
    }
}

/// Whether `s` is a Call-ID: `word [ "@" word ]` (RFC 3261 §25.1).
pub(crate) fn valid_call_id(s: &str) -> bool {
    let mut parts = s.split('@');
    let ok = |w: &str| !w.is_empty() && w.bytes().all(is_word_byte);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), None, None) => ok(a),
        (Some(a), Some(b), None) => ok(a) && ok(b),
        _ => false,
    }
}

/// RFC 3261 `word` characters.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'!'
                | b'%'
                | b'*'
                | b'_'
                | b'+'
                | b'`'
                | b'\''
                | b'~'
                | b'('
                | b')'
                | b'<'
                | b'>'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'{'
                | b'}'
        )
}

/// Max-Forwards: `1*DIGIT`, 0 to 255 (RFC 3261 §20.22, §16.6 step 3).
pub(crate) fn max_forwards(s: &str) -> Result<u8, &'static str> {
    parse_digits(trim_ws(s), 255)
        .map(|v| v as u8)
        .ok_or("Max-Forwards not a number from 0 to 255")
}

/// Content-Length: `1*DIGIT` (RFC 3261 §20.14); bounded so that a length
/// can never overflow offset arithmetic.
pub(crate) fn content_length(s: &str) -> Result<usize, &'static str> {
    parse_digits(trim_ws(s), u64::from(u32::MAX))
        .map(|v| v as usize)
        .ok_or("Content-Length not a number")
}

/// Expires and the `expires` parameter: delta-seconds, 32 bits
/// (RFC 3261 §20.19, §25.1). Larger values are an error; the caller may
/// fall back to a default (RFC 4475 §3.1.2.4 suggests 3600).
pub(crate) fn delta_seconds(s: &str) -> Result<u32, &'static str> {
    parse_digits(trim_ws(s), u64::from(u32::MAX))
        .map(|v| v as u32)
        .ok_or("bad delta-seconds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq() {
        assert_eq!(
            CSeq::parse("0009  INVITE"),
            Ok(CSeq {
                seq: 9,
                method: Method::INVITE
            })
        );
        assert!(CSeq::parse("36893488147419103232 REGISTER").is_err());
        assert!(CSeq::parse("2147483648 INVITE").is_err());
        assert!(CSeq::parse("2147483647 INVITE").is_ok());
        assert!(CSeq::parse("8").is_err());
        assert!(CSeq::parse("8 INV ITE").is_err());
        assert!(CSeq::parse("-1 INVITE").is_err());
    }

    #[test]
    fn call_id() {
        assert!(valid_call_id(
            "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
        ));
        assert!(valid_call_id("a84b4c76e66710"));
        assert!(!valid_call_id("a@b@c"));
        assert!(!valid_call_id("has space"));
        assert!(!valid_call_id(""));
        assert!(!valid_call_id("0ha0isndaksdj;10"));
    }

    #[test]
    fn numbers() {
        assert_eq!(max_forwards("0068"), Ok(68));
        assert!(max_forwards("300").is_err());
        assert_eq!(content_length("150"), Ok(150));
        assert!(content_length("-999").is_err());
        assert_eq!(delta_seconds("3600"), Ok(3600));
        assert!(delta_seconds("1000000000000000000000").is_err());
    }
}
