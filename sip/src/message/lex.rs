//! Character classes and small scanners shared by the header views.
//!
//! Values handed to these functions are already unfolded (RFC 3261 §7.3.1:
//! a CRLF followed by whitespace is removed, leaving the whitespace), so
//! "linear white space" here is just SP and HTAB.

/// RFC 3261 §25.1 `token`: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~".
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        c += 1;
    }
    t
};

/// Character classes of RFC 3261 §25.1 as bit flags, one table lookup per byte.
pub(crate) mod class {
    /// `unreserved` = alphanum / mark.
    pub(crate) const UNRESERVED: u8 = 1;
    /// `user` characters: unreserved / escaped / user-unreserved.
    pub(crate) const USER: u8 = 2;
    /// `password` characters.
    pub(crate) const PASSWORD: u8 = 4;
    /// `paramchar`: param-unreserved / unreserved / escaped.
    pub(crate) const PARAM: u8 = 8;
    /// hostname characters (alphanum, `-`, `.`, and `_` seen in the wild).
    pub(crate) const HOST: u8 = 16;
    /// `hname` / `hvalue` characters of URI headers.
    pub(crate) const HNV: u8 = 32;
    /// `uric` of an absoluteURI.
    pub(crate) const URIC: u8 = 64;

    const fn any(b: u8, set: &[u8]) -> bool {
        let mut i = 0;
        while i < set.len() {
            if set[i] == b {
                return true;
            }
            i += 1;
        }
        false
    }

    pub(crate) const TABLE: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut c = 0;
        while c < 256 {
            let b = c as u8;
            let unres = b.is_ascii_alphanumeric() || any(b, b"-_.!~*'()");
            let mut f = 0;
            if unres {
                f |= UNRESERVED | USER | PASSWORD | PARAM | HNV | URIC;
            }
            if any(b, b"%&=+$,;?/") {
                f |= USER;
            }
            if any(b, b"%&=+$,") {
                f |= PASSWORD;
            }
            if any(b, b"%[]/:&+$") {
                f |= PARAM;
            }
            if b.is_ascii_alphanumeric() || any(b, b"-._") {
                f |= HOST;
            }
            if any(b, b"%[]/?:+$=&") {
                f |= HNV;
            }
            if any(b, b";/?:@&=+$,%") {
                f |= URIC;
            }
            t[c] = f;
            c += 1;
        }
        t
    };
}

/// Whether every byte of `s` is in `class` (see [`class`]) and every `%`
/// starts a `%HH` escape; `false` for an empty string.
#[inline]
pub(crate) fn all_in(s: &str, flag: u8) -> bool {
    let mut pct = false;
    for &b in s.as_bytes() {
        if class::TABLE[b as usize] & flag == 0 {
            return false;
        }
        pct |= b == b'%';
    }
    !s.is_empty() && (!pct || escapes_ok(s))
}

/// Every `%` starts a `%HH` escape (RFC 3261 `escaped`).
pub(crate) fn escapes_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// A dotted-quad IPv4 address (no leading zeros), in one pass.
pub(crate) fn ipv4(s: &str) -> Option<std::net::Ipv4Addr> {
    let mut out = [0u8; 4];
    let mut part = 0;
    let mut val: u16 = 0;
    let mut digits = 0;
    for &b in s.as_bytes() {
        if b == b'.' {
            if digits == 0 || part == 3 {
                return None;
            }
            out[part] = u8::try_from(val).ok()?;
            part += 1;
            val = 0;
            digits = 0;
        } else if b.is_ascii_digit() {
            if digits == 3 || (digits == 1 && val == 0) {
                return None;
            }
            val = val * 10 + u16::from(b - b'0');
            digits += 1;
        } else {
            return None;
        }
    }
    if part != 3 || digits == 0 {
        return None;
    }
    out[3] = u8::try_from(val).ok()?;
    Some(std::net::Ipv4Addr::from(out))
}

/// Whether `b` may appear in a `token`.
#[inline]
pub(crate) fn is_token_byte(b: u8) -> bool {
    TOKEN[b as usize]
}

/// Whether `s` is a non-empty `token`.
#[inline]
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// SP or HTAB.
#[inline]
pub(crate) fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Trims SP/HTAB on both sides.
#[inline]
pub(crate) fn trim_ws(s: &str) -> &str {
    trim_ws_end(trim_ws_start(s))
}

/// Trims SP/HTAB at the end.
#[inline]
pub(crate) fn trim_ws_end(s: &str) -> &str {
    let b = s.as_bytes();
    let mut e = b.len();
    while e > 0 && is_ws(b[e - 1]) {
        e -= 1;
    }
    // SP/HTAB are ASCII, so `e` is a char boundary.
    s.get(..e).unwrap_or(s)
}

/// Trims SP/HTAB at the start.
#[inline]
pub(crate) fn trim_ws_start(s: &str) -> &str {
    let b = s.as_bytes();
    let mut a = 0;
    while a < b.len() && is_ws(b[a]) {
        a += 1;
    }
    s.get(a..).unwrap_or(s)
}

/// Length of the quoted-string at the start of `s` (which must begin with
/// `"`), closing quote included; `None` when it is not terminated or holds
/// a bare CR/LF. RFC 3261 §25.1: `quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)`.
pub(crate) fn quoted_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Some(i + 1),
            b'\\' => {
                let next = *b.get(i + 1)?;
                if next == b'\r' || next == b'\n' || next >= 0x80 {
                    return None;
                }
                i += 2;
            }
            b'\r' | b'\n' => return None,
            _ => i += 1,
        }
    }
    None
}

/// Splits a header value at commas that are outside quoted strings and
/// outside `<...>` (RFC 3261 §7.3.1: several values of one header may be
/// combined with commas). Elements are trimmed. A quote left open makes
/// the rest of the value one element; the element parser then rejects it.
pub(crate) fn split_commas(s: &str) -> CommaSplit<'_> {
    CommaSplit { rest: Some(s) }
}

/// Iterator returned by [`split_commas`].
pub(crate) struct CommaSplit<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        let b = s.as_bytes();
        // Most values hold one element: no comma, nothing to scan for.
        if memchr::memchr(b',', b).is_none() {
            self.rest = None;
            return Some(trim_ws(s));
        }
        let mut i = 0;
        let mut angle = false;
        while i < b.len() {
            match b[i] {
                b'"' => match quoted_len(&s[i..]) {
                    Some(n) => i += n,
                    None => break,
                },
                b'<' => {
                    angle = true;
                    i += 1;
                }
                b'>' => {
                    angle = false;
                    i += 1;
                }
                b',' if !angle => {
                    self.rest = Some(&s[i + 1..]);
                    return Some(trim_ws(&s[..i]));
                }
                _ => i += 1,
            }
        }
        self.rest = None;
        Some(trim_ws(s))
    }
}

/// Position of byte `b` in `s`. A plain loop: the strings searched here
/// are short, where it beats a vectorised search's setup.
#[inline]
pub(crate) fn find_byte(s: &str, b: u8) -> Option<usize> {
    s.bytes().position(|c| c == b)
}

/// `s` split around the first `b`, which is dropped.
#[inline]
pub(crate) fn split_at_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = find_byte(s, b)?;
    // `b` is ASCII, so both `i` and `i + 1` are char boundaries.
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Parses a run of ASCII digits as a number no larger than `max`;
/// `None` for an empty string, any other character, or overflow.
pub(crate) fn parse_digits(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        if v > max {
            return None;
        }
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings() {
        assert_eq!(quoted_len(r#""abc" x"#), Some(5));
        assert_eq!(quoted_len(r#""a\"b""#), Some(6));
        assert_eq!(quoted_len(r#""J Rosenberg \\\"""#), Some(18));
        assert_eq!(quoted_len(r#""open"#), None);
        assert_eq!(quoted_len("x"), None);
    }

    #[test]
    fn commas_respect_quotes_and_brackets() {
        let v: Vec<_> = split_commas(r#"a, "b,c" <sip:x,y>;p , d"#).collect();
        assert_eq!(v, vec!["a", r#""b,c" <sip:x,y>;p"#, "d"]);
        let v: Vec<_> = split_commas(";;,;,,").collect();
        assert_eq!(v, vec![";;", ";", "", ""]);
    }

    #[test]
    fn ipv4_addresses() {
        assert_eq!(
            ipv4("192.0.2.1"),
            Some(std::net::Ipv4Addr::new(192, 0, 2, 1))
        );
        assert_eq!(ipv4("255.255.255.255"), Some(std::net::Ipv4Addr::BROADCAST));
        for bad in [
            "256.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1..2.3",
            "1.2.3.",
            "",
            "2001",
            "1.2.3.4444",
        ] {
            assert_eq!(ipv4(bad), None, "{bad}");
        }
    }

    #[test]
    fn digits() {
        assert_eq!(parse_digits("0068", 255), Some(68));
        assert_eq!(parse_digits("256", 255), None);
        assert_eq!(parse_digits("-1", 255), None);
        assert_eq!(parse_digits("36893488147419103232", u64::MAX), None);
    }
}
