//! The request method (RFC 3261 §7.1, §27.4).

use std::fmt;

use super::lex::is_token;

/// A SIP method. Method names are case-sensitive (RFC 3261 §7.1); any
/// `token` is a valid extension method (RFC 4475 §3.1.1.2 `intmeth`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Method(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Register,
    Update,
    Info,
    Prack,
    Subscribe,
    Notify,
    Refer,
    Message,
    Publish,
    Extension(Box<str>),
}

impl Method {
    /// `INVITE` (RFC 3261).
    pub const INVITE: Method = Method(Repr::Invite);
    /// `ACK` (RFC 3261).
    pub const ACK: Method = Method(Repr::Ack);
    /// `BYE` (RFC 3261).
    pub const BYE: Method = Method(Repr::Bye);
    /// `CANCEL` (RFC 3261).
    pub const CANCEL: Method = Method(Repr::Cancel);
    /// `OPTIONS` (RFC 3261).
    pub const OPTIONS: Method = Method(Repr::Options);
    /// `REGISTER` (RFC 3261).
    pub const REGISTER: Method = Method(Repr::Register);
    /// `UPDATE` (RFC 3311).
    pub const UPDATE: Method = Method(Repr::Update);
    /// `INFO` (RFC 6086).
    pub const INFO: Method = Method(Repr::Info);
    /// `PRACK` (RFC 3262).
    pub const PRACK: Method = Method(Repr::Prack);
    /// `SUBSCRIBE` (RFC 6665).
    pub const SUBSCRIBE: Method = Method(Repr::Subscribe);
    /// `NOTIFY` (RFC 6665).
    pub const NOTIFY: Method = Method(Repr::Notify);
    /// `REFER` (RFC 3515).
    pub const REFER: Method = Method(Repr::Refer);
    /// `MESSAGE` (RFC 3428).
    pub const MESSAGE: Method = Method(Repr::Message);
    /// `PUBLISH` (RFC 3903).
    pub const PUBLISH: Method = Method(Repr::Publish);

    /// Parses a method name; `None` unless it is a `token`.
    pub fn parse(s: &str) -> Option<Method> {
        let repr = match s {
            "INVITE" => Repr::Invite,
            "ACK" => Repr::Ack,
            "BYE" => Repr::Bye,
            "CANCEL" => Repr::Cancel,
            "OPTIONS" => Repr::Options,
            "REGISTER" => Repr::Register,
            "UPDATE" => Repr::Update,
            "INFO" => Repr::Info,
            "PRACK" => Repr::Prack,
            "SUBSCRIBE" => Repr::Subscribe,
            "NOTIFY" => Repr::Notify,
            "REFER" => Repr::Refer,
            "MESSAGE" => Repr::Message,
            "PUBLISH" => Repr::Publish,
            _ if is_token(s) => Repr::Extension(s.into()),
            _ => return None,
        };
        Some(Method(repr))
    }

    /// The method name as sent on the wire.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Invite => "INVITE",
            Repr::Ack => "ACK",
            Repr::Bye => "BYE",
            Repr::Cancel => "CANCEL",
            Repr::Options => "OPTIONS",
            Repr::Register => "REGISTER",
            Repr::Update => "UPDATE",
            Repr::Info => "INFO",
            Repr::Prack => "PRACK",
            Repr::Subscribe => "SUBSCRIBE",
            Repr::Notify => "NOTIFY",
            Repr::Refer => "REFER",
            Repr::Message => "MESSAGE",
            Repr::Publish => "PUBLISH",
            Repr::Extension(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Method({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_extension_methods() {
        assert_eq!(Method::parse("INVITE"), Some(Method::INVITE));
        assert_eq!(
            Method::parse("invite").map(|m| m.to_string()),
            Some("invite".into())
        );
        assert_ne!(Method::parse("invite"), Some(Method::INVITE));
        let weird = "!interesting-Method0123456789_*+`.%indeed'~";
        assert_eq!(
            Method::parse(weird).map(|m| m.to_string()),
            Some(weird.into())
        );
        assert_eq!(
            Method::parse("RE%47IST%45R").map(|m| m.to_string()),
            Some("RE%47IST%45R".into())
        );
        assert_eq!(Method::parse("BAD METHOD"), None);
        assert_eq!(Method::parse(""), None);
    }
}
