//! Response status codes (RFC 3261 §7.2, §21).

use std::fmt;

/// A response status code, always in `100..=699` (RFC 3261 §7.2: a
/// three-digit code whose first digit gives the class).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct StatusCode(u16);

impl StatusCode {
    /// 100 Trying.
    pub const TRYING: StatusCode = StatusCode(100);
    /// 180 Ringing.
    pub const RINGING: StatusCode = StatusCode(180);
    /// 183 Session Progress.
    pub const SESSION_PROGRESS: StatusCode = StatusCode(183);
    /// 200 OK.
    pub const OK: StatusCode = StatusCode(200);
    /// 400 Bad Request.
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 401 Unauthorized.
    pub const UNAUTHORIZED: StatusCode = StatusCode(401);
    /// 403 Forbidden.
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    /// 404 Not Found.
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// 407 Proxy Authentication Required.
    pub const PROXY_AUTHENTICATION_REQUIRED: StatusCode = StatusCode(407);
    /// 408 Request Timeout.
    pub const REQUEST_TIMEOUT: StatusCode = StatusCode(408);
    /// 481 Call/Transaction Does Not Exist.
    pub const CALL_DOES_NOT_EXIST: StatusCode = StatusCode(481);
    /// 483 Too Many Hops.
    pub const TOO_MANY_HOPS: StatusCode = StatusCode(483);
    /// 486 Busy Here.
    pub const BUSY_HERE: StatusCode = StatusCode(486);
    /// 487 Request Terminated.
    pub const REQUEST_TERMINATED: StatusCode = StatusCode(487);
    /// 500 Server Internal Error.
    pub const SERVER_INTERNAL_ERROR: StatusCode = StatusCode(500);
    /// 501 Not Implemented.
    pub const UNIMPLEMENTED: StatusCode = StatusCode(501);
    /// 503 Service Unavailable.
    pub const SERVICE_UNAVAILABLE: StatusCode = StatusCode(503);
    /// 505 Version Not Supported.
    pub const VERSION_NOT_SUPPORTED: StatusCode = StatusCode(505);

    /// A status code from its number; `None` outside `100..=699`.
    pub const fn new(code: u16) -> Option<StatusCode> {
        if code >= 100 && code <= 699 {
            Some(StatusCode(code))
        } else {
            None
        }
    }

    /// The number.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// 1xx.
    pub const fn is_provisional(self) -> bool {
        self.0 < 200
    }

    /// 2xx.
    pub const fn is_success(self) -> bool {
        self.0 >= 200 && self.0 < 300
    }

    /// 200 to 699.
    pub const fn is_final(self) -> bool {
        self.0 >= 200
    }

    /// The reason phrase RFC 3261 §21 suggests, or a class default.
    pub fn canonical_reason(self) -> &'static str {
        match self.0 {
            100 => "Trying",
            180 => "Ringing",
            181 => "Call Is Being Forwarded",
            182 => "Queued",
            183 => "Session Progress",
            200 => "OK",
            202 => "Accepted",
            300 => "Multiple Choices",
            301 => "Moved Permanently",
            302 => "Moved Temporarily",
            305 => "Use Proxy",
            380 => "Alternative Service",
            400 => "Bad Request",
            401 => "Unauthorized",
            402 => "Payment Required",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            406 => "Not Acceptable",
            407 => "Proxy Authentication Required",
            408 => "Request Timeout",
            410 => "Gone",
            413 => "Request Entity Too Large",
            414 => "Request-URI Too Long",
            415 => "Unsupported Media Type",
            416 => "Unsupported URI Scheme",
            420 => "Bad Extension",
            421 => "Extension Required",
            423 => "Interval Too Brief",
            480 => "Temporarily Unavailable",
            481 => "Call/Transaction Does Not Exist",
            482 => "Loop Detected",
            483 => "Too Many Hops",
            484 => "Address Incomplete",
            485 => "Ambiguous",
            486 => "Busy Here",
            487 => "Request Terminated",
            488 => "Not Acceptable Here",
            491 => "Request Pending",
            493 => "Undecipherable",
            500 => "Server Internal Error",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Server Time-out",
            505 => "Version Not Supported",
            513 => "Message Too Large",
            600 => "Busy Everywhere",
            603 => "Decline",
            604 => "Does Not Exist Anywhere",
            606 => "Not Acceptable",
            c if c < 200 => "Session Progress",
            c if c < 300 => "OK",
            c if c < 400 => "Redirection",
            c if c < 500 => "Client Error",
            c if c < 600 => "Server Error",
            _ => "Global Failure",
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_and_classes() {
        assert_eq!(StatusCode::new(99), None);
        assert_eq!(StatusCode::new(700), None);
        let c = StatusCode::new(183).map(StatusCode::is_provisional);
        assert_eq!(c, Some(true));
        assert!(StatusCode::OK.is_success() && StatusCode::OK.is_final());
        assert_eq!(StatusCode::BAD_REQUEST.canonical_reason(), "Bad Request");
        assert_eq!(
            StatusCode::new(499).map(|c| c.canonical_reason()),
            Some("Client Error")
        );
    }
}
