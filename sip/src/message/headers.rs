//! The header section: every header field in wire order, with its raw bytes.
//!
//! Parsed headers point into one shared copy of the message head (`src`),
//! so parsing allocates once for the head instead of once per value, and a
//! header that nobody changed prints back exactly as it arrived (spacing,
//! case, folding, unknown parameters and all). A header that is set or
//! inserted owns its value and prints as `Name: value`.

use std::ops::Range;
use std::sync::Arc;

use super::error::ParseError;
use super::name::HeaderName;

/// Text of a header: a span of the shared head, or owned.
#[derive(Clone, Debug)]
pub(crate) enum Text {
    Span(u32, u32),
    Owned(Box<str>),
}

impl Text {
    pub(crate) fn span(r: Range<usize>) -> Text {
        // Heads are capped far below 4 GiB (see framing and parse limits).
        Text::Span(r.start as u32, r.end as u32)
    }

    pub(crate) fn get<'a>(&'a self, src: &'a str) -> &'a str {
        match self {
            Text::Span(a, b) => src.get(*a as usize..*b as usize).unwrap_or(""),
            Text::Owned(s) => s,
        }
    }
}

/// One header field.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) name: HeaderName,
    /// The value, unfolded and trimmed.
    pub(crate) value: Text,
    /// The whole line as received (name to last value byte), for printing.
    pub(crate) raw: Option<Range<u32>>,
}

/// The header fields of a message, in order.
#[derive(Clone, Debug, Default)]
pub struct Headers {
    pub(crate) src: Arc<str>,
    pub(crate) fields: Vec<Field>,
}

/// Rejects values that would break the message framing when printed:
/// CR or LF would let a value smuggle in extra header lines. (NUL may
/// appear escaped in a quoted-string, RFC 4475 §3.1.1.2, so it is allowed.)
fn check_value(value: &str) -> Result<(), ParseError> {
    if value.bytes().any(|b| b == b'\r' || b == b'\n') {
        return Err(ParseError::InvalidHeaderValue);
    }
    Ok(())
}

impl Headers {
    /// An empty header section.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Number of header fields (lines).
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there is no header field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Every header field as (name, value), in order. Values are unfolded
    /// and trimmed; a header line holding comma-separated values is one item.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &str)> + '_ {
        self.fields
            .iter()
            .map(move |f| (&f.name, f.value.get(&self.src)))
    }

    /// The value of the first header field called `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name == *name)
            .map(|f| f.value.get(&self.src))
    }

    /// The values of every header field called `name`, in order.
    pub fn get_all(&self, name: &HeaderName) -> impl Iterator<Item = &str> + '_ {
        let name = name.clone();
        self.fields
            .iter()
            .filter(move |f| f.name == name)
            .map(move |f| f.value.get(&self.src))
    }

    /// How many header fields are called `name`.
    pub fn count(&self, name: &HeaderName) -> usize {
        self.fields.iter().filter(|f| f.name == *name).count()
    }

    /// Whether any header field is called `name`.
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.fields.iter().any(|f| f.name == *name)
    }

    /// Appends a header field at the end.
    pub fn push(&mut self, name: HeaderName, value: &str) -> Result<(), ParseError> {
        check_value(value)?;
        self.fields.push(owned(name, value));
        Ok(())
    }

    /// Inserts a header field before the first one called `name`, or at
    /// the end when there is none. This is how a proxy or B2BUA adds its
    /// own Via (RFC 3261 §16.6 step 8) or a Record-Route on top.
    pub fn push_front(&mut self, name: HeaderName, value: &str) -> Result<(), ParseError> {
        check_value(value)?;
        let at = self
            .fields
            .iter()
            .position(|f| f.name == name)
            .unwrap_or(self.fields.len());
        self.fields.insert(at, owned(name, value));
        Ok(())
    }

    /// Inserts a header field at position `index` (clamped to the end).
    pub fn insert(
        &mut self,
        index: usize,
        name: HeaderName,
        value: &str,
    ) -> Result<(), ParseError> {
        check_value(value)?;
        let at = index.min(self.fields.len());
        self.fields.insert(at, owned(name, value));
        Ok(())
    }

    /// Replaces every header field called `name` by one with `value`, kept
    /// where the first one was (or appended when there was none).
    pub fn set(&mut self, name: HeaderName, value: &str) -> Result<(), ParseError> {
        check_value(value)?;
        match self.fields.iter().position(|f| f.name == name) {
            Some(at) => {
                self.fields[at] = owned(name.clone(), value);
                let mut i = 0;
                self.fields.retain(|f| {
                    let keep = i <= at || f.name != name;
                    i += 1;
                    keep
                });
            }
            None => self.fields.push(owned(name, value)),
        }
        Ok(())
    }

    /// Removes every header field called `name`; returns how many.
    pub fn remove(&mut self, name: &HeaderName) -> usize {
        let before = self.fields.len();
        self.fields.retain(|f| f.name != *name);
        before - self.fields.len()
    }

    /// Removes the first *value* of `name`: the whole field when it holds
    /// one value, else its first comma-separated element (RFC 3261 §7.3.1
    /// makes `Via: a, b` equal to two Via lines). Returns the removed value.
    /// A proxy strips its own Via from a response this way (§16.7 step 3).
    pub fn pop_first_value(&mut self, name: &HeaderName) -> Option<String> {
        let at = self.fields.iter().position(|f| f.name == *name)?;
        let value = self.fields[at].value.get(&self.src);
        let mut parts = super::lex::split_commas(value);
        let first = parts.next().unwrap_or("").to_owned();
        let rest: Vec<&str> = parts.collect();
        if rest.is_empty() {
            self.fields.remove(at);
        } else {
            let joined = rest.join(", ");
            let field = owned(name.clone(), &joined);
            self.fields[at] = field;
        }
        Some(first)
    }

    /// Removes the first header field called `name`, returning its value.
    pub fn remove_first(&mut self, name: &HeaderName) -> Option<String> {
        let at = self.fields.iter().position(|f| f.name == *name)?;
        let f = self.fields.remove(at);
        Some(f.value.get(&self.src).to_owned())
    }

    /// Copies every field called `name` from `other`, appending them.
    /// Between headers sharing one head (see [`Headers::sharing`]) the
    /// copy is free and keeps the received bytes.
    pub fn copy_from(&mut self, other: &Headers, name: &HeaderName) {
        let shared = Arc::ptr_eq(&self.src, &other.src);
        for f in other.fields.iter().filter(|f| f.name == *name) {
            if shared {
                self.fields.push(f.clone());
            } else {
                self.fields
                    .push(owned(f.name.clone(), f.value.get(&other.src)));
            }
        }
    }

    /// Empty headers that share `other`'s received head, so that fields
    /// copied from it cost nothing (a response built from its request).
    pub(crate) fn sharing(other: &Headers) -> Headers {
        Headers {
            src: other.src.clone(),
            fields: Vec::with_capacity(8),
        }
    }
}

fn owned(name: HeaderName, value: &str) -> Field {
    Field {
        name,
        value: Text::Owned(value.into()),
        raw: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdrs() -> Headers {
        let mut h = Headers::new();
        let _ = h.push(
            HeaderName::VIA,
            "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b",
        );
        let _ = h.push(HeaderName::TO, "<sip:b@x>");
        let _ = h.push(HeaderName::VIA, "SIP/2.0/UDP c");
        h
    }

    #[test]
    fn set_replaces_all_in_place() {
        let mut h = hdrs();
        assert!(h.set(HeaderName::VIA, "SIP/2.0/TCP z").is_ok());
        let v: Vec<_> = h
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_owned()))
            .collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].1, "SIP/2.0/TCP z");
        assert_eq!(v[1].0, "To");
    }

    #[test]
    fn push_front_goes_above_existing() {
        let mut h = hdrs();
        assert!(h.push_front(HeaderName::VIA, "SIP/2.0/UDP me").is_ok());
        assert_eq!(h.get(&HeaderName::VIA), Some("SIP/2.0/UDP me"));
        assert!(h.push_front(HeaderName::ROUTE, "<sip:r;lr>").is_ok());
        assert_eq!(
            h.iter().last().map(|(n, _)| n.clone()),
            Some(HeaderName::ROUTE)
        );
    }

    #[test]
    fn pop_first_value_splits_combined_vias() {
        let mut h = hdrs();
        assert_eq!(
            h.pop_first_value(&HeaderName::VIA).as_deref(),
            Some("SIP/2.0/UDP a;branch=z9hG4bK1")
        );
        assert_eq!(h.get(&HeaderName::VIA), Some("SIP/2.0/UDP b"));
        assert_eq!(
            h.pop_first_value(&HeaderName::VIA).as_deref(),
            Some("SIP/2.0/UDP b")
        );
        assert_eq!(h.get(&HeaderName::VIA), Some("SIP/2.0/UDP c"));
        assert_eq!(h.count(&HeaderName::VIA), 1);
    }

    #[test]
    fn values_cannot_inject_lines() {
        let mut h = Headers::new();
        assert_eq!(
            h.push(HeaderName::SUBJECT, "a\r\nVia: x"),
            Err(ParseError::InvalidHeaderValue)
        );
        assert_eq!(h.remove(&HeaderName::SUBJECT), 0);
    }
}
