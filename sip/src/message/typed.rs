//! Typed views of the headers a transaction layer and a B2BUA read.
//!
//! Each view parses the stored text when asked and borrows from it, so
//! nothing is copied and unknown parameters stay in place. For a message
//! that came out of [`Message::parse`](crate::Message::parse) the views of
//! Via, From, To, Call-ID, CSeq, Max-Forwards, Content-Length, Contact,
//! Route and Record-Route are known to succeed: parsing already checked them.

use super::error::ParseError;
use super::headers::Headers;
use super::name::HeaderName;
use super::name_addr::{self, Contacts, NameAddr};
use super::scalar::{self, CSeq};
use super::via::{self, Via};

fn bad(name: &HeaderName, what: &'static str) -> ParseError {
    ParseError::BadHeader {
        name: name.clone(),
        what,
    }
}

impl Headers {
    /// The single value of a header that may appear once.
    fn single(&self, name: &HeaderName) -> Result<Option<&str>, ParseError> {
        let mut it = self.get_all(name);
        let first = it.next();
        if it.next().is_some() {
            return Err(ParseError::MultipleValues(name.clone()));
        }
        Ok(first)
    }

    fn required(&self, name: &HeaderName) -> Result<&str, ParseError> {
        self.single(name)?
            .ok_or_else(|| ParseError::MissingHeader(name.clone()))
    }

    /// Every Via value, top first, across header lines and commas.
    pub fn vias(&self) -> impl Iterator<Item = Result<Via<'_>, ParseError>> + '_ {
        self.get_all(&HeaderName::VIA)
            .flat_map(via::parse_list)
            .map(|r| r.map_err(|w| bad(&HeaderName::VIA, w)))
    }

    /// The topmost Via value.
    pub fn top_via(&self) -> Result<Via<'_>, ParseError> {
        self.vias()
            .next()
            .unwrap_or(Err(ParseError::MissingHeader(HeaderName::VIA)))
    }

    /// The From header.
    pub fn from(&self) -> Result<NameAddr<'_>, ParseError> {
        let v = self.required(&HeaderName::FROM)?;
        name_addr::parse(v, true).map_err(|w| bad(&HeaderName::FROM, w))
    }

    /// The To header.
    pub fn to(&self) -> Result<NameAddr<'_>, ParseError> {
        let v = self.required(&HeaderName::TO)?;
        name_addr::parse(v, true).map_err(|w| bad(&HeaderName::TO, w))
    }

    /// The Call-ID.
    pub fn call_id(&self) -> Result<&str, ParseError> {
        let v = self.required(&HeaderName::CALL_ID)?;
        if scalar::valid_call_id(v) {
            Ok(v)
        } else {
            Err(bad(&HeaderName::CALL_ID, "not word[@word]"))
        }
    }

    /// The CSeq.
    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        let v = self.required(&HeaderName::CSEQ)?;
        CSeq::parse(v).map_err(|w| bad(&HeaderName::CSEQ, w))
    }

    /// Max-Forwards, if present.
    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        self.single(&HeaderName::MAX_FORWARDS)?
            .map(|v| scalar::max_forwards(v).map_err(|w| bad(&HeaderName::MAX_FORWARDS, w)))
            .transpose()
    }

    /// Content-Length, if present.
    pub fn content_length(&self) -> Result<Option<usize>, ParseError> {
        self.single(&HeaderName::CONTENT_LENGTH)?
            .map(|v| scalar::content_length(v).map_err(|w| bad(&HeaderName::CONTENT_LENGTH, w)))
            .transpose()
    }

    /// Content-Type as written (`application/sdp`), if present.
    pub fn content_type(&self) -> Option<&str> {
        self.get(&HeaderName::CONTENT_TYPE)
    }

    /// Expires, if present.
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        self.single(&HeaderName::EXPIRES)?
            .map(|v| scalar::delta_seconds(v).map_err(|w| bad(&HeaderName::EXPIRES, w)))
            .transpose()
    }

    /// All Contact values; `Star` for `Contact: *` (RFC 3261 §10.2.2).
    pub fn contacts(&self) -> Result<Contacts<'_>, ParseError> {
        let name = &HeaderName::CONTACT;
        let mut list = Vec::new();
        let mut star = false;
        for v in self.get_all(name) {
            if v == "*" {
                star = true;
                continue;
            }
            for a in name_addr::parse_list(v, true) {
                list.push(a.map_err(|w| bad(name, w))?);
            }
        }
        match (star, list.is_empty(), self.count(name)) {
            (true, true, 1) => Ok(Contacts::Star),
            (true, _, _) => Err(bad(name, "'*' mixed with other contacts")),
            (false, _, _) => Ok(Contacts::List(list)),
        }
    }

    /// Every address of a header holding a list of name-addrs that must
    /// be bracketed, such as Route and Record-Route (RFC 3261 §20.30,
    /// §20.34) or P-Asserted-Identity (RFC 3325).
    pub fn name_addrs(&self, name: &HeaderName) -> Result<Vec<NameAddr<'_>>, ParseError> {
        let mut out = Vec::new();
        for v in self.get_all(name) {
            for a in name_addr::parse_list(v, false) {
                out.push(a.map_err(|w| bad(name, w))?);
            }
        }
        Ok(out)
    }

    /// The Route set, top first.
    pub fn routes(&self) -> Result<Vec<NameAddr<'_>>, ParseError> {
        self.name_addrs(&HeaderName::ROUTE)
    }

    /// The Record-Route values, top first.
    pub fn record_routes(&self) -> Result<Vec<NameAddr<'_>>, ParseError> {
        self.name_addrs(&HeaderName::RECORD_ROUTE)
    }

    /// Checks, in one pass, the headers that parsing guarantees and
    /// returns the facts the parser needs next. `request` adds the
    /// request-only rules (Max-Forwards).
    pub(crate) fn check(&self, request: bool) -> Result<Checked, ParseError> {
        use super::name::Known as K;
        let mut vias = 0;
        let mut one: [Option<&str>; 7] = [None; 7];
        const SINGLE: [HeaderName; 7] = [
            HeaderName::FROM,
            HeaderName::TO,
            HeaderName::CALL_ID,
            HeaderName::CSEQ,
            HeaderName::MAX_FORWARDS,
            HeaderName::CONTENT_LENGTH,
            HeaderName::CONTENT_TYPE,
        ];
        let (mut contact_fields, mut star, mut contacts) = (0, false, 0);
        for f in &self.fields {
            let Some(k) = f.name.known() else { continue };
            let v = f.value.get(&self.src);
            let slot = match k {
                K::Via => {
                    vias += 1;
                    for x in via::parse_list(v) {
                        x.map_err(|w| bad(&HeaderName::VIA, w))?;
                    }
                    continue;
                }
                K::Contact => {
                    contact_fields += 1;
                    if v == "*" {
                        star = true;
                        continue;
                    }
                    for a in name_addr::parse_list(v, true) {
                        a.map_err(|w| bad(&HeaderName::CONTACT, w))?;
                        contacts += 1;
                    }
                    continue;
                }
                K::Route | K::RecordRoute => {
                    for a in name_addr::parse_list(v, false) {
                        a.map_err(|w| bad(&f.name, w))?;
                    }
                    continue;
                }
                K::From => 0,
                K::To => 1,
                K::CallId => 2,
                K::CSeq => 3,
                K::MaxForwards => 4,
                K::ContentLength => 5,
                K::ContentType => 6,
                _ => continue,
            };
            if one[slot].replace(v).is_some() {
                return Err(ParseError::MultipleValues(SINGLE[slot].clone()));
            }
        }
        if vias == 0 {
            return Err(ParseError::MissingHeader(HeaderName::VIA));
        }
        if star && (contacts > 0 || contact_fields > 1) {
            return Err(bad(&HeaderName::CONTACT, "'*' mixed with other contacts"));
        }
        let need = |i: usize| one[i].ok_or_else(|| ParseError::MissingHeader(SINGLE[i].clone()));
        name_addr::parse(need(0)?, true).map_err(|w| bad(&HeaderName::FROM, w))?;
        name_addr::parse(need(1)?, true).map_err(|w| bad(&HeaderName::TO, w))?;
        if !scalar::valid_call_id(need(2)?) {
            return Err(bad(&HeaderName::CALL_ID, "not word[@word]"));
        }
        let cseq = CSeq::parse(need(3)?).map_err(|w| bad(&HeaderName::CSEQ, w))?;
        if let (true, Some(v)) = (request, one[4]) {
            scalar::max_forwards(v).map_err(|w| bad(&HeaderName::MAX_FORWARDS, w))?;
        }
        let content_length = one[5]
            .map(|v| scalar::content_length(v).map_err(|w| bad(&HeaderName::CONTENT_LENGTH, w)))
            .transpose()?;
        Ok(Checked {
            cseq,
            content_length,
        })
    }
}

/// What [`Headers::check`] learned on the way.
pub(crate) struct Checked {
    pub(crate) cseq: CSeq,
    pub(crate) content_length: Option<usize>,
}
