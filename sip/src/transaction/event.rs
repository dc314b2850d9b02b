//! What the transaction layer tells the TU, and what it refuses.

use super::key::{ClientKey, ServerKey};
use crate::{Peer, Request, Response};

/// Something the transaction user (the B2BUA) must act on.
#[derive(Clone, Debug)]
pub enum Event {
    /// A new request (never a retransmission). For INVITE the layer has
    /// already sent `100 Trying` to the peer (RFC 3261 §17.2.1 lets the TU
    /// skip it; a B2BUA that holds the INVITE for its auction must send it
    /// at once, so the layer does). The top Via carries `received`/`rport`.
    Request {
        /// The server transaction to answer on.
        key: ServerKey,
        /// The request.
        request: Request,
        /// Where it came from.
        peer: Peer,
    },
    /// An ACK that matched no INVITE server transaction in Completed (so:
    /// the ACK for a 2xx, end to end), or matched one in Accepted.
    Ack {
        /// The ACK.
        request: Request,
        /// Where it came from.
        peer: Peer,
    },
    /// A CANCEL matched an INVITE server transaction still in Proceeding:
    /// the layer has answered the CANCEL `200`; the TU should now answer
    /// the INVITE `487` (RFC 3261 §9.2). A CANCEL matching nothing is
    /// answered `481` by the layer with no event.
    Cancelled {
        /// The INVITE's server transaction.
        invite: ServerKey,
    },
    /// A response for a client transaction: provisional, final, and in
    /// Accepted each 2xx retransmission.
    Response {
        /// The client transaction.
        key: ClientKey,
        /// The response.
        response: Response,
    },
    /// A client transaction got no final response in time (Timer B or F);
    /// the TU treats it as 408.
    Timeout {
        /// The client transaction.
        key: ClientKey,
    },
    /// A transport error reported by the driver for a client transaction
    /// (see `Transactions::transport_failed`), or a request that could not
    /// be sent at all (see `Transactions::try_send_request`).
    TransportError {
        /// The client transaction.
        key: ClientKey,
    },
    /// No ACK came for a non-2xx final response (Timer H).
    AckTimeout {
        /// The INVITE's server transaction.
        key: ServerKey,
    },
    /// A final response matching no client transaction, given to the TU
    /// (a B2BUA still ACKs and BYEs a stray 2xx); also a 2xx that reaches
    /// an INVITE client transaction after the layer ACKed a failure.
    /// Stray provisionals are dropped.
    StrayResponse {
        /// The response.
        response: Response,
        /// Where it came from.
        peer: Peer,
    },
}

/// Why the transaction layer refused a call from the TU.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    /// No live transaction has this key (it never existed or has ended).
    #[error("no such transaction")]
    NoSuchTransaction,
    /// The transaction already sent its final response (only 2xx
    /// retransmissions may follow a 2xx, RFC 6026).
    #[error("final response already sent")]
    FinalAlreadySent,
    /// Only INVITE client transactions can be cancelled (RFC 3261 §9.1).
    #[error("not an INVITE client transaction")]
    NotInvite,
    /// The request's top Via has no RFC 3261 branch (see `new_branch`).
    #[error("top Via lacks an RFC 3261 branch")]
    NoBranch,
    /// A live client transaction already uses this branch and method.
    #[error("branch already in use")]
    BranchInUse,
    /// The INVITE lacks a header its CANCEL must copy (Via, From, To,
    /// Call-ID, CSeq).
    #[error("cannot build the CANCEL from the INVITE")]
    CannotCancel,
}
