//! `;name=value` parameter lists, as in Via, From/To, Contact and URIs.
//!
//! The view keeps the raw text and walks it on demand, so unknown
//! parameters are never lost: a message prints its original bytes.

use super::lex::{
    all_in, class, find_byte, is_token_byte, quoted_len, split_at_byte, trim_ws, trim_ws_start,
};

/// Which grammar the parameter values follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// Header parameters (RFC 3261 `generic-param`): `token [EQUAL gen-value]`
    /// with SWS allowed around `;` and `=`; `gen-value = token / host /
    /// quoted-string`. IPv6 `received` values with or without brackets
    /// (RFC 5118 §4.5) are hosts.
    Header,
    /// URI parameters (RFC 3261 §19.1.1 `uri-parameter`): `paramchar`s
    /// (unreserved, escaped, `[]/:&+$`), no whitespace.
    Uri,
}

/// A parameter list such as `;tag=1928;lr`, starting at the first `;`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params<'a> {
    raw: &'a str,
    flavor: Flavor,
}

impl<'a> Params<'a> {
    pub(crate) fn new(raw: &'a str, flavor: Flavor) -> Params<'a> {
        Params { raw, flavor }
    }

    /// The parameters as they appeared, leading `;` included (or empty).
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// Whether there is no parameter.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Every parameter as (name, value), names and values as written
    /// (quoted values keep their quotes).
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter {
            rest: self.raw,
            flavor: self.flavor,
        }
    }

    /// Looks a parameter up by name, ignoring ASCII case. `Some(None)`
    /// means present without a value (`;lr`).
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Whether a parameter called `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Checks the whole list; `Err` with a description of the first fault.
    pub(crate) fn validate(&self) -> Result<(), &'static str> {
        let mut it = self.iter();
        while it.next().is_some() {}
        if it.rest.is_empty() {
            Ok(())
        } else {
            Err("malformed parameter")
        }
    }
}

/// Iterator over a [`Params`] list. Stops at the first malformed parameter.
#[derive(Clone, Debug)]
pub struct ParamIter<'a> {
    rest: &'a str,
    flavor: Flavor,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.rest;
        if s.is_empty() {
            return None;
        }
        match self.flavor {
            Flavor::Header => header_param(s).map(|(n, v, rest)| {
                self.rest = rest;
                (n, v)
            }),
            Flavor::Uri => uri_param(s).map(|(n, v, rest)| {
                self.rest = rest;
                (n, v)
            }),
        }
    }
}

type Parsed<'a> = (&'a str, Option<&'a str>, &'a str);

/// `SEMI token [ EQUAL gen-value ]`, SEMI and EQUAL with SWS around them.
fn header_param(s: &str) -> Option<Parsed<'_>> {
    let s = trim_ws_start(s).strip_prefix(';')?;
    let s = trim_ws_start(s);
    let n = s.bytes().take_while(|&b| is_token_byte(b)).count();
    if n == 0 {
        return None;
    }
    let (name, after) = s.split_at(n);
    let t = trim_ws_start(after);
    let Some(v) = t.strip_prefix('=') else {
        return end_of_param(after).map(|rest| (name, None, rest));
    };
    let v = trim_ws_start(v);
    let len = if v.starts_with('"') {
        quoted_len(v)?
    } else {
        v.bytes().take_while(|&b| is_gen_value_byte(b)).count()
    };
    if len == 0 {
        return None;
    }
    let (value, after) = v.split_at(len);
    end_of_param(after).map(|rest| (name, Some(value), rest))
}

/// After a parameter only whitespace then `;` or the end may follow.
fn end_of_param(after: &str) -> Option<&str> {
    let t = trim_ws_start(after);
    if t.is_empty() || t.starts_with(';') {
        Some(t)
    } else {
        None
    }
}

/// token characters plus what a host needs (`:` `[` `]`), RFC 3261 `gen-value`.
fn is_gen_value_byte(b: u8) -> bool {
    is_token_byte(b) || matches!(b, b':' | b'[' | b']')
}

/// `";" pname ["=" pvalue]` with no whitespace.
fn uri_param(s: &str) -> Option<Parsed<'_>> {
    let s = s.strip_prefix(';')?;
    let end = find_byte(s, b';').unwrap_or(s.len());
    let (item, rest) = s.split_at(end);
    let (name, value) = match split_at_byte(item, b'=') {
        Some((n, v)) => (n, Some(v)),
        None => (item, None),
    };
    if !valid_pchars(name) || value.is_some_and(|v| !valid_pchars(v)) {
        return None;
    }
    Some((name, value, rest))
}

/// Non-empty run of paramchars whose `%` are followed by two hex digits.
pub(crate) fn valid_pchars(s: &str) -> bool {
    all_in(s, class::PARAM)
}

/// Removes the quotes and backslash escapes of a quoted-string value; a
/// token value is returned as is.
pub fn unquote(value: &str) -> std::borrow::Cow<'_, str> {
    let v = trim_ws(value);
    match v.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(inner) if inner.contains('\\') => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else {
                    out.push(c);
                }
            }
            std::borrow::Cow::Owned(out)
        }
        Some(inner) => std::borrow::Cow::Borrowed(inner),
        None => std::borrow::Cow::Borrowed(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_params_with_sws() {
        let p = Params::new(";   tag    = 1918181833n", Flavor::Header);
        assert_eq!(p.get("TAG"), Some(Some("1918181833n")));
        assert!(p.validate().is_ok());
        let p = Params::new(
            " ; newparam =      newvalue ;  secondparam ; q = 0.33",
            Flavor::Header,
        );
        let v: Vec<_> = p.iter().collect();
        assert_eq!(
            v,
            vec![
                ("newparam", Some("newvalue")),
                ("secondparam", None),
                ("q", Some("0.33"))
            ]
        );
        assert!(p.validate().is_ok());
    }

    #[test]
    fn header_params_reject_empties() {
        assert!(Params::new(";;", Flavor::Header).validate().is_err());
        assert!(Params::new(";", Flavor::Header).validate().is_err());
        assert!(Params::new(";a=", Flavor::Header).validate().is_err());
        assert!(Params::new(";a=b c", Flavor::Header).validate().is_err());
    }

    #[test]
    fn quoted_and_ipv6_values() {
        let p = Params::new(
            r#";x="a;b";received=2001:db8::9:255;r2=[2001:db8::1]"#,
            Flavor::Header,
        );
        assert_eq!(p.get("x"), Some(Some(r#""a;b""#)));
        assert_eq!(p.get("received"), Some(Some("2001:db8::9:255")));
        assert_eq!(p.get("r2"), Some(Some("[2001:db8::1]")));
        assert!(p.validate().is_ok());
    }

    #[test]
    fn uri_params() {
        let p = Params::new(";%6C%72;n%61me=v%61lue%25%34%31;lr", Flavor::Uri);
        assert!(p.validate().is_ok());
        assert_eq!(p.get("lr"), Some(None));
        assert!(Params::new("; lr", Flavor::Uri).validate().is_err());
        assert!(Params::new(";a=%G1", Flavor::Uri).validate().is_err());
    }

    #[test]
    fn unquoting() {
        assert_eq!(unquote(r#""a\"b""#), "a\"b");
        assert_eq!(unquote("tok"), "tok");
    }
}
