//! From a message back to bytes.
//!
//! Header fields that came off the wire and were not changed are copied
//! verbatim (name spelling, spacing, folding), so a parsed message prints
//! back byte for byte. The start line is rebuilt; it is already canonical
//! for anything the parser accepts, except that a lower-case `sip/2.0` is
//! printed `SIP/2.0` and a Status-Line without the SP before an empty
//! reason gains it (RFC 3261 §7.1 asks senders for these forms).

use super::headers::Headers;
use super::request::Request;
use super::response::Response;
use super::Message;

fn write_headers(h: &Headers, out: &mut Vec<u8>) {
    for f in &h.fields {
        let raw = f
            .raw
            .as_ref()
            .and_then(|r| h.src.get(r.start as usize..r.end as usize));
        match raw {
            Some(line) => out.extend_from_slice(line.as_bytes()),
            None => {
                out.extend_from_slice(f.name.as_str().as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(f.value.get(&h.src).as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

impl Request {
    /// Appends the wire form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.uri.get(&self.headers.src).as_bytes());
        out.extend_from_slice(b" SIP/2.0\r\n");
        write_headers(&self.headers, out);
        out.extend_from_slice(&self.body);
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.headers.src.len() + self.body.len() + 64);
        self.write_to(&mut out);
        out
    }
}

impl Response {
    /// Appends the wire form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"SIP/2.0 ");
        // Always three digits: StatusCode is 100..=699.
        let c = self.status.as_u16();
        out.extend_from_slice(&[
            b'0' + (c / 100 % 10) as u8,
            b'0' + (c / 10 % 10) as u8,
            b'0' + (c % 10) as u8,
        ]);
        out.push(b' ');
        out.extend_from_slice(self.reason().as_bytes());
        out.extend_from_slice(b"\r\n");
        write_headers(&self.headers, out);
        out.extend_from_slice(&self.body);
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.headers.src.len() + self.body.len() + 64);
        self.write_to(&mut out);
        out
    }
}

impl Message {
    /// Appends the wire form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Message::Request(r) => r.write_to(out),
            Message::Response(r) => r.write_to(out),
        }
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}
