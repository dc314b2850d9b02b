//! Errors from parsing or rewriting an SDP body.

use thiserror::Error;

/// Why an SDP body was refused. Every variant comes from the peer that sent
/// the body (caller or buyer leg); retrying the same body cannot help.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SdpError {
    /// The body is larger than [`MAX_SDP_LEN`](super::MAX_SDP_LEN).
    #[error("SDP body too large")]
    TooLarge,
    /// The body has more lines or media sections than we bound.
    #[error("SDP body has too many lines or media sections")]
    TooManyLines,
    /// The body is not UTF-8 (RFC 8866 §5.2: the default charset).
    #[error("SDP body is not UTF-8")]
    NotUtf8,
    /// The first line is not `v=0` (RFC 8866 §5.1).
    #[error("SDP body does not start with v=0")]
    MissingVersion,
    /// A line is not `<letter>=<value>` (RFC 8866 §5).
    #[error("malformed SDP line {line}")]
    BadLine {
        /// 1-based line number.
        line: usize,
    },
    /// An `m=` line is malformed (RFC 8866 §5.14).
    #[error("malformed m= line {line}")]
    BadMedia {
        /// 1-based line number.
        line: usize,
    },
    /// A `c=` line is malformed (RFC 8866 §5.7).
    #[error("malformed c= line {line}")]
    BadConnection {
        /// 1-based line number.
        line: usize,
    },
}
