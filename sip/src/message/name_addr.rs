//! `name-addr / addr-spec` followed by parameters: the shape of From, To,
//! Contact, Route, Record-Route and P-Asserted-Identity (RFC 3261 §20).

use super::lex::{
    find_byte, is_token_byte, is_ws, quoted_len, split_commas, trim_ws, trim_ws_start,
};
use super::params::{Flavor, Params};
use super::uri::Uri;

/// An address with its header parameters, e.g. the value of From:
/// `"Alice" <sip:alice@example.com>;tag=1928`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameAddr<'a> {
    display: Option<&'a str>,
    uri: Uri<'a>,
    params: Params<'a>,
    bracketed: bool,
}

impl<'a> NameAddr<'a> {
    /// The display name as written: a quoted-string keeps its quotes
    /// (see [`unquote`](crate::unquote)), a run of tokens is trimmed.
    pub fn display_name(&self) -> Option<&'a str> {
        self.display
    }

    /// The address.
    pub fn uri(&self) -> Uri<'a> {
        self.uri
    }

    /// The header parameters after the address (`;tag=..;expires=..`).
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `tag` parameter (From/To, RFC 3261 §19.3).
    pub fn tag(&self) -> Option<&'a str> {
        self.params.get("tag").flatten()
    }

    /// Whether the address was written inside `<...>`.
    pub fn is_bracketed(&self) -> bool {
        self.bracketed
    }
}

/// Parses one `name-addr` or `addr-spec` with parameters. `addr_spec_ok`
/// is false for Route/Record-Route, whose values must be name-addrs.
pub(crate) fn parse(s: &str, addr_spec_ok: bool) -> Result<NameAddr<'_>, &'static str> {
    let s = trim_ws(s);
    let (display, rest) = if s.starts_with('"') {
        let n = quoted_len(s).ok_or("unterminated quoted display name")?;
        let after = trim_ws_start(&s[n..]);
        if !after.starts_with('<') {
            return Err("display name without <URI>");
        }
        (Some(&s[..n]), after)
    } else if let Some(lt) = find_byte(s, b'<') {
        // RFC 3261 `display-name = *(token LWS)`: an unquoted display name
        // with a comma or other separator is invalid (RFC 4475 §3.1.2.15).
        let d = trim_ws(&s[..lt]);
        if !d.bytes().all(|b| is_token_byte(b) || is_ws(b)) {
            return Err("non-token characters in unquoted display name");
        }
        ((!d.is_empty()).then_some(d), &s[lt..])
    } else {
        (None, s)
    };

    if let Some(inner) = rest.strip_prefix('<') {
        let gt = find_byte(inner, b'>').ok_or("missing '>'")?;
        let uri_text = &inner[..gt];
        // LAQUOT/RAQUOT carry no inner whitespace (RFC 4475 §3.1.2.14).
        let uri = Uri::parse(uri_text).map_err(|_| "bad URI")?;
        let params = Params::new(&inner[gt + 1..], Flavor::Header);
        params.validate()?;
        return Ok(NameAddr {
            display,
            uri,
            params,
            bracketed: true,
        });
    }
    if !addr_spec_ok {
        return Err("address must be enclosed in <>");
    }
    // addr-spec form: the URI ends at the first ';' or whitespace, and the
    // semicolons that follow are header parameters. A URI holding `?` or
    // `,` must be bracketed (RFC 3261 §20; RFC 4475 §3.1.2.13).
    let end = rest
        .bytes()
        .position(|b| b == b';' || is_ws(b))
        .unwrap_or(rest.len());
    let uri_text = &rest[..end];
    if uri_text.bytes().any(|b| b == b'?' || b == b',') {
        return Err("URI with '?' or ',' outside <>");
    }
    let uri = Uri::parse(uri_text).map_err(|_| "bad URI")?;
    let params = Params::new(&rest[end..], Flavor::Header);
    params.validate()?;
    Ok(NameAddr {
        display: None,
        uri,
        params,
        bracketed: false,
    })
}

/// Parses a comma-separated list of addresses (Contact, Route, ...).
pub(crate) fn parse_list(
    s: &str,
    addr_spec_ok: bool,
) -> impl Iterator<Item = Result<NameAddr<'_>, &'static str>> {
    split_commas(s).map(move |item| parse(item, addr_spec_ok))
}

/// The value of a Contact header: `*` or addresses (RFC 3261 §20.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contacts<'a> {
    /// `Contact: *`, only valid in a REGISTER removing all bindings.
    Star,
    /// The addresses, in order, across all Contact header fields.
    List(Vec<NameAddr<'a>>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> NameAddr<'_> {
        match parse(s, true) {
            Ok(a) => a,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn forms() {
        let a = ok(r#""J Rosenberg \\\""       <sip:jdrosen@example.com>  ;  tag = 98asjd8"#);
        assert_eq!(a.display_name(), Some(r#""J Rosenberg \\\"""#));
        assert_eq!(a.tag(), Some("98asjd8"));
        let a = ok("caller<sip:caller@example.com>;tag=323");
        assert_eq!(a.display_name(), Some("caller"));
        let a = ok("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
        assert_eq!(a.uri().as_str(), "sip:vivekg@chair-dnrc.example.com");
        assert_eq!(a.tag(), Some("1918181833n"));
        assert!(!a.is_bracketed());
        let a = ok("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;tag=_token~1'+`*%!-.");
        assert_eq!(a.display_name(), Some("token1~` token2'+_ token3*%!.-"));
        let a = ok("<http://www.example.com>;tag=1");
        assert_eq!(a.uri().as_str(), "http://www.example.com");
    }

    #[test]
    fn rejects() {
        for s in [
            r#""Mr. J. User <sip:j.user@example.com>"#,
            r#""Watson, Thomas" < sip:t.watson@example.org >"#,
            "Watson, Thomas <sip:t.watson@example.org>",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            r#""Joe" <sip:joe@example.org>;;;;"#,
            "<sip:a@b",
            "",
        ] {
            assert!(parse(s, true).is_err(), "{s}");
        }
        assert!(parse("sip:proxy.example.com;lr", false).is_err());
    }

    #[test]
    fn lists() {
        let v: Vec<_> = parse_list("<sip:a@x>;q=0.5, \"B, b\" <sip:b@y>", true).collect();
        assert_eq!(v.len(), 2);
        assert!(v.iter().all(Result::is_ok));
    }
}
